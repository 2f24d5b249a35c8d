"""UI strings of the collector web app in every survey language (en, pl, ur).

Survey texts (titles, purposes, questions) come from the survey definitions; these are only the
words around them, kept in ``strings/<lang>.json``. A missing string falls back to English, so a
new language can start small: add its file, and its name to ``NAMES``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

DEFAULT = "en"
RTL = frozenset({"ar", "fa", "he", "ps", "ur", "yi"})
NAMES: dict[str, str] = {"en": "English", "pl": "Polski", "ur": "اردو"}

STRINGS_DIR = Path(__file__).resolve().parent / "strings"


def _load() -> dict[str, dict[str, str]]:
    """Read every language's UI strings (``strings/<lang>.json``, one file per translator)."""
    return {
        path.stem: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(STRINGS_DIR.glob("*.json"))
    }


STRINGS: dict[str, dict[str, str]] = _load()


def translate(lang: str, key: str, **values: object) -> str:
    """Return the UI string ``key`` in ``lang`` (English if missing), filled with ``values``."""
    text = STRINGS.get(lang, {}).get(key) or STRINGS[DEFAULT][key]
    return text.format(**values) if values else text


def direction(lang: str) -> str:
    """Return the writing direction of a language: ``rtl`` or ``ltr``."""
    return "rtl" if lang.split("-")[0] in RTL else "ltr"


def pick(texts: Mapping[str, str] | None, lang: str) -> str:
    """Return a survey text in ``lang``, else English, else any language it has."""
    if not texts:
        return ""
    return texts.get(lang) or texts.get(DEFAULT) or next(iter(texts.values()), "")


def language_name(lang: str) -> str:
    """Return a language's name written in that language (its code if unknown)."""
    return NAMES.get(lang, lang)


def ordered(languages: Iterable[str]) -> list[str]:
    """Return languages with English first, then the rest in a stable order."""
    unique = set(languages) | {DEFAULT}
    return [DEFAULT, *sorted(unique - {DEFAULT})]
