"""Languages of an imported XLSForm: column names to ISO codes, and a text for every language.

XLSForm lets a translation be missing (ODK then shows another language); doorstep requires every
declared language to have every text. A missing text is copied from the language-less column or
the first language that has it, and listed under ``x-xlsform.untranslated`` with a warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

PURPOSE_PLACEHOLDER = (
    "PURPOSE NOT WRITTEN YET: this survey was imported from an XLSForm. Before it is used, "
    "replace this with why we are asking, who will see the answers, and what the group can "
    "and cannot change."
)
LANGUAGE_NAMES = {
    "english": "en", "polish": "pl", "polski": "pl", "urdu": "ur", "punjabi": "pa",
    "panjabi": "pa", "bengali": "bn", "bangla": "bn", "gujarati": "gu", "hindi": "hi",
    "arabic": "ar", "somali": "so", "romanian": "ro", "lithuanian": "lt", "portuguese": "pt",
    "spanish": "es", "french": "fr", "german": "de", "italian": "it", "turkish": "tr",
    "kurdish": "ku", "persian": "fa", "farsi": "fa", "pashto": "ps", "tigrinya": "ti",
    "amharic": "am", "chinese": "zh", "mandarin": "zh", "cantonese": "yue", "tamil": "ta",
    "welsh": "cy", "russian": "ru", "ukrainian": "uk", "bulgarian": "bg", "swahili": "sw",
    "kiswahili": "sw", "dutch": "nl", "greek": "el", "hungarian": "hu", "slovak": "sk",
    "czech": "cs", "latvian": "lv", "albanian": "sq", "tagalog": "tl", "vietnamese": "vi",
    "nepali": "ne", "sinhala": "si", "yoruba": "yo", "igbo": "ig", "hausa": "ha",
}  # fmt: skip
CODE_IN_NAME = re.compile(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})?)\s*\)\s*$")


class Localiser:
    """Turn texts keyed by XLSForm language names into texts for every declared language."""

    def __init__(self, language: str, default_language: Any):
        self.language = language
        self.first = str(default_language or "")
        self.codes: dict[str, str] = {}

    def apply(self, d: dict[str, Any], problems: list[str], warnings: list[str]) -> dict[str, Any]:
        """Rewrite every text of ``d`` in place; return what goes under ``x-xlsform``."""
        slots = list(self.slots(d))
        names = [k for _, t in slots for k in t if k != "default"]
        if self.first in names:
            names.insert(0, self.first)
        for name in dict.fromkeys(names):
            code = lang_code(name)
            if code is None:
                problems.append(
                    f"language {name!r} has no ISO code: name the column like 'label::{name} (xx)'"
                )
            else:
                self.codes[name] = code
        langs = list(dict.fromkeys(self.codes.values()))
        label_default = any("default" in q["label"] for q in d["questions"])
        if not langs or (label_default and self.language not in langs):
            # The language-less column is the form's main language, so it goes first.
            langs.insert(0, self.language)
        self.codes["default"] = self.language
        d["languages"] = langs
        untranslated: dict[str, list[str]] = {}
        for where, texts in slots:
            filled = self.fill(texts, langs, where, untranslated)
            texts.clear()
            texts.update(filled)
        d["purpose"] = {lang: PURPOSE_PLACEHOLDER for lang in langs}
        for lang, places in untranslated.items():
            warnings.append(
                f"{len(places)} {lang!r} text(s) missing, copied from another language: "
                "translate them before use (listed under x-xlsform.untranslated)"
            )
        return {"untranslated": untranslated} if untranslated else {}

    def slots(self, d: dict[str, Any]) -> Iterable[tuple[str, dict[str, str]]]:
        """Yield (where, texts) for every translatable text of the definition."""
        yield "title", d["title"]
        for q in d["questions"]:
            where = f"question {q['id']!r}"
            yield f"{where}: label", q["label"]
            if "hint" in q:
                yield f"{where}: hint", q["hint"]
            if "message" in q.get("constraint", {}):
                yield f"{where}: constraint message", q["constraint"]["message"]
            for c in q.get("choices", []):
                yield f"{where}: choice {c['value']!r}", c["label"]

    def fill(
        self, texts: Mapping[str, str], langs: list[str], where: str, missing: dict[str, list[str]]
    ) -> dict[str, str]:
        """Return a text per language, copying (and listing) any that is missing."""
        by_code: dict[str, str] = {}
        # A named language column wins over the unnamed one for the same code.
        for name in sorted(texts, key=lambda k: k == "default", reverse=True):
            code = self.codes.get(name)
            if code and texts[name].strip():
                by_code[code] = texts[name]
        fallback = [texts.get("default", "")] + [by_code.get(lang, "") for lang in langs]
        spare = next((t for t in fallback if t.strip()), "")
        out: dict[str, str] = {}
        for lang in langs:
            if lang in by_code:
                out[lang] = by_code[lang]
            else:
                out[lang] = spare
                missing.setdefault(lang, []).append(where)
        return out


def lang_code(name: str) -> str | None:
    """Return the ISO code for an XLSForm language name such as 'English (en)' or 'english'."""
    m = CODE_IN_NAME.search(name)
    if m:
        primary, _, region = m.group(1).partition("-")
        return primary.lower() + (f"-{region}" if region else "")
    return LANGUAGE_NAMES.get(name.strip().lower())
