"""Relevance conditions: a tiny, safe interpreter over earlier answers (never ``eval``).

A condition is one of::

    {"question": "q", "equals": value}      the answer is exactly value
    {"question": "q", "includes": value}    a multiple-choice answer contains value
                                            (a single-choice answer equals it)
    {"question": "q", "answered": true}     the question has an answer (false: it has none)
    {"all": [cond, ...]}  {"any": [cond, ...]}  {"not": cond}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
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
    return {leaf["question"] for leaf in leaf_conditions(expr) if isinstance(leaf["question"], str)}


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


def leaf_conditions(expr: Any) -> list[Mapping[str, Any]]:
    """Return the ``{"question": ...}`` conditions inside a (well-formed) condition."""
    if not isinstance(expr, Mapping):
        return []
    if "question" in expr:
        return [expr]
    out: list[Mapping[str, Any]] = []
    for key in ("all", "any"):
        parts = expr.get(key)
        for part in parts if isinstance(parts, list) else ():
            out.extend(leaf_conditions(part))
    if "not" in expr:
        out.extend(leaf_conditions(expr["not"]))
    return out


def requires_true(expr: Any, question_ids: set[str]) -> bool:
    """Return whether a condition can hold only when one of ``question_ids`` equals true."""
    if not isinstance(expr, Mapping):
        return False
    if "question" in expr:
        qid = expr["question"]
        return isinstance(qid, str) and qid in question_ids and expr.get("equals") is True
    if "all" in expr and isinstance(expr["all"], list):
        return any(requires_true(part, question_ids) for part in expr["all"])
    if "any" in expr and isinstance(expr["any"], list) and expr["any"]:
        return all(requires_true(part, question_ids) for part in expr["any"])
    return False


Test = Callable[[Mapping[str, Any]], bool]


def compile_condition(expr: Mapping[str, Any] | None) -> Test:
    """Turn a well-formed condition into a function of the answers, same result as is_relevant.

    Survey loading compiles each question's condition once, so validating a response walks
    no dictionaries of the definition (about 13% of validate_answers' time, bench/validate.py).
    """
    if expr is None:
        return lambda answers: True
    if "question" in expr:
        qid = expr["question"]
        if "equals" in expr:
            want = expr["equals"]
            want_bool = isinstance(want, bool)

            def equals(answers: Mapping[str, Any]) -> bool:
                value = answers.get(qid)
                return value == want and isinstance(value, bool) == want_bool

            return equals
        if "includes" in expr:
            item = expr["includes"]

            def includes(answers: Mapping[str, Any]) -> bool:
                value = answers.get(qid)
                if isinstance(value, list):
                    return item in value
                return value is not None and value == item

            return includes
        wanted = expr["answered"]
        return lambda answers: (answers.get(qid) not in (None, "", [])) == wanted
    if "all" in expr:
        parts = [compile_condition(p) for p in expr["all"]]
        return lambda answers: all(p(answers) for p in parts)
    if "any" in expr:
        parts = [compile_condition(p) for p in expr["any"]]
        return lambda answers: any(p(answers) for p in parts)
    inner = compile_condition(expr["not"])
    return lambda answers: not inner(answers)
