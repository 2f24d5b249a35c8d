// doorstep collector: small improvements over pages that already work without JavaScript.
// - live relevance: conditional questions show and hide as answers change
// - offline safety: a submit while the phone has lost the collector is kept on the phone,
//   with a plain "not saved yet" notice, and sent by itself when the collector is back
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
  }

  // --- offline safety ----------------------------------------------------------------------
  var QUEUE = "doorstep-queued:";

  function reachable(body) {
    var url = body.getAttribute("data-ping") || "/ping";
    var ctrl = "AbortController" in window ? new AbortController() : null;
    var timer = ctrl ? setTimeout(function () { ctrl.abort(); }, 4000) : null;
    return fetch(url, { cache: "no-store", signal: ctrl ? ctrl.signal : undefined })
      .then(function (r) { return r.ok; })
      .catch(function () { return false; })
      .finally(function () { if (timer) clearTimeout(timer); });
  }

  function fieldsOf(form) {
    var out = [];
    new FormData(form).forEach(function (value, name) { out.push([name, String(value)]); });
    return out;
  }

  function restore(form, entries) {
    var byName = {};
    entries.forEach(function (e) { (byName[e[0]] = byName[e[0]] || []).push(e[1]); });
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || !(el.name in byName) || el.type === "submit") return;
      var values = byName[el.name];
      if (el.type === "radio" || el.type === "checkbox") el.checked = values.indexOf(el.value) !== -1;
      else el.value = values[0];
    });
  }

  function showNotice(state) {
    var notice = document.getElementById("offline-notice");
    if (!notice) return;
    notice.hidden = false;
    notice.querySelectorAll("[data-state]").forEach(function (p) {
      p.hidden = p.getAttribute("data-state") !== state;
    });
    notice.scrollIntoView({ block: "center" });
  }

  function sendForReal(form, key) {
    form.setAttribute("data-sending", "1");
    localStorage.removeItem(key);
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    HTMLFormElement.prototype.submit.call(form);
  }

  function waitThenSend(form, key, body) {
    showNotice("queued");
    var tick = function () {
      reachable(body).then(function (ok) {
        if (!ok) return setTimeout(tick, 5000);
        showNotice("sending");
        sendForReal(form, key);
      });
    };
    setTimeout(tick, 5000);
    window.addEventListener("online", tick, { once: true });
  }

  function guardSubmit(form, body) {
    var key = QUEUE + location.pathname + location.search;
    var queued = localStorage.getItem(key);
    if (queued) {
      // The phone lost the collector after a submit and the page was reloaded from the
      // phone's copy: put the answers back and keep trying.
      restore(form, JSON.parse(queued));
      applyRelevance(form);
      waitThenSend(form, key, body);
    } else if (window.crypto && crypto.randomUUID && form.elements.response_id) {
      // A page kept for offline use may be filled more than once: each fill is a new response.
      form.elements.response_id.value = crypto.randomUUID();
    }
    form.addEventListener("submit", function (event) {
      if (form.getAttribute("data-sending")) return;
      event.preventDefault();
      var entries = fieldsOf(form);
      reachable(body).then(function (ok) {
        if (ok) return sendForReal(form, key);
        localStorage.setItem(key, JSON.stringify(entries));
        waitThenSend(form, key, body);
      });
    });
  }

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
    document.querySelectorAll("form[data-offline-queue]").forEach(function (form) {
      guardSubmit(form, body);
    });
    var summary = document.querySelector("[data-focus]");
    if (summary) summary.focus();
    idleTimer(body);
    if ("serviceWorker" in navigator && body.getAttribute("data-sw")) {
      navigator.serviceWorker.register(body.getAttribute("data-sw"), { scope: "/" }).catch(function () {});
    }
  });
})();
