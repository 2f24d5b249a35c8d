// doorstep collector: the survey one step at a time, and the door page's panels.
// The page holds every step (collector/web/steps.py groups the questions); this shows one,
// with "Step 2 of 4", checks its required questions, and keeps the primary button in reach.
// Steps none of whose questions apply are skipped, so the count follows the answers. On the
// door page the street choice and the survey are panels of the same page: they keep working
// when the phone is out of the collector's reach.
(function () {
  "use strict";

  var D = window.doorstep;

  function steps(form) {
    return Array.prototype.slice.call(form.querySelectorAll("section[data-step]"));
  }

  function applies(section) {
    return Array.prototype.some.call(section.querySelectorAll(".question[data-qid]"), function (b) {
      return !b.hidden;
    });
  }

  // Whether a step may still apply: one of its questions shows, or hangs on a question that
  // shows, is not answered yet, and is in this step or a later one (so "Step 1 of 4" counts
  // what is likely ahead before consent is given).
  function mayApply(form, section, answers) {
    var all = steps(form);
    var here = current(form);
    return Array.prototype.some.call(section.querySelectorAll(".question[data-qid]"), function (b) {
      if (!b.hidden) return true;
      var raw = b.getAttribute("data-relevant");
      return D.names(raw ? JSON.parse(raw) : null).some(function (qid) {
        var source = form.querySelector('.question[data-qid="' + qid + '"]');
        var at = source ? all.indexOf(source.closest("section[data-step]")) : -1;
        return !(qid in answers) && source && !source.hidden && at >= here;
      });
    });
  }

  function current(form) {
    return Number(form.getAttribute("data-current") || 0);
  }

  function open(form) {
    return steps(form).filter(applies);
  }

  function answered(block) {
    return Array.prototype.some.call(block.querySelectorAll("input, textarea, select"), function (el) {
      if (el.disabled) return false;
      if (el.type === "radio" || el.type === "checkbox") return el.checked;
      return el.value.trim() !== "";
    });
  }

  function clearErrors(form) {
    var box = form.querySelector("[data-step-errors]");
    box.hidden = true;
    box.textContent = "";
    form.querySelectorAll(".js-error").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".question-error-js").forEach(function (el) {
      el.classList.remove("question-error", "question-error-js");
    });
  }

  // GOV.UK's error summary and messages for the required questions left unanswered.
  function check(form, section) {
    clearErrors(form);
    var missing = Array.prototype.filter.call(
      section.querySelectorAll(".question[data-required]"),
      function (b) { return !b.hidden && !answered(b); }
    );
    if (!missing.length) return true;
    var box = form.querySelector("[data-step-errors]");
    var title = document.createElement("h2");
    title.className = "error-summary-title";
    title.id = "step-error-title";
    title.textContent = form.getAttribute("data-error-title");
    var list = document.createElement("ul");
    list.className = "error-summary-list";
    missing.forEach(function (block) {
      var choice = /radios|checkboxes/.test(block.getAttribute("data-widget"));
      var text = form.getAttribute(choice ? "data-err-choose" : "data-err-required");
      var input = block.querySelector("input, textarea, select");
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + input.id;
      a.textContent = text;
      li.appendChild(a);
      list.appendChild(li);
      var message = document.createElement("p");
      message.className = "error-message js-error";
      message.textContent = text;
      var before = block.querySelector(".choices, .input");
      before.parentNode.insertBefore(message, before);
      block.classList.add("question-error", "question-error-js");
    });
    box.className = "error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.setAttribute("aria-labelledby", "step-error-title");
    box.appendChild(title);
    box.appendChild(list);
    box.hidden = false;
    box.focus();
    return false;
  }

  function show(form, index) {
    var all = steps(form);
    var shown = open(form);
    index = Math.max(0, Math.min(index, all.length - 1));
    if (!applies(all[index])) {
      var later = shown.filter(function (s) { return all.indexOf(s) > index; })[0];
      index = all.indexOf(later || shown[shown.length - 1] || all[0]);
    }
    all.forEach(function (s, i) { s.hidden = i !== index; });
    form.setAttribute("data-current", index);
    form.elements.step.value = index;
    label(form);
  }

  function label(form) {
    var all = steps(form);
    var answers = D.applyRelevance(form);
    var here = all[current(form)];
    var shown = all.filter(function (s) { return s === here || mayApply(form, s, answers); });
    var position = shown.indexOf(here) + 1;
    var last = position === shown.length;
    var progress = form.querySelector("[data-progress]");
    progress.hidden = false;
    var text = form.getAttribute("data-step-of").replace("{n}", position).replace("{total}", shown.length);
    progress.querySelector(".progress-text").textContent = text;
    var bar = progress.querySelector("progress");
    bar.max = shown.length;
    bar.value = position;
    form.querySelector("[data-primary]").textContent = form.getAttribute(last ? "data-save" : "data-continue");
    form.querySelector("[data-step-back]").hidden = position <= 1;
  }

  function move(form, direction) {
    var all = steps(form);
    var shown = open(form);
    var here = shown.indexOf(all[current(form)]);
    var target = shown[here + direction];
    if (!target) return false;
    clearErrors(form);
    show(form, all.indexOf(target));
    var top = form.closest("[data-panel]") || form;
    top.scrollIntoView({ block: "start" });
    var first = target.querySelector("input:not([type=hidden]), textarea");
    if (first && direction > 0) first.focus({ preventScroll: true });
    return true;
  }

  function primary(form) {
    var here = steps(form)[current(form)];
    if (!check(form, here)) return;
    if (!move(form, 1)) D.outbox.submit(form, null);
  }

  function reset(form, house) {
    form.reset();
    form.elements.response_id.value = D.uuid();
    form.elements.house.value = house;
    var shownHouse = form.querySelector("[data-house-shown]");
    if (shownHouse) shownHouse.textContent = house ? ", " + house : "";
    clearErrors(form);
    D.applyRelevance(form);
    show(form, 0);
  }

  function setUp(form) {
    show(form, Number(form.getAttribute("data-start-step") || 0));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (event.submitter && event.submitter.name === "switch_lang") {
        return D.outbox.switchLanguage(form, event.submitter);
      }
      primary(form);
    });
    form.querySelector("[data-step-back]").addEventListener("click", function () { move(form, -1); });
    form.addEventListener("change", function () { label(form); });
    var errored = form.querySelector(".question-error");
    if (errored) show(form, steps(form).indexOf(errored.closest("section[data-step]")));
  }

  // --- the door page's panels ------------------------------------------------------------
  function panel(name) {
    document.querySelectorAll("[data-panel]").forEach(function (p) {
      p.hidden = p.getAttribute("data-panel") !== name;
    });
    D.unreachable(false);
    if (name !== "door") {
      document.querySelectorAll(".main > .notice[role=status]").forEach(function (n) { n.hidden = true; });
    }
    var survey = document.querySelector("[data-panel=survey] form");
    var doorForm = document.querySelector("form[data-door]");
    if (name === "survey" && survey) reset(survey, doorForm.elements.house.value.trim());
    if (name === "door" && doorForm) doorForm.elements.house.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    var heading = document.querySelector("[data-panel=" + name + "] h1");
    if (heading && name !== "door") {
      heading.setAttribute("tabindex", "-1");
      heading.focus({ preventScroll: true });
    }
  }

  // What the door page does once something waits in the outbox: back to the doors, ready for
  // the next one, with the change of street shown at once.
  D.queued = function (form, item) {
    if (!document.querySelector("[data-panel]")) return;
    var doorForm = document.querySelector("form[data-door]");
    if (item.kind === "street") {
      var title = document.querySelector("[data-street-title]");
      var street = item.label[1];
      title.textContent = title.getAttribute("data-street-title").replace("{street}", street);
      document.querySelectorAll("[data-street]").forEach(function (el) { el.textContent = street; });
    }
    if (doorForm) doorForm.elements.house.value = "";
    panel("door");
    D.showNotice(item.kind === "survey" ? "queued" : "queued-" + item.kind);
  };

  // The page may reload to show what was sent when nobody is in the middle of something.
  D.pageIdle = function () {
    var door = document.querySelector("[data-panel=door]");
    var house = document.getElementById("house");
    return !door || (!door.hidden && house && !house.value.trim());
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-steps]").forEach(setUp);
    document.addEventListener("click", function (event) {
      var opener = event.target.closest && event.target.closest("[data-open-panel]");
      if (!opener || !document.querySelector("[data-panel]")) return;
      event.preventDefault();
      panel(opener.getAttribute("data-open-panel"));
    });
  });
})();
