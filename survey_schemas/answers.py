"""Check a response's answers against its survey version."""

from __future__ import annotations

import math
import re
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable, Mapping
from datetime import date
from functools import lru_cache, partial, wraps
from typing import Any, TypeVar

from .model import Question, Survey
from .relevance import is_relevant

FieldErrors = dict[str, list[str]]
MAX_TEXT = 5000  # a text question without max_length still has a ceiling
PER_SURVEY_CACHE = 64  # survey versions whose worked-out checks are kept
T = TypeVar("T")


@lru_cache(maxsize=256)
def compile_pattern(p: str) -> re.Pattern[str]:
    """Compile a constraint pattern once; raises re.error when it is not a regular expression."""
    with warnings.catch_warnings():
        # Python warns (FutureWarning) about patterns such as "[[a]" whose meaning may change;
        # they are valid today, and a warning must not turn an author's pattern into a crash.
        warnings.simplefilter("ignore", FutureWarning)
        return re.compile(p)


def is_answered(value: Any) -> bool:
    """Return whether a value counts as an answer (None, "" and [] do not)."""
    return value is not None and value != "" and value != []


def per_survey(build: Callable[[Survey], T]) -> Callable[[Survey], T]:
    """Cache what ``build`` works out from a survey version, once per :class:`Survey` object.

    Keyed by the object itself (held, so its id is never reused while cached), not by
    ``(id, version)``: two databases may hold different definitions under one version.
    """
    cache: OrderedDict[int, tuple[Survey, T]] = OrderedDict()
    lock = threading.Lock()

    @wraps(build)
    def cached(survey: Survey) -> T:
        hit = cache.get(id(survey))
        if hit is not None and hit[0] is survey:
            return hit[1]
        value = build(survey)
        with lock:
            cache[id(survey)] = (survey, value)
            while len(cache) > PER_SURVEY_CACHE:
                cache.popitem(last=False)
        return value

    return cached


Test = Callable[[Mapping[str, Any]], bool]
Quick = Callable[[Any], bool]
# (question, required, relevance test or None, questions it depends on or None, quick check)
_Step = tuple[Question, bool, Test | None, frozenset[str] | None, Quick | None]


def _quick_check(q: Question) -> Quick | None:
    """Return a test that is True only for answers ``check_value`` surely accepts.

    Anything else still goes through ``check_value``, the one source of every message.
    """
    values = q.choice_values
    if q.type == "single_choice":
        return lambda v: type(v) is str and v in values
    if q.type == "multiple_choice":
        exclusive, least, most = q.exclusive, q.min_selected, q.max_selected

        def many(v: Any) -> bool:
            if type(v) is not list or not all(type(x) is str for x in v):
                return False
            chosen = set(v)
            n = len(v)
            return (
                len(chosen) == n
                and chosen <= values
                and (n < 2 or exclusive.isdisjoint(chosen))
                and (least is None or n >= least)
                and (most is None or n <= most)
            )

        return many
    if q.type in ("number", "scale"):
        lo, hi = q.min, q.max
        return lambda v: type(v) is int and (lo is None or v >= lo) and (hi is None or v <= hi)
    if q.type in ("yes_no", "consent"):
        return lambda v: v is True or v is False
    return None


@per_survey
def _steps(survey: Survey) -> tuple[_Step, ...]:
    """Return what checking each question needs, in question order (once per version)."""
    steps = []
    for q in survey.questions:
        test = q.relevant_test
        if test is None and q.relevant is not None:
            test = partial(is_relevant, q.relevant)
        steps.append((q, q.required, test, q.depends_on or None, _quick_check(q)))
    return tuple(steps)


def validate_answers(
    survey: Survey, answers: Any, *, opaque: frozenset[str] = frozenset()
) -> FieldErrors:
    """Return field errors for ``answers`` (question id -> value); empty means valid.

    Questions are checked in order: an irrelevant question must be unanswered, a
    relevant required one must be answered, and each answer must fit its type.
    ``opaque`` answers (sealed contact details, which only the group can open) are checked
    for relevance only. Never raises for any JSON-like input.
    """
    if not isinstance(answers, Mapping):
        return {"answers": ["must be an object of question id to answer"]}
    errors: FieldErrors = {}
    by_id = survey.by_id
    for key in answers:
        if not isinstance(key, str) or key not in by_id:
            errors[str(key)] = ["not a question in this survey"]
    given: dict[str, Any] = {}
    broken: set[str] = set()
    for q, required, test, depends_on, quick in _steps(survey):
        qid = q.id
        value = answers.get(qid)
        answered = value is not None and value != "" and value != []
        if depends_on is not None and broken and not depends_on.isdisjoint(broken):
            # Relevance hangs on an answer already reported as wrong: judging this question
            # would only echo that error, so leave it until the earlier answer is fixed.
            broken.add(qid)
            continue
        if test is not None and not test(given):
            if answered:
                errors[qid] = ["must be left unanswered: it does not apply given earlier answers"]
            continue
        if not answered:
            if required:
                errors[qid] = ["an answer is required"]
            continue
        if qid in opaque:
            given[qid] = value
            continue
        if quick is None or not quick(value):
            problem = check_value(q, value)
            if problem:
                errors[qid] = [problem]
                broken.add(qid)
                continue
        given[qid] = value
    return errors


def check_value(q: Question, value: Any) -> str | None:
    """Return what is wrong with one (non-empty) answer to ``q``, or None."""
    kind = q.type
    if kind == "single_choice":
        if not isinstance(value, str):
            return "must be one choice value (a string)"
        if value not in q.choice_values:
            return f"{_short(value)} is not one of the choices"
    elif kind == "multiple_choice":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "must be a list of choice values"
        unknown = [v for v in value if v not in q.choice_values]
        if unknown:
            return f"{_short(unknown[0])} is not one of the choices"
        if len(set(value)) != len(value):
            return "a choice is listed twice"
        if len(value) > 1:
            alone = next((v for v in value if v in q.exclusive), None)
            if alone is not None:
                return f"{_short(alone)} cannot be chosen together with other answers"
        if q.min_selected is not None and len(value) < q.min_selected:
            return f"choose at least {q.min_selected}"
        if q.max_selected is not None and len(value) > q.max_selected:
            return f"choose at most {q.max_selected}"
    elif kind in ("text", "street"):
        if not isinstance(value, str):
            return "must be text"
        limit = q.max_length or MAX_TEXT
        if len(value) > limit:
            return f"must be at most {limit} characters (got {len(value)})"
        if "\x00" in value:
            return "must not contain NUL characters"
        if q.pattern is not None and not compile_pattern(q.pattern).fullmatch(value):
            return "is not in the expected form"
    elif kind in ("number", "scale"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return "must be a number"
        if isinstance(value, float) and not math.isfinite(value):
            return "must be a finite number"
        if q.integer and value != int(value):
            return "must be a whole number"
        if q.min is not None and value < q.min:
            return f"must be at least {_num(q.min)}"
        if q.max is not None and value > q.max:
            return f"must be at most {_num(q.max)}"
    elif kind in ("yes_no", "consent"):
        if not isinstance(value, bool):
            return "must be true or false"
    elif kind == "date":
        if not isinstance(value, str) or len(value) != 10:
            return "must be a date written YYYY-MM-DD"
        try:
            date.fromisoformat(value)
        except ValueError:
            return "must be a date written YYYY-MM-DD"
        if q.date_min is not None and value < q.date_min:
            return f"must be on or after {q.date_min}"
        if q.date_max is not None and value > q.date_max:
            return f"must be on or before {q.date_max}"
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "...'"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
