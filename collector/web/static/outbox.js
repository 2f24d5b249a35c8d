// doorstep collector: the phone's outbox, one queue for everything a volunteer records.
// A door outcome, a street choice or a survey is put in the outbox (localStorage) and sent at
// once with fetch(); if the collector cannot be reached it stays there, is listed as "not sent
// yet", and is sent by itself, in order, when the collector answers again. Each form carries an
// id the collector keeps (door_id, response_id), so a resend after a lost reply records nothing
// twice. The collector answers a queued form with {"next", "done"} instead of a redirect.
(function () {
  "use strict";

  var D = window.doorstep;
  var KEY = "doorstep-outbox";
  var RETRY_MS = 5000;
  var SEND_TIMEOUT_MS = 15000;
  var pending = null; // the item this page view queued and is waiting for
  var flushing = null;
  var timer = null;

  function load() {
    try {
      var items = JSON.parse(localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    localStorage.setItem(KEY, JSON.stringify(items));
    render();
  }

  function entriesOf(form, submitter) {
    var out = [];
    new FormData(form).forEach(function (value, name) { out.push([name, String(value)]); });
    if (submitter && submitter.name) out.push([submitter.name, submitter.value]);
    return out;
  }

  function idOf(form) {
    var field = form.elements.response_id || form.elements.door_id;
    if (!field) return D.uuid();
    if (!field.value || form.getAttribute("data-outbox") === "door") field.value = D.uuid();
    return field.value;
  }

  function labelOf(form, submitter) {
    var house = form.elements.house ? form.elements.house.value.trim() : "";
    var what = form.getAttribute("data-queued-label") || "";
    if (form.getAttribute("data-outbox") === "door" && submitter) what = submitter.textContent.trim();
    if (form.getAttribute("data-outbox") === "street") {
      var other = form.elements.other && form.elements.other.value.trim();
      var picked = form.querySelector("input[name=street]:checked");
      return [what, other || (picked ? picked.value : "")];
    }
    return [house || "—", what];
  }

  function send(item) {
    var ctrl = "AbortController" in window ? new AbortController() : null;
    var limit = ctrl ? setTimeout(function () { ctrl.abort(); }, SEND_TIMEOUT_MS) : null;
    return fetch(item.url, {
      method: "POST",
      body: new URLSearchParams(item.entries),
      credentials: "same-origin",
      cache: "no-store",
      headers: { "X-Doorstep-Outbox": "1" },
      signal: ctrl ? ctrl.signal : undefined
    }).then(function (r) {
      var json = (r.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (r.ok && json) {
        return r.json().then(function (answer) {
          return { state: answer.done ? "sent" : "refused", next: answer.next };
        });
      }
      return { state: "refused" }; // a page with a problem to show (422, 507...)
    }).catch(function () {
      return { state: "unreachable" };
    }).finally(function () {
      if (limit) clearTimeout(limit);
    });
  }

  // Send every waiting item in order; stop at the first that cannot reach the collector.
  function flush() {
    if (flushing) return flushing;
    var results = {};
    var run = function () {
      var next = load().filter(function (i) { return !i.refused && !(i.id in results); })[0];
      if (!next) return Promise.resolve(results);
      if (pending && pending.id === next.id && next.waited) D.showNotice("sending");
      return send(next).then(function (result) {
        results[next.id] = result;
        var items = load();
        items.forEach(function (i) { if (i.id === next.id && result.state === "refused") i.refused = true; });
        if (result.state === "sent") items = items.filter(function (i) { return i.id !== next.id; });
        save(items);
        return result.state === "unreachable" ? results : run();
      });
    };
    flushing = run().finally(function () { flushing = null; });
    return flushing;
  }

  // Post an item as an ordinary form, so the collector's own page shows (its problem, with
  // the answers drawn back in).
  function submitNative(item) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = item.url;
    form.hidden = true;
    item.entries.forEach(function (e) {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = e[0];
      input.value = e[1];
      form.appendChild(input);
    });
    document.body.appendChild(form);
    save(load().filter(function (i) { return i.id !== item.id; }));
    HTMLFormElement.prototype.submit.call(form);
  }

  function afterFlush(results) {
    if (pending && results[pending.id]) {
      var mine = results[pending.id];
      if (mine.state === "sent") return location.assign(mine.next || location.href);
      if (mine.state === "refused") {
        var item = load().filter(function (i) { return i.id === pending.id; })[0];
        if (item) return submitNative(item);
      }
    }
    var sent = Object.keys(results).some(function (k) { return results[k].state === "sent"; });
    if (sent && !load().length && D.pageIdle && D.pageIdle()) location.reload();
    schedule();
  }

  function schedule() {
    clearTimeout(timer);
    var waiting = load().some(function (i) { return !i.refused; });
    if (waiting) timer = setTimeout(function () { flush().then(afterFlush); }, RETRY_MS);
  }

  // Queue a form's content and try to send it now. `queued(form)` runs if it has to wait.
  function submit(form, submitter) {
    var item = {
      id: idOf(form),
      kind: form.getAttribute("data-outbox"),
      url: form.action,
      entries: entriesOf(form, submitter),
      label: labelOf(form, submitter),
      at: Date.now()
    };
    var items = load().filter(function (i) { return i.id !== item.id; });
    items.push(item);
    save(items);
    pending = item;
    form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
    flush().then(function (results) {
      form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
      var mine = results[item.id] || { state: "unreachable" };
      if (mine.state !== "unreachable") return afterFlush(results);
      save(load().map(function (i) { if (i.id === item.id) i.waited = true; return i; }));
      D.showNotice(item.kind === "survey" ? "queued" : "queued-" + item.kind);
      if (D.queued) D.queued(form, item);
      schedule();
    });
  }

  // Show what waits: a count in the header, and the doors and surveys in the door list.
  function render() {
    var items = load();
    var badge = document.getElementById("unsent");
    if (badge) {
      badge.hidden = !items.length;
      var text = badge.getAttribute(items.length === 1 ? "data-unsent-one" : "data-unsent-many") || "";
      badge.textContent = text.replace("{n}", items.length);
    }
    var list = document.querySelector("[data-unsent-list]");
    if (!list) return;
    list.querySelectorAll(".unsent-item").forEach(function (li) { li.remove(); });
    var tag = list.getAttribute("data-unsent-tag") || "";
    items.forEach(function (item) { // newest on top
      var li = document.createElement("li");
      li.className = "unsent-item";
      var house = document.createElement("span");
      house.className = "door-house";
      house.textContent = item.label[0];
      var what = document.createElement("span");
      what.className = "door-outcome";
      what.textContent = item.label[1] + " ";
      var state = document.createElement("span");
      state.className = "tag tag-warn";
      state.textContent = tag;
      what.appendChild(state);
      li.appendChild(house);
      li.appendChild(what);
      if (item.refused) {
        var open = document.createElement("button");
        open.type = "button";
        open.className = "button-link";
        open.textContent = list.getAttribute("data-open-label") || "Open";
        open.addEventListener("click", function () { submitNative(item); });
        li.appendChild(open);
      }
      list.insertBefore(li, list.firstChild);
    });
    list.hidden = !list.children.length;
    var none = document.querySelector("[data-no-doors]");
    if (none) none.hidden = !!list.children.length;
  }

  // A language button posts the form as it is, so the page comes back in the other language
  // with the answers kept; that needs the collector, so check first.
  function switchLanguage(form, submitter) {
    D.reachable().then(function (ok) {
      if (!ok) return D.unreachable(true);
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = submitter.name;
      input.value = submitter.value;
      form.appendChild(input);
      HTMLFormElement.prototype.submit.call(form);
    });
  }

  // Surveys kept by the app's earlier version (one "doorstep-queued:<page>" entry per page)
  // join the outbox, so an update in the middle of a shift loses none of them.
  function adoptEarlierQueue() {
    Object.keys(localStorage).filter(function (k) { return k.indexOf("doorstep-queued:") === 0; })
      .forEach(function (key) {
        var entries;
        try { entries = JSON.parse(localStorage.getItem(key)); } catch (e) { entries = null; }
        if (Array.isArray(entries)) {
          var field = function (name) {
            var hit = entries.filter(function (e) { return e[0] === name; })[0];
            return hit ? hit[1] : "";
          };
          var items = load();
          items.push({
            id: field("response_id") || D.uuid(),
            kind: "survey",
            url: key.slice("doorstep-queued:".length).split("?")[0],
            entries: entries,
            label: [field("house") || "—", ""],
            at: Date.now()
          });
          save(items);
        }
        localStorage.removeItem(key);
      });
  }

  D.outbox = { submit: submit, flush: flush, load: load, switchLanguage: switchLanguage };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-outbox]").forEach(function (form) {
      if (form.hasAttribute("data-steps")) return; // steps.js sends it from its last step
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        if (event.submitter && event.submitter.name === "switch_lang") {
          return switchLanguage(form, event.submitter);
        }
        submit(form, event.submitter);
      });
    });
    // A language link while a form is being filled in posts the form instead, so no answer
    // is lost (pages whose language switch is a form button already do).
    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".langs a[lang]");
      var form = Array.prototype.filter.call(document.querySelectorAll("form[data-survey]"), function (f) {
        return f.offsetParent !== null;
      })[0];
      if (!link || !form) return;
      event.preventDefault();
      switchLanguage(form, { name: "switch_lang", value: link.getAttribute("lang") });
    }, true);
    adoptEarlierQueue();
    render();
    if (load().length) flush().then(afterFlush);
    window.addEventListener("online", function () { flush().then(afterFlush); });
  });
})();
