"""Plain typed objects for a loaded survey definition."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

CHOICE_TYPES = frozenset({"single_choice", "multiple_choice"})
TEXT_TYPES = frozenset({"text", "street"})
QUESTION_TYPES = frozenset(
    {
        "single_choice",
        "multiple_choice",
        "text",
        "number",
        "scale",
        "yes_no",
        "date",
        "street",
        "consent",
    }  # fmt: skip
)
METHODS = ("doorstep", "event", "kiosk", "meeting")
SLUG = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")  # survey ids
QID = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")  # question ids
LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")  # BCP 47 language and region


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a choice question; ``category`` makes choosing it a mention."""

    value: str
    label: Mapping[str, str]
    category: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """One question, with the rules an answer to it must follow."""

    id: str
    type: str
    label: Mapping[str, str]
    required: bool = False
    relevant: Mapping[str, Any] | None = None
    choices: tuple[Choice, ...] = ()
    min: float | None = None
    max: float | None = None
    integer: bool = False
    max_length: int | None = None
    pattern: str | None = None
    min_selected: int | None = None
    max_selected: int | None = None
    exclusive: frozenset[str] = frozenset()
    constraint_message: Mapping[str, str] | None = None
    severity_for: str | None = None
    issue_text: bool = False
    personal: bool = False
    hint: Mapping[str, str] | None = None
    date_min: str | None = None
    date_max: str | None = None
    choice_values: frozenset[str] = field(default=frozenset(), compare=False)
    depends_on: frozenset[str] = field(default=frozenset(), compare=False)
    # The relevance condition compiled once at load (relevance.compile_condition).
    relevant_test: Callable[[Mapping[str, Any]], bool] | None = field(
        default=None, compare=False, repr=False
    )

    def choice(self, value: str) -> Choice | None:
        """Return the choice with ``value``, or None."""
        for c in self.choices:
            if c.value == value:
                return c
        return None


@dataclass(frozen=True)
class Survey:
    """A released survey version; ``definition`` is the JSON document it came from."""

    id: str
    version: int
    title: Mapping[str, str]
    purpose: Mapping[str, str]
    languages: tuple[str, ...]
    methods: tuple[str, ...]
    questions: tuple[Question, ...]
    definition: Mapping[str, Any] = field(compare=False, repr=False)
    content_hash: str = field(default="", compare=False)
    by_id: Mapping[str, Question] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_id", {q.id: q for q in self.questions})

    @property
    def key(self) -> tuple[str, int]:
        """Return ``(id, version)``, the identity of a released version."""
        return (self.id, self.version)

    def question(self, qid: str) -> Question | None:
        """Return the question named ``qid``, or None."""
        return self.by_id.get(qid)
