// doorstep collector: small improvements over pages that already work without JavaScript.
// - live relevance: conditional questions show and hide as answers change
// - reaching the collector: links check it first (never the browser's error page); outbox.js
//   keeps what is recorded while it is out of reach; steps.js shows the survey in steps
// - kiosk idle timer: back to the start after the idle time
// - the service worker, which keeps the current page when Wi-Fi drops
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // --- relevance: the same rules as survey_schemas/relevance.py -------------------------
  function answerOf(block) {
    var type = block.getAttribute("data-type");
    var inputs = block.querySelectorAll("input, textarea, select");
    if (type === "multiple_choice") {
      var picked = [];
      inputs.forEach(function (el) {
        if (el.checked) picked.push(el.value);
      });
      return picked.length ? picked : undefined;
    }
    var value;
    inputs.forEach(function (el) {
      if (el.type === "radio" || el.type === "checkbox") {
        if (el.checked) value = el.value;
      } else if (el.value.trim() !== "") {
        value = el.value.trim();
      }
    });
    if (value === undefined) return undefined;
    if (type === "yes_no" || type === "consent") return value === "yes";
    if (type === "number" || type === "scale") {
      var n = Number(value.replace(",", "."));
      return isFinite(n) ? n : undefined;
    }
    return value;
  }

  function answered(v) {
    return v !== undefined && v !== null && v !== "" && !(Array.isArray(v) && v.length === 0);
  }

  function relevant(expr, answers) {
    if (!expr) return true;
    if (expr.all) return expr.all.every(function (p) { return relevant(p, answers); });
    if (expr.any) return expr.any.some(function (p) { return relevant(p, answers); });
    if (expr.not) return !relevant(expr.not, answers);
    var value = answers[expr.question];
    if ("equals" in expr) return value === expr.equals;
    if ("includes" in expr) {
      if (Array.isArray(value)) return value.indexOf(expr.includes) !== -1;
      return value !== undefined && value === expr.includes;
    }
    return answered(value) === expr.answered;
  }

  // Show the questions that apply, and return the answers given to them so far.
  function applyRelevance(form) {
    var answers = {};
    form.querySelectorAll(".question[data-qid]").forEach(function (block) {
      var raw = block.getAttribute("data-relevant");
      var show = relevant(raw ? JSON.parse(raw) : null, answers);
      block.hidden = !show;
      // A hidden question's inputs are disabled, so the form never posts its old answer.
      block.querySelectorAll("input, textarea, select").forEach(function (el) {
        el.disabled = !show;
      });
      var value = show ? answerOf(block) : undefined;
      if (answered(value)) answers[block.getAttribute("data-qid")] = value;
    });
    return answers;
  }

  // The question ids a condition names.
  function names(expr) {
    if (!expr) return [];
    if (expr.all || expr.any) {
      return (expr.all || expr.any).reduce(function (out, p) { return out.concat(names(p)); }, []);
    }
    if (expr.not) return names(expr.not);
    return expr.question ? [expr.question] : [];
  }

  // --- reaching the collector ------------------------------------------------------------
  // A phone out of the Pi's Wi-Fi range may still be "online" (mobile data): only a real
  // request to the collector, with a short time limit, says whether it can be reached.
  function reachable() {
    var url = document.body.getAttribute("data-ping") || "/ping";
    var ctrl = "AbortController" in window ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 4000) : null;
    return fetch(url, { cache: "no-store", signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) { return r.ok; })
      .catch(function () { return false; })
      .finally(function () { if (timer) clearTimeout(timer); });
  }

  // A version 4 UUID from getRandomValues, which (unlike randomUUID) phones also allow on the
  // hotspot's plain http:// address.
  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function showNotice(state) {
    var notice = document.getElementById("offline-notice");
    if (!notice) return;
    notice.hidden = !state;
    notice.querySelectorAll("[data-state]").forEach(function (p) {
      p.hidden = p.getAttribute("data-state") !== state;
    });
    if (state) notice.scrollIntoView({ block: "nearest" });
  }

  function unreachable(shown) {
    var el = document.getElementById("unreachable");
    if (!el) return;
    el.hidden = !shown;
    if (shown) el.scrollIntoView({ block: "nearest" });
  }

  // A link followed while the collector is out of reach would end on the browser's error page:
  // check first, and say so instead.
  function guardLinks() {
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest("a[href]");
      if (!link || event.defaultPrevented || link.target || link.hasAttribute("download")) return;
      if (link.hasAttribute("data-open-panel") && document.querySelector("[data-panel]")) return;
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      var url = new URL(link.href, location.href);
      if (url.origin !== location.origin || (url.pathname === location.pathname && url.hash)) return;
      event.preventDefault();
      reachable().then(function (ok) {
        if (ok) location.assign(url.href);
        else unreachable(true);
      });
    });
  }

  window.doorstep = {
    applyRelevance: applyRelevance,
    names: names,
    reachable: reachable,
    showNotice: showNotice,
    unreachable: unreachable,
    uuid: uuid
  };

  // --- kiosk idle timer --------------------------------------------------------------------
  function idleTimer(body) {
    var seconds = Number(body.getAttribute("data-idle-seconds"));
    var url = body.getAttribute("data-idle-url");
    if (!seconds || !url) return;
    var timer;
    var reset = function () {
      clearTimeout(timer);
      timer = setTimeout(function () { location.replace(url); }, seconds * 1000);
    };
    ["pointerdown", "keydown", "input", "touchstart", "scroll"].forEach(function (name) {
      document.addEventListener(name, reset, { passive: true });
    });
    reset();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var body = document.body;
    document.querySelectorAll("form[data-survey]").forEach(function (form) {
      applyRelevance(form);
      form.addEventListener("change", function () { applyRelevance(form); });
      form.addEventListener("input", function () { applyRelevance(form); });
    });
    guardLinks();
    var summary = document.querySelector("[data-focus]");
    if (summary) summary.focus();
    idleTimer(body);
    if ("serviceWorker" in navigator && body.getAttribute("data-sw")) {
      navigator.serviceWorker.register(body.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
    }
  });
})();
