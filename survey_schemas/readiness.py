"""Whether a valid survey is ready for people to answer: checks the format cannot make.

An XLSForm import is a valid survey whose purpose statement is a placeholder (docs/xlsform.md);
nobody should be asked its questions until someone writes why we ask. ``doorstep survey
validate`` reports these problems and ``doorstep server add-survey`` refuses such a survey.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .xlsform_languages import PURPOSE_PLACEHOLDER

__all__ = ["unready_problems"]

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
