"""Whether a valid survey is ready for people to answer: checks the format cannot make.

An XLSForm import is a valid survey whose purpose statement is a placeholder (docs/xlsform.md);
nobody should be asked its questions until someone writes why we ask. ``doorstep survey
validate`` reports these problems and ``doorstep server add-survey`` refuses such a survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .xlsform_languages import PURPOSE_PLACEHOLDER

__all__ = ["unready_problems", "write_purpose"]

PLACEHOLDER_START = PURPOSE_PLACEHOLDER.split(":", 1)[0]


def unready_problems(definition: Mapping[str, Any]) -> list[str]:
    """Return one line per reason a valid survey may not be used yet (none when it is ready)."""
    marks = definition.get("x-xlsform")
    marked = isinstance(marks, Mapping) and bool(marks.get("purpose_placeholder"))
    purpose = definition.get("purpose")
    texts = purpose.values() if isinstance(purpose, Mapping) else ()
    placeholder = any(str(text).startswith(PLACEHOLDER_START) for text in texts)
    if not (marked or placeholder):
        return []
    name = f"{definition.get('id')} v{definition.get('version')}"
    return [
        f"{name}: purpose: still the XLSForm placeholder; write why we ask, who sees the "
        "answers and what the group can change, in every language, then remove "
        "x-xlsform.purpose_placeholder"
    ]


def write_purpose(definition: Mapping[str, Any], text: str) -> dict[str, Any]:
    """Return a copy whose placeholder purpose texts are replaced by ``text``, mark removed.

    For an imported XLSForm, which has no purpose statement of its own. Languages whose purpose
    was already written keep it.
    """
    out = dict(definition)
    purpose = definition.get("purpose")
    texts = dict(purpose) if isinstance(purpose, Mapping) else {}
    for lang in definition.get("languages") or ["en"]:
        current = str(texts.get(lang, ""))
        if not current.strip() or current.startswith(PLACEHOLDER_START):
            texts[lang] = text
    out["purpose"] = texts
    marks = definition.get("x-xlsform")
    if isinstance(marks, Mapping):
        rest = {k: v for k, v in marks.items() if k != "purpose_placeholder"}
        if rest:
            out["x-xlsform"] = rest
        else:
            out.pop("x-xlsform")
    return out
