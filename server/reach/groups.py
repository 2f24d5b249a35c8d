"""Who a group wants to hear from, as people read it: methods and equality questions by name.

The equality questions are those a survey marks ``"x-equality": true``; their names and choice
labels come from the newest survey version that asks them, so pages and agendas say "aged 16 to
24", never ``age_band=16-24``. No Flask.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from server.catalogue.surveys import registry_for
from server.issues.facts import equality_questions

METHOD_LABELS = {
    "doorstep": "Door to door",
    "event": "Events",
    "kiosk": "Kiosk",
    "meeting": "Meetings",
}
# Short names for the equality questions the bundled surveys ask; others use their label.
QUESTION_NAMES = {"age_band": "Age group", "gender": "Gender"}
NOT_SAID = frozenset({"prefer-not-to-say", "prefer_not_to_say", "prefer-not", "no-answer"})


def method_label(method: str) -> str:
    """Return the name people read for a method code."""
    return METHOD_LABELS.get(method, method.replace("-", " ").replace("_", " ").capitalize())


@dataclass(frozen=True)
class EqualityQuestion:
    """An equality-monitoring question: its short name and its choices (value, label)."""

    id: str
    name: str
    choices: tuple[tuple[str, str], ...]

    def label(self, value: str) -> str:
        """Return the label of a value (the value itself when no version names it)."""
        return dict(self.choices).get(value, value)

    @property
    def groups(self) -> tuple[tuple[str, str], ...]:
        """Return the choices that name a group of people (not "prefer not to say")."""
        return tuple((v, t) for v, t in self.choices if v not in NOT_SAID)


def _short(label: str) -> str:
    text = re.sub(r"\s*\(.*?\)\s*", " ", label).strip().rstrip("?").strip()
    return text[:1].upper() + text[1:]


def equality_catalogue(session: Session) -> dict[str, EqualityQuestion]:
    """Return every equality question by id, named by the newest survey version asking it."""
    out: dict[str, EqualityQuestion] = {}
    for survey in registry_for(session):  # oldest first: newer versions overwrite
        for qid in sorted(equality_questions(survey)):
            q = survey.question(qid)
            if q is None:
                continue
            choices = tuple((c.value, c.label.get("en") or c.value) for c in q.choices)
            name = QUESTION_NAMES.get(qid) or _short(q.label.get("en") or qid)
            out[qid] = EqualityQuestion(qid, name, choices)
    return out
