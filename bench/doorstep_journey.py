"""Count what a doorstep survey asks of a volunteer, before (survey v1) and after (v2), in one run.

A scripted Playwright journey on a 360 x 740 phone (touch, Debian's Chromium) against a real
collector on loopback, twice: once with the released doorstep survey v1 ("before") and once
with the newest doorstep survey ("after": v2 once it is bundled, or ``--after FILE``). Each
collector offers only that survey's content: the v1 definition is served as the newest
version of the survey id, so the same flow presents it.

Counted from the tap on "Surveyed" to "Saved" (the door), and from opening the app to the
first saved survey (sign in, street, door, survey):
- taps: every tap on a button, choice or link; text entries: every typed field;
- scrolls: actions whose target was not wholly on screen first (the volunteer must scroll);
- words read aloud: the purpose statement and the text (label and hint) of every question
  shown on the way; the choices' words are counted apart (often shown, not read);
- estimated seconds: words at 150 a minute plus 2 s per tap, against the goal of at most 90 s
  and at most 12 taps from "Surveyed" to "Saved".

The resident's answers on the way: consent; one concern (speeding) and its severity; the
other one-tap questions answered (feeling safe, age band, gender), no to being contacted
again, every free-text question left blank.

Run: ``.venv/bin/python bench/doorstep_journey.py [--after v2.json] [--before v1.json]``
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import Page, expect, sync_playwright  # noqa: E402

from collector.app import close_app, create_app  # noqa: E402
from survey_schemas import bundled_registry  # noqa: E402
from tests.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.waitress_thread import WaitressThread  # noqa: E402

VIEWPORT = {"width": 360, "height": 740}
WORDS_PER_MINUTE = 150
SECONDS_PER_TAP = 2
GOAL_TAPS, GOAL_SECONDS = 12, 90
# The resident's answers: a choice value per one-tap question; text questions stay blank.
ANSWERS = {
    "consent": "yes",
    "concerns": "speeding",
    "severity": "4",
    "safe_after_dark": "fairly-safe",
    "recontact": "no",
    "age_band": "35-49",
    "gender": "prefer-not-to-say",
}


def words(text: str) -> int:
    """Count the words of a text as read aloud (numbers count as words)."""
    return len(re.findall(r"\w+(?:['’-]\w+)*", text))


@dataclass
class Counts:
    """What one stretch of the journey took."""

    taps: int = 0
    entries: int = 0
    scrolls: int = 0
    words: int = 0
    choice_words: int = 0
    steps: int = 0
    read: set[str] = field(default_factory=set)

    @property
    def seconds(self) -> float:
        """Return the estimated time: reading aloud plus tapping."""
        return self.words * 60 / WORDS_PER_MINUTE + self.taps * SECONDS_PER_TAP


class Journey:
    """A volunteer's phone: acts on the page and counts what each act costs."""

    def __init__(self, page: Page, survey: dict[str, Any]) -> None:
        self.page = page
        self.survey = survey
        self.questions = {q["id"]: q for q in survey["questions"]}
        self.counts = Counts()

    def _reach(self, locator: Any) -> None:
        """Count a scroll when the target is not wholly on screen, then bring it there."""
        box = locator.bounding_box()
        height = self.page.evaluate("window.innerHeight")
        if box is None or box["y"] < 0 or box["y"] + box["height"] > height:
            self.counts.scrolls += 1
            locator.scroll_into_view_if_needed()

    def tap(self, locator: Any) -> None:
        """Tap a button, choice or link."""
        self._reach(locator)
        locator.click()
        self.counts.taps += 1

    def type(self, locator: Any, text: str) -> None:
        """Tap a field and type into it (one text entry)."""
        self._reach(locator)
        locator.fill(text)
        self.counts.entries += 1

    def read(self, qid: str) -> None:
        """Count a question's words once, as the volunteer reads it out."""
        if qid in self.counts.read:
            return
        self.counts.read.add(qid)
        q = self.questions[qid]
        self.counts.words += words(q["label"]["en"] + " " + (q.get("hint") or {}).get("en", ""))
        self.counts.choice_words += sum(words(c["label"]["en"]) for c in q.get("choices", []))

    def survey_at_door(self, house: str) -> None:
        """From the tap on "Surveyed" to "Saved", answering as ANSWERS says."""
        page = self.page
        self.type(page.locator("#house"), house)
        self.tap(page.locator("button[value=surveyed]"))
        form = page.locator("#survey-form:visible")
        self.counts.words += words(self.survey["purpose"]["en"])
        save = form.get_attribute("data-save")
        for _ in range(40):
            self.counts.steps += 1
            step = form.locator("section[data-step]:visible")
            for qid in step.locator(".question[data-qid]").evaluate_all(
                "els => els.map(e => e.dataset.qid)"
            ):
                block = step.locator(f'.question[data-qid="{qid}"]')
                if not block.is_visible():
                    continue
                self.read(qid)
                if qid in ANSWERS and block.locator(f'input[value="{ANSWERS[qid]}"]').count():
                    self.tap(block.locator(f'input[value="{ANSWERS[qid]}"]'))
            primary = form.locator("[data-primary]")
            last = primary.inner_text() == save
            self.tap(primary)
            if last:
                break
        expect(page.locator(".notice-success")).to_contain_text("Saved", timeout=30_000)

    def open_app_to_first_survey(self, base: str) -> Counts:
        """From opening the app to the first saved survey; return the survey's own share."""
        page = self.page
        page.goto(base)
        self.type(page.get_by_label("Your name or a pseudonym"), "Ann")
        self.tap(page.get_by_label("Abbey", exact=True))
        self.tap(page.get_by_role("button", name="Continue"))
        self.tap(page.locator("#street-0"))
        self.tap(page.get_by_role("button", name="Continue"))
        page.wait_for_url("**/doorstep/door")
        before = Counts(**{k: v for k, v in vars(self.counts).items() if k != "read"})
        self.survey_at_door("12")
        at_door = Counts(
            taps=self.counts.taps - before.taps,
            entries=self.counts.entries - before.entries,
            scrolls=self.counts.scrolls - before.scrolls,
            words=self.counts.words - before.words,
            choice_words=self.counts.choice_words - before.choice_words,
            steps=self.counts.steps - before.steps,
        )
        # The house number is typed before "Surveyed": it belongs to the door, not the survey.
        at_door.entries -= 1
        return at_door


@contextmanager
def collector(survey: dict[str, Any]) -> Iterator[str]:
    """Serve a collector whose doorstep survey is ``survey``; yield its address."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"data": Path(tmp) / "data"})
        newest = max(s.version for s in app.extensions["doorstep_store"].registry
                     if s.id == survey["id"])  # fmt: skip
        served = {**survey, "version": max(newest + 1, survey["version"])}
        app.extensions["doorstep_store"].set_pulled(surveys=[served])
        server = WaitressThread(app, threads=4)
        try:
            yield server.url
        finally:
            server.stop()
            close_app(app)


def measure(browser: Any, survey: dict[str, Any]) -> tuple[Counts, Counts]:
    """Return (at the door, from opening the app) for one survey."""
    with collector(survey) as base:
        context = browser.new_context(viewport=VIEWPORT, is_mobile=True, has_touch=True)
        journey = Journey(context.new_page(), survey)
        at_door = journey.open_app_to_first_survey(base)
        whole = journey.counts
        context.close()
    return at_door, whole


def table(rows: list[tuple[str, Counts, Counts]]) -> str:
    """Return the results as a Markdown table with the after/before ratios."""
    head = (
        "| journey | survey | steps | taps | text entries | scrolls | words read aloud "
        "| choice words | est. seconds | goal (≤ 12 taps, ≤ 90 s) |\n"
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
    )
    lines = [head]
    for name, door, whole in rows:
        for label, c in (("Surveyed → Saved", door), ("open app → first saved", whole)):
            goal = "met" if c.taps <= GOAL_TAPS and c.seconds <= GOAL_SECONDS else "missed"
            if label != "Surveyed → Saved":
                goal = "—"
            lines.append(
                f"| {label} | {name} | {c.steps} | {c.taps} | {c.entries} | {c.scrolls} "
                f"| {c.words} | {c.choice_words} | {c.seconds:.0f} | {goal} |"
            )
    (_, b, _), (_, a, _) = rows[0], rows[1]
    lines.append(
        f"| Surveyed → Saved | after / before | {a.steps / b.steps:.2f} | {a.taps / b.taps:.2f} "
        f"| – | – | {a.words / b.words:.2f} | {a.choice_words / b.choice_words:.2f} "
        f"| {a.seconds / b.seconds:.2f} | |"
    )
    return "\n".join(lines)


def main() -> None:
    """Measure before and after and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="survey JSON (default: bundled v1)")
    parser.add_argument("--after", type=Path, help="survey JSON (default: newest bundled)")
    args = parser.parse_args()
    logging.getLogger("waitress").setLevel(logging.ERROR)  # its queue notes are not results
    registry = bundled_registry()
    before = (
        json.loads(args.before.read_text())
        if args.before
        else dict(registry.get("doorstep-safety", 1).definition)
    )
    after = (
        json.loads(args.after.read_text())
        if args.after
        else dict(registry.latest("doorstep-safety").definition)
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        rows = []
        for name, survey in ((f"before: v{before['version']}", before),
                             (f"after: v{after['version']}", after)):  # fmt: skip
            door, whole = measure(browser, survey)
            rows.append((name, door, whole))
        browser.close()
    print(table(rows))


if __name__ == "__main__":
    main()
