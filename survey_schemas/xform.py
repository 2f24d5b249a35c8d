"""Render a doorstep survey version as an ODK XForm (DESIGN: OpenRosa contract), with pyxform.

The form is written as XLSForm rows in memory and handed to pyxform, which checks it and writes
the XForm, so the result is what ODK's own converter would make of the same sheet. The primary
instance is ``<data id="<survey id>" version="<version>">`` holding, in this order, ``area``,
``method``, one element per question (named by its id, in survey order) and ``meta`` with
``instanceID``, ``deprecatedID``, ``timeStart`` and ``timeEnd``. The same input always gives the
same bytes, so an md5 over them is a stable form hash. The mapping is documented in
docs/odk-collect.md; sync/openrosa.py reads the instances back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from pyxform.builder import create_survey_element_from_dict
from pyxform.errors import PyXFormError
from pyxform.xls2json import workbook_to_json
from pyxform.xls2json_backends import DefinitionData

from .answers import MAX_TEXT
from .model import QID, Question, Survey
from .response import AREA
from .xlsform_languages import LANGUAGE_NAMES

__all__ = [
    "AREA_FIELD",
    "META_FIELDS",
    "METHOD_FIELD",
    "NO",
    "RESERVED_NAMES",
    "ROOT",
    "YES",
    "XFormError",
    "itext_language",
    "number_text",
    "render_xform",
]

ROOT = "data"  # the primary instance's root element; the survey id travels in its id attribute
AREA_FIELD, METHOD_FIELD, META = "area", "method", "meta"
META_FIELDS = ("instanceID", "deprecatedID", "timeStart", "timeEnd")
RESERVED_NAMES = frozenset({AREA_FIELD, METHOD_FIELD, META})
YES, NO = "yes", "no"
# Lists of the form's own fields, named so that no question's list (q_<id>) can take them.
AREA_LIST, METHOD_LIST, YES_NO_LIST = "doorstep_areas", "doorstep_methods", "doorstep_yes_no"

# XML 1.0 characters; anything else cannot be written in an XForm or an instance at all.
_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_XML_SPACE = re.compile("[ \t\n\r]")
# pyxform reads ${name} in any text as a reference to a question; a word joiner keeps it text.
_REFERENCE = "${"
_WORD_JOINER = "\u2060"

# The form's own words in the bundled languages; other languages get the English ones.
_WORDS: dict[str, dict[str, str]] = {
    "en": {
        "area": "Area",
        "method": "How is this response collected?",
        "yes": "Yes",
        "no": "No",
        "doorstep": "Door to door",
        "event": "At an event",
        "kiosk": "At a kiosk",
        "meeting": "At a group meeting",
    },
    "pl": {
        "area": "Obszar",
        "method": "Jak zbierana jest ta odpowiedź?",
        "yes": "Tak",
        "no": "Nie",
        "doorstep": "Od drzwi do drzwi",
        "event": "Na wydarzeniu",
        "kiosk": "W kiosku",
        "meeting": "Na spotkaniu grupy",
    },
    "ur": {
        "area": "علاقہ",
        "method": "یہ جواب کیسے جمع کیا جا رہا ہے؟",
        "yes": "ہاں",
        "no": "نہیں",
        "doorstep": "گھر گھر جا کر",
        "event": "کسی تقریب میں",
        "kiosk": "کیوسک پر",
        "meeting": "گروپ کے اجلاس میں",
    },
}
_LANGUAGE_NAME = {code: name.title() for name, code in reversed(LANGUAGE_NAMES.items())}


class XFormError(ValueError):
    """A survey version cannot be rendered as an XForm; ``problems`` says why, one per line."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def render_xform(
    survey: Survey,
    areas: Iterable[tuple[str, str]],
    methods: Sequence[str] | None = None,
    *,
    warnings: list[str] | None = None,
) -> bytes:
    """Return the XForm (UTF-8 bytes) of ``survey`` offering ``areas`` (code, name) and methods.

    ``methods`` narrows the survey's methods (default: all of them); the first one offered is
    the form's default. Areas are listed by name, then code, whatever order they come in, so the
    bytes depend only on what is offered. ``warnings`` (if given) receives pyxform's warnings.
    Raises :class:`XFormError` naming each problem.
    """
    where = f"{survey.id} v{survey.version}"
    area_list = sorted(set(areas), key=lambda a: (a[1], a[0]))
    offered = list(survey.methods if methods is None else methods)
    problems = _problems(survey, area_list, offered)
    if problems:
        raise XFormError([f"{where}: {p}" for p in problems])
    rows = _Rows(survey)
    sheets = {
        "survey": rows.survey(area_list, offered),
        "choices": rows.choices,
        "settings": [
            {
                "form_id": survey.id,
                "version": str(survey.version),
                "form_title": _text(survey.title[survey.languages[0]]),
                "default_language": itext_language(survey.languages[0]),
            }
        ],
    }
    warnings = [] if warnings is None else warnings
    try:
        form = workbook_to_json(
            DefinitionData(**sheets), form_name=ROOT, fallback_form_name=ROOT, warnings=warnings
        )
        _add_meta(form)
        xml = create_survey_element_from_dict(form).to_xml(
            validate=False, pretty_print=False, warnings=warnings
        )
    except PyXFormError as exc:  # a bug here rather than in the survey: say so plainly
        raise XFormError([f"{where}: pyxform refused the form: {exc}"]) from None
    return xml.encode("utf-8")


def itext_language(code: str) -> str:
    """Return the XForm language name for a language code: 'English (en)', 'Polish (pl)'.

    This is the XLSForm convention (``label::English (en)``) that ODK Collect and Enketo read;
    survey_schemas.xlsform reads the code back from the parentheses.
    """
    base = code.split("-")[0]
    return f"{_LANGUAGE_NAME.get(base, code)} ({code})"


def number_text(value: float) -> str:
    """Write a number as an XForm holds it: digits, no exponent (1e-07 is 0.0000001).

    A float keeps a decimal point (3.0, 10000000000000000.0) and an int has none, so the text
    reads back as the same kind of number, exactly.
    """
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(repr(value)), "f")
    return text if "." in text else text + ".0"


def _problems(survey: Survey, areas: list[tuple[str, str]], methods: list[str]) -> list[str]:
    """Return why the survey, areas or methods cannot make an XForm (empty: they can)."""
    out: list[str] = []
    if not areas:
        out.append("no areas to offer: a form needs at least one area")
    codes = [code for code, _ in areas]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        out.append(f"area {code!r} is offered twice")
    for code, name in areas:
        if not isinstance(code, str) or not AREA.regex.match(code):
            out.append(f"area {code!r} is not an area code")
        elif not isinstance(name, str) or _XML_CHAR.search(name):
            out.append(f"area {code!r}: its name cannot be written in XML")
    if not methods:
        out.append("no methods to offer")
    for m in methods:
        if m not in survey.methods:
            out.append(f"method {m!r} is not one of the survey's methods {list(survey.methods)}")
    if len(set(methods)) != len(methods):
        out.append("a method is offered twice")
    for q in survey.questions:
        out += [f"question {q.id!r}: {p}" for p in _question_problems(q)]
    for lang in survey.languages:
        for where, text in _texts_of(survey, lang):
            if _XML_CHAR.search(text):
                out.append(f"{where} ({lang}) holds a character XML cannot carry")
    return out


def _question_problems(q: Question) -> list[str]:
    out: list[str] = []
    if q.id in RESERVED_NAMES:
        out.append(
            f"the id {q.id!r} is taken by the form's own {', '.join(sorted(RESERVED_NAMES))} "
            "fields; rename the question in a new survey version"
        )
    elif not QID.match(q.id):
        # QID admits only XML names (a name starting with "xml" too: pyxform, ODK Validate
        # and ODK's engine all take it, though XML reserves such names).
        out.append(f"the id {q.id!r} cannot be an XML element name")
    for c in q.choices:
        if _XML_SPACE.search(c.value):
            out.append(
                f"choice value {c.value!r} holds a space, which an XForm uses to separate "
                "chosen values; change the value in a new survey version"
            )
        elif _XML_CHAR.search(c.value) or _REFERENCE in c.value:
            out.append(f"choice value {c.value!r} cannot be written in an XForm")
    if q.pattern is not None and (_XML_CHAR.search(q.pattern) or _REFERENCE in q.pattern):
        out.append("the constraint pattern cannot be written in an XForm")
    return out


def _texts_of(survey: Survey, lang: str) -> Iterable[tuple[str, str]]:
    yield "title", survey.title.get(lang, "")
    yield "purpose", survey.purpose.get(lang, "")
    for q in survey.questions:
        yield f"question {q.id!r} label", q.label.get(lang, "")
        for name, texts in (("hint", q.hint), ("constraint message", q.constraint_message)):
            if texts:
                yield f"question {q.id!r} {name}", texts.get(lang, "")
        for c in q.choices:
            yield f"question {q.id!r} choice {c.value!r}", c.label.get(lang, "")


class _Rows:
    """The XLSForm sheets (survey and choices rows) of one survey."""

    def __init__(self, survey: Survey):
        self.s = survey
        self.langs = survey.languages
        self.choices: list[dict[str, str]] = []

    def texts(self, column: str, texts: Mapping[str, str] | None) -> dict[str, str]:
        """Return ``{column::Language (xx): text}`` for every language of the survey."""
        if not texts:
            return {}
        return {f"{column}::{itext_language(lang)}": _text(texts[lang]) for lang in self.langs}

    def words(self, column: str, key: str) -> dict[str, str]:
        """Return the form's own word ``key`` in every language (English where none is known)."""
        return {
            f"{column}::{itext_language(lang)}": _WORDS.get(lang.split("-")[0], _WORDS["en"])[key]
            for lang in self.langs
        }

    def add_choices(self, list_name: str, items: Iterable[tuple[str, dict[str, str]]]) -> None:
        for value, labels in items:
            self.choices.append({"list_name": list_name, "name": value, **labels})

    def survey(self, areas: list[tuple[str, str]], methods: list[str]) -> list[dict[str, str]]:
        """Return the survey sheet: area, method, then every question in order."""
        same = {lang: "" for lang in self.langs}
        self.add_choices(
            AREA_LIST,
            ((code, self.texts("label", {k: name or code for k in same})) for code, name in areas),
        )
        self.add_choices(METHOD_LIST, ((m, self.words("label", m)) for m in methods))
        self.add_choices(YES_NO_LIST, ((v, self.words("label", v)) for v in (YES, NO)))
        area = {
            "type": f"select_one {AREA_LIST}",
            "name": AREA_FIELD,
            "required": "yes",
            **self.words("label", "area"),
            # The purpose statement is shown before the first question (DESIGN lesson 1).
            **self.texts("hint", self.s.purpose),
        }
        if len(areas) == 1:
            area["default"] = areas[0][0]
        method = {
            "type": f"select_one {METHOD_LIST}",
            "name": METHOD_FIELD,
            "required": "yes",
            "default": methods[0],
            **self.words("label", "method"),
        }
        return [area, method, *(self.question(q) for q in self.s.questions)]

    def question(self, q: Question) -> dict[str, str]:
        row = {"type": self.kind(q), "name": q.id, **self.texts("label", q.label)}
        row.update(self.texts("hint", q.hint))
        if q.required:
            row["required"] = "yes"
        if q.relevant is not None:
            row["relevant"] = _condition(q.relevant, self.s)
        constraint = _constraint(q)
        if constraint:
            row["constraint"] = constraint
            row.update(self.texts("constraint_message", q.constraint_message))
        return row

    def kind(self, q: Question) -> str:
        """Return the XLSForm type of ``q``, adding its choice list to the choices sheet."""
        if q.type in ("single_choice", "multiple_choice"):
            name = f"q_{q.id}"
            self.add_choices(name, ((c.value, self.texts("label", c.label)) for c in q.choices))
            return f"{'select_one' if q.type == 'single_choice' else 'select_multiple'} {name}"
        if q.type in ("yes_no", "consent"):
            return f"select_one {YES_NO_LIST}"
        if q.type in ("number", "scale"):
            return "integer" if q.integer else "decimal"
        return "date" if q.type == "date" else "text"


def _add_meta(form: dict[str, Any]) -> None:
    """Add deprecatedID, timeStart and timeEnd after pyxform's meta/instanceID."""
    meta = next(c for c in form["children"] if c.get("name") == META and c["type"] == "group")
    meta["children"] += [
        {"name": "deprecatedID", "type": "calculate", "bind": {"readonly": "true()"}},
        {"name": "timeStart", "type": "start"},
        {"name": "timeEnd", "type": "end"},
    ]


def _text(text: str) -> str:
    """Keep a text as written: pyxform would read ``${name}`` in it as a reference."""
    return text.replace(_REFERENCE, "$" + _WORD_JOINER + "{")


def _literal(text: str) -> str:
    """Return an XPath string literal for ``text`` (XPath 1.0 has no escapes inside quotes)."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"


def _constraint(q: Question) -> str:
    """Return the XPath constraint of ``q`` (empty when it has none)."""
    parts: list[str] = []
    if q.type in ("text", "street"):
        parts.append(f"string-length(.) <= {q.max_length or MAX_TEXT}")
        if q.pattern is not None:
            # doorstep matches the whole answer (re.fullmatch); ODK's regex() finds a match.
            parts.append(f"regex(., {_literal('^(?:' + q.pattern + ')$')})")
    elif q.type in ("number", "scale"):
        if q.min is not None:
            parts.append(f". >= {number_text(q.min)}")
        if q.max is not None:
            parts.append(f". <= {number_text(q.max)}")
    elif q.type == "date":
        if q.date_min is not None:
            parts.append(f". >= date({_literal(q.date_min)})")
        if q.date_max is not None:
            parts.append(f". <= date({_literal(q.date_max)})")
    elif q.type == "multiple_choice":
        for value in sorted(q.exclusive):
            parts.append(f"not(selected(., {_literal(value)}) and count-selected(.) > 1)")
        if q.min_selected is not None:
            parts.append(f"count-selected(.) >= {q.min_selected}")
        if q.max_selected is not None:
            parts.append(f"count-selected(.) <= {q.max_selected}")
    return " and ".join(parts)


def _condition(expr: Mapping[str, Any], survey: Survey) -> str:
    """Translate a relevance condition into XPath over ``${question}`` references.

    doorstep reads only answers to earlier questions that apply and are answered, and an answer
    matches a value only of its own kind; a comparison that can never hold becomes ``false()``.
    """
    if "all" in expr or "any" in expr:
        op, parts = ("and", expr["all"]) if "all" in expr else ("or", expr["any"])
        return f" {op} ".join(f"({_condition(p, survey)})" for p in parts)
    if "not" in expr:
        return f"not({_condition(expr['not'], survey)})"
    q = survey.by_id[expr["question"]]
    ref = "${" + q.id + "}"
    if "answered" in expr:
        return f"{ref} != ''" if expr["answered"] else f"{ref} = ''"
    if "includes" in expr:
        item = expr["includes"]
        if not isinstance(item, str) or item not in q.choice_values:
            return "false()"
        if q.type == "multiple_choice":
            return f"selected({ref}, {_literal(item)})"
        return f"{ref} = {_literal(item)}"
    return _equals(q, ref, expr["equals"])


def _equals(q: Question, ref: str, want: Any) -> str:
    """Translate ``{"question": q, "equals": want}`` with doorstep's exact meaning."""
    if q.type in ("yes_no", "consent"):
        return f"{ref} = '{YES if want else NO}'" if isinstance(want, bool) else "false()"
    if q.type in ("number", "scale"):
        if isinstance(want, bool) or not isinstance(want, int | float) or want != want:
            return "false()"
        return f"{ref} = {number_text(want)}"
    if q.type == "multiple_choice":
        # An answer is the list of values in the order the instance holds them, so the list
        # equals ``want`` exactly when the space-separated text does.
        if (
            not isinstance(want, list)
            or not want
            or not all(isinstance(v, str) and v in q.choice_values for v in want)
            or len(set(want)) != len(want)
        ):
            return "false()"
        return f"{ref} = {_literal(' '.join(want))}"
    if not isinstance(want, str) or want == "" or _XML_CHAR.search(want):
        return "false()"  # an unanswered question never equals anything
    if q.type == "single_choice" and want not in q.choice_values:
        return "false()"
    return f"{ref} = {_literal(want)}"
