"""Render and parse a survey's questions as an HTML form: one piece of code for every mode.

Parsing turns posted strings into typed answers (choice values, lists, numbers, booleans,
ISO dates); checking applies the survey's own rules (relevance, required, constraints) and
phrases each problem for the person holding the phone, in their language.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from collector.web.i18n import pick, translate
from survey_schemas import Question, Survey, is_answered, is_relevant, validate_answers
from survey_schemas.sealed import is_sealed

YES, NO = "yes", "no"
# The rule breaks a survey's own constraint message explains better than we can.
_CONSTRAINT_MESSAGES = ("is not in the expected form", "choose at", "cannot be chosen together")
# A condition quotes earlier questions; long ones are cut so the sentence stays readable.
QUOTE_LIMIT = 70
# Short text questions get a one-line input; longer ones a textarea.
ONE_LINE_LIMIT = 120


@dataclass(frozen=True)
class ChoiceView:
    """One radio or checkbox as the template draws it."""

    value: str
    label: str
    checked: bool
    html_id: str


@dataclass(frozen=True)
class FieldView:
    """Everything a template needs to draw one question."""

    qid: str
    type: str
    widget: str  # radios, checkboxes, input, textarea, number, date
    html_id: str
    label: str
    hint: str
    required: bool
    value: str
    choices: tuple[ChoiceView, ...]
    error: str | None
    condition: str | None
    relevant: Mapping[str, Any] | None
    max_length: int | None
    suggestions: tuple[str, ...] = ()
    optional: bool = False  # say "(optional)": not required, and the label does not say it

    @property
    def first_input_id(self) -> str:
        """Return the id the error summary links to (the first radio of a group)."""
        return self.choices[0].html_id if self.choices else self.html_id


@dataclass
class Parsed:
    """A posted form: typed answers, personal data apart, and problems by question id."""

    answers: dict[str, Any] = field(default_factory=dict)
    personal: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def merged(self) -> dict[str, Any]:
        """Return answers and personal data together, as the survey rules see them."""
        return {**self.answers, **self.personal}


def contact_questions(survey: Survey) -> frozenset[str]:
    """Return the questions that ask for contact details: the personal ones, and an optional
    consent question ("may we contact you?") that only they depend on.

    A device with no contact key for its group leaves these out (see docs/contact-details.md).
    """
    personal = {q.id for q in survey.questions if q.personal}
    gates = set()
    for q in survey.questions:
        if q.type == "consent" and not q.required and not q.personal:
            dependents = {o.id for o in survey.questions if q.id in (o.depends_on or ())}
            if dependents and dependents <= personal:
                gates.add(q.id)
    return frozenset(personal | gates)


def field_id(qid: str) -> str:
    """Return the HTML id of a question's input."""
    return f"q-{qid}"


def _widget(q: Question) -> str:
    if q.type in ("single_choice", "scale", "yes_no", "consent"):
        return "radios"
    if q.type == "multiple_choice":
        return "checkboxes"
    if q.type == "number":
        return "number"
    if q.type == "date":
        return "date"
    if q.type == "text" and (q.max_length is None or q.max_length > ONE_LINE_LIMIT):
        return "textarea"
    return "input"


def _choice_pairs(q: Question, lang: str) -> list[tuple[str, str]]:
    if q.type in ("single_choice", "multiple_choice"):
        return [(c.value, pick(c.label, lang)) for c in q.choices]
    if q.type == "scale":
        low, high = int(q.min or 1), int(q.max or 5)
        return [(str(n), str(n)) for n in range(low, high + 1)]
    if q.type == "yes_no":
        return [(YES, translate(lang, "yes")), (NO, translate(lang, "no"))]
    if q.type == "consent":
        return [(YES, translate(lang, "agree")), (NO, translate(lang, "disagree"))]
    return []


def _as_form_value(value: Any) -> Any:
    """Turn a stored answer back into what the form posts (for re-rendering)."""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return value


def condition_text(survey: Survey, expr: Mapping[str, Any] | None, lang: str) -> str | None:
    """Say in words when a conditional question applies, for pages read without JavaScript."""
    simpler = without_consent(survey, expr) if expr is not None else None
    if simpler is None:
        return None
    return translate(lang, "only_if", cond=_cond(survey, simpler, lang))


def without_consent(survey: Survey, expr: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """Drop "consent is yes" from a condition: declining consent discards every answer anyway."""
    if "all" in expr:
        parts = [p for p in (without_consent(survey, e) for e in expr["all"]) if p is not None]
        return None if not parts else parts[0] if len(parts) == 1 else {"all": parts}
    q = survey.question(expr["question"]) if "question" in expr else None
    if q is not None and q.type == "consent" and q.required and expr.get("equals") is True:
        return None
    return expr


def _cond(survey: Survey, expr: Mapping[str, Any], lang: str) -> str:
    if "all" in expr or "any" in expr:
        joiner = translate(lang, "cond_and" if "all" in expr else "cond_or")
        return joiner.join(_cond(survey, part, lang) for part in expr.get("all", expr.get("any")))
    if "not" in expr:
        inner = expr["not"]
        if "equals" in inner or "includes" in inner:
            return _leaf(survey, inner, lang, negated=True)
        return translate(lang, "cond_not", c=_cond(survey, inner, lang))
    return _leaf(survey, expr, lang)


def _leaf(survey: Survey, expr: Mapping[str, Any], lang: str, negated: bool = False) -> str:
    q = survey.question(expr["question"])
    qlabel = _shorten(pick(q.label, lang)) if q else expr["question"]
    if "answered" in expr:
        return translate(
            lang, "cond_answered" if expr["answered"] else "cond_not_answered", q=qlabel
        )
    want = expr.get("equals", expr.get("includes"))
    labels = dict(_choice_pairs(q, lang)) if q else {}
    alabel = labels.get(_as_form_value(want), str(_as_form_value(want)))
    key = "cond_includes" if "includes" in expr else "cond_is"
    if negated:
        key = key.replace("cond_", "cond_not_")
    return translate(lang, key, q=qlabel, a=alabel)


def field_views(
    survey: Survey,
    lang: str,
    *,
    values: Mapping[str, Any] | None = None,
    errors: Mapping[str, str] | None = None,
    only: Iterable[str] | None = None,
    suggestions: Iterable[str] = (),
) -> list[FieldView]:
    """Return the questions of ``survey`` ready to draw, with posted values and errors."""
    values, errors = values or {}, errors or {}
    wanted = set(only) if only is not None else None
    views = []
    for q in survey.questions:
        if wanted is not None and q.id not in wanted:
            continue
        current = _as_form_value(values.get(q.id))
        chosen = set(current) if isinstance(current, list) else {current}
        base = field_id(q.id)
        choices = tuple(
            ChoiceView(value, label, value in chosen, f"{base}-{i}")
            for i, (value, label) in enumerate(_choice_pairs(q, lang))
        )
        hint = pick(q.hint, lang)
        if q.type == "scale" and not hint:
            hint = translate(lang, "scale_hint", max=int(q.max or 5))
        views.append(
            FieldView(
                qid=q.id,
                type=q.type,
                widget=_widget(q),
                html_id=base,
                label=pick(q.label, lang),
                hint=hint,
                required=q.required,
                value=current if isinstance(current, str) else "",
                choices=choices,
                error=errors.get(q.id),
                condition=condition_text(survey, q.relevant, lang),
                relevant=q.relevant,
                max_length=q.max_length,
                suggestions=tuple(suggestions) if q.type == "street" else (),
                optional=not q.required and not _says_optional(pick(q.label, lang), lang),
            )
        )
    return views


def parse_form(
    survey: Survey, form: Any, lang: str, *, only: Iterable[str] | None = None
) -> Parsed:
    """Turn posted form fields into typed answers; note values that cannot be read."""
    wanted = set(only) if only is not None else None
    out = Parsed()
    for q in survey.questions:
        if wanted is not None and q.id not in wanted:
            continue
        if q.type == "multiple_choice":
            raw: Any = [v for v in form.getlist(q.id) if v]
        else:
            raw = (form.get(q.id) or "").strip()
        out.raw[q.id] = raw
        if not is_answered(raw):
            continue
        value, problem = _typed(q, raw, lang)
        if problem:
            out.errors[q.id] = problem
            continue
        (out.personal if q.personal else out.answers)[q.id] = value
    return out


def _typed(q: Question, raw: Any, lang: str) -> tuple[Any, str | None]:
    kind = q.type
    if kind in ("yes_no", "consent"):
        if raw not in (YES, NO):
            return None, translate(lang, "err_choose")
        return raw == YES, None
    if kind in ("number", "scale"):
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            return None, translate(lang, "err_number")
        if not math.isfinite(number):
            return None, translate(lang, "err_number")
        if number.is_integer():
            return int(number), None
        if q.integer or kind == "scale":
            return None, translate(lang, "err_whole")
        return number, None
    return raw, None


def check(survey: Survey, parsed: Parsed, lang: str, *, only: Iterable[str] | None = None) -> None:
    """Add the survey's own rule breaks to ``parsed.errors`` (for ``only`` questions if given)."""
    wanted = set(only) if only is not None else None
    sealed = frozenset(k for k, v in parsed.merged.items() if is_sealed(v))  # a kiosk draft's
    for qid, messages in validate_answers(survey, parsed.merged, opaque=sealed).items():
        if qid in parsed.errors or (wanted is not None and qid not in wanted):
            continue
        q = survey.question(qid)
        parsed.errors[qid] = friendly(q, messages[0], lang) if q else messages[0]


def friendly(q: Question, message: str, lang: str) -> str:
    """Phrase one rule break from ``survey_schemas`` for a resident or volunteer."""
    if message == "an answer is required":
        choice = q.type not in ("text", "street", "number", "date")
        return translate(lang, "err_choose" if choice else "err_required")
    if message.startswith("must be left unanswered"):
        return translate(lang, "err_irrelevant")
    if message.startswith("must be at least") and q.min is not None:
        return translate(lang, "err_min", n=_num(q.min))
    if message.startswith("must be at most") and q.type in ("number", "scale"):
        return translate(lang, "err_max", n=_num(q.max or 0))
    if message.startswith("must be at most") and q.max_length is not None:
        return translate(lang, "err_too_long", n=q.max_length)
    if q.constraint_message and any(m in message for m in _CONSTRAINT_MESSAGES):
        return pick(q.constraint_message, lang)
    if message == "must be a whole number":
        return translate(lang, "err_whole")
    if message.startswith("must be a date"):
        return translate(lang, "err_date")
    return message


def store_errors(errors: Mapping[str, list[str]], survey: Survey, lang: str) -> dict[str, str]:
    """Map the store's field errors (``answers.<qid>``) onto question ids, phrased for people."""
    out: dict[str, str] = {}
    for key, messages in errors.items():
        qid = key.split(".", 1)[1] if key.startswith(("answers.", "personal.")) else key
        q = survey.question(qid)
        out[qid] = friendly(q, messages[0], lang) if q else messages[0]
    return out


def summary(fields: Iterable[FieldView]) -> list[tuple[str, str]]:
    """Return the error summary's links: the input to jump to, and what is wrong there."""
    return [(f.first_input_id, f"{_shorten(f.label)} — {f.error}") for f in fields if f.error]


def prune(survey: Survey, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Drop answers to questions that no longer apply (after an earlier answer changed)."""
    kept: dict[str, Any] = {}
    for q in survey.questions:
        if q.id in answers and is_relevant(q.relevant, kept):
            kept[q.id] = answers[q.id]
    return kept


def declined_consent(survey: Survey, answers: Mapping[str, Any]) -> bool:
    """Return whether a required consent question was answered "no"."""
    return any(
        q.type == "consent" and q.required and answers.get(q.id) is False for q in survey.questions
    )


def consent_given(survey: Survey, answers: Mapping[str, Any]) -> bool | None:
    """Return the answer to the survey's first consent question, if it has one."""
    for q in survey.questions:
        if q.type == "consent" and not q.personal:
            value = answers.get(q.id)
            return value if isinstance(value, bool) else None
    return None


def _says_optional(label: str, lang: str) -> bool:
    """Return whether a label already says it is optional, as many surveys' labels do."""
    word = translate(lang, "optional").strip("() ").casefold()
    return word in label.casefold() or "optional" in label.casefold()


def _shorten(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
