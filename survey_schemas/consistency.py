"""Cross-field checks of a survey definition: ids, references, categories, translations.

These run on the raw JSON document, even when its structure has problems too, so that one
run of ``doorstep survey validate`` reports everything; each check skips what the structural
schema already reports as malformed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import CHOICE_TYPES, LANG
from .relevance import leaf_conditions, relevance_problems, requires_true
from .taxonomy import Taxonomy


def semantic_problems(raw: Mapping[str, Any], taxonomy: Taxonomy) -> list[str]:
    """Return one line per cross-field problem of a definition (empty when consistent)."""
    out: list[str] = []
    # An invalid language code is reported by the schema; checking texts against it is noise.
    langs = [lang for lang in _strings(raw.get("languages")) if LANG.match(lang)]
    if len(set(langs)) != len(langs):
        out.append("languages: a language is listed twice")
    methods = _strings(raw.get("methods"))
    if len(set(methods)) != len(methods):
        out.append("methods: a method is listed twice")
    out += _translation_problems(raw.get("title"), langs, "title")
    out += _translation_problems(raw.get("purpose"), langs, "purpose")
    questions = raw.get("questions")
    if not isinstance(questions, list):
        return out
    by_id = {q["id"]: q for q in questions if isinstance(q, dict) and isinstance(q.get("id"), str)}
    seen: dict[str, Mapping[str, Any]] = {}
    for n, q in enumerate(questions, start=1):
        if not isinstance(q, dict):
            continue
        qid = q.get("id") if isinstance(q.get("id"), str) else None
        where = f"question {qid!r}" if qid else f"question #{n}"
        if qid in seen:
            out.append(f"{where}: the id is used twice")
        out += _question_problems(q, where, langs, seen, by_id, taxonomy)
        if qid and qid not in seen:
            seen[qid] = q
    return out


def _question_problems(
    q: Mapping[str, Any],
    where: str,
    langs: list[str],
    seen: Mapping[str, Mapping[str, Any]],
    by_id: Mapping[str, Mapping[str, Any]],
    taxonomy: Taxonomy,
) -> list[str]:
    out = _translation_problems(q.get("label"), langs, f"{where}: label")
    out += _translation_problems(q.get("hint"), langs, f"{where}: hint")
    constraint = q.get("constraint")
    if isinstance(constraint, dict):
        out += _translation_problems(
            constraint.get("message"), langs, f"{where}: constraint message"
        )
    out += _choice_problems(q, where, langs, taxonomy)
    if isinstance(q.get("relevant"), dict):  # anything else is the schema's to report
        out += _relevance_problems(q, where, seen)
    target = q.get("severity_for")
    if isinstance(target, str):
        tq = by_id.get(target)
        if tq is None or not _is_choice(tq):
            out.append(f"{where}: severity_for names {target!r}, which is not a choice question")
        elif not any(isinstance(c, dict) and c.get("category") for c in _list(tq.get("choices"))):
            out.append(f"{where}: severity_for names {target!r}, whose choices name no category")
    if q.get("personal") is True:
        consent_ids = {qid for qid, x in seen.items() if x.get("type") == "consent"}
        if not requires_true(q.get("relevant"), consent_ids):
            out.append(
                f"{where}: personal data must be relevant only when an earlier consent "
                "question equals true"
            )
    return out


def _choice_problems(
    q: Mapping[str, Any], where: str, langs: list[str], taxonomy: Taxonomy
) -> list[str]:
    out: list[str] = []
    values: set[str] = set()
    for c in _list(q.get("choices")):
        if not isinstance(c, dict):
            continue
        value = c.get("value")
        name = f"choice {value!r}" if isinstance(value, str) else "a choice"
        if isinstance(value, str):
            if value in values:
                out.append(f"{where}: {name} is listed twice")
            values.add(value)
        out += _translation_problems(c.get("label"), langs, f"{where}: {name}")
        category = c.get("category")
        if isinstance(category, str) and category not in taxonomy:
            out.append(f"{where}: {name} names unknown category {category!r}")
    constraint = q.get("constraint")
    if isinstance(constraint, dict) and isinstance(constraint.get("exclusive"), list):
        for value in constraint["exclusive"]:
            if isinstance(value, str) and value not in values:
                out.append(f"{where}: constraint exclusive names {value!r}, which is not a choice")
    return out


def _relevance_problems(
    q: Mapping[str, Any], where: str, seen: Mapping[str, Mapping[str, Any]]
) -> list[str]:
    expr = q["relevant"]
    shape = relevance_problems(expr)
    if shape:
        return [f"{where}: relevant: {p}" for p in shape]
    out: list[str] = []
    for leaf in leaf_conditions(expr):
        ref = leaf["question"]
        if ref == q.get("id"):
            out.append(f"{where}: relevant names itself")
            continue
        target = seen.get(ref)
        if target is None:
            out.append(f"{where}: relevant names {ref!r}, which is not an earlier question")
            continue
        out += [f"{where}: relevant: {p}" for p in _leaf_value_problems(leaf, ref, target)]
    return out


def _leaf_value_problems(leaf: Mapping[str, Any], ref: str, target: Mapping[str, Any]) -> list[str]:
    """Catch conditions that can never hold, e.g. a value that is not one of the choices."""
    kind = target.get("type") if isinstance(target.get("type"), str) else None
    # A list, not a set: the condition's value may be any JSON, unhashable included.
    choices = [c.get("value") for c in _list(target.get("choices")) if isinstance(c, dict)]
    if "includes" in leaf:
        if not _is_choice(target):
            return [f"'includes' needs a choice question, and {ref!r} is a {kind}"]
        if leaf["includes"] not in choices:
            return [f"{leaf['includes']!r} is not a choice of {ref!r}"]
    if "equals" in leaf:
        want = leaf["equals"]
        if kind == "single_choice" and want not in choices:
            return [f"{want!r} is not a choice of {ref!r}"]
        if kind in ("yes_no", "consent") and not isinstance(want, bool):
            return [f"{ref!r} is answered true or false, never {want!r}"]
    return []


def _translation_problems(text: Any, langs: list[str], where: str) -> list[str]:
    if not isinstance(text, dict):
        return []
    out = [
        f"{where}: missing the {lang!r} text"
        for lang in langs
        if not (isinstance(text.get(lang), str) and text[lang].strip())
    ]
    out += [
        f"{where}: text in {extra!r}, which is not a declared language"
        for extra in sorted(str(k) for k in text if k not in langs)
        if langs
    ]
    return out


def _is_choice(q: Mapping[str, Any]) -> bool:
    kind = q.get("type")
    return isinstance(kind, str) and kind in CHOICE_TYPES


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
