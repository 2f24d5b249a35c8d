"""Relevance conditions: a tiny, safe interpreter over earlier answers (never ``eval``).

A condition is one of::

    {"question": "q", "equals": value}      the answer is exactly value
    {"question": "q", "includes": value}    a multiple-choice answer contains value
                                            (a single-choice answer equals it)
    {"question": "q", "answered": true}     the question has an answer (false: it has none)
    {"all": [cond, ...]}  {"any": [cond, ...]}  {"not": cond}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_DEPTH = 20
_LEAF_OPS = ("equals", "includes", "answered")


def relevance_problems(expr: Any, depth: int = 0) -> list[str]:
    """Return what is wrong with a condition's shape (empty when it is well formed)."""
    if depth > MAX_DEPTH:
        return [f"nested deeper than {MAX_DEPTH} levels"]
    if not isinstance(expr, Mapping):
        return ["a condition must be an object"]
    keys = set(expr)
    if keys in ({"all"}, {"any"}):
        parts = expr["all"] if "all" in expr else expr["any"]
        if not isinstance(parts, list) or not parts:
            return [f"{next(iter(keys))!r} needs a non-empty list of conditions"]
        return [p for part in parts for p in relevance_problems(part, depth + 1)]
    if keys == {"not"}:
        return relevance_problems(expr["not"], depth + 1)
    if "question" in keys:
        ops = keys - {"question"}
        if len(ops) != 1 or next(iter(ops)) not in _LEAF_OPS:
            return [f"a question condition takes exactly one of {', '.join(_LEAF_OPS)}"]
        if not isinstance(expr["question"], str):
            return ["'question' must be a question id"]
        if "answered" in ops and not isinstance(expr["answered"], bool):
            return ["'answered' must be true or false"]
        return []
    return [f"unknown condition keys {sorted(keys)}"]


def referenced_questions(expr: Any) -> set[str]:
    """Return the ids of the questions a (well-formed) condition reads."""
    if not isinstance(expr, Mapping):
        return set()
    if "question" in expr:
        return {expr["question"]} if isinstance(expr["question"], str) else set()
    out: set[str] = set()
    for key in ("all", "any"):
        for part in expr.get(key) or ():
            out |= referenced_questions(part)
    if "not" in expr:
        out |= referenced_questions(expr["not"])
    return out


def is_relevant(expr: Mapping[str, Any] | None, answers: Mapping[str, Any]) -> bool:
    """Evaluate a condition against the answers given so far (None means always relevant)."""
    if expr is None:
        return True
    if "question" in expr:
        value = answers.get(expr["question"])
        if "equals" in expr:
            want = expr["equals"]
            # True == 1 in Python; a yes/no answer must not match the number 1.
            return value == want and isinstance(value, bool) == isinstance(want, bool)
        if "includes" in expr:
            if isinstance(value, list):
                return expr["includes"] in value
            return value is not None and value == expr["includes"]
        answered = value is not None and value != "" and value != []
        return answered == expr["answered"]
    if "all" in expr:
        return all(is_relevant(p, answers) for p in expr["all"])
    if "any" in expr:
        return any(is_relevant(p, answers) for p in expr["any"])
    return not is_relevant(expr["not"], answers)
