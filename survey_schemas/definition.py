"""Load and check survey definitions (the survey format core of DESIGN.md)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    pre_load,
    validate,
    validates_schema,
)

from .answers import compile_pattern
from .consistency import semantic_problems
from .model import (
    CHOICE_TYPES,
    LANG,
    METHODS,
    QID,
    QUESTION_TYPES,
    SLUG,
    Choice,
    Question,
    Survey,
)
from .relevance import compile_condition, referenced_questions
from .taxonomy import Taxonomy, default_taxonomy


class SurveyError(ValueError):
    """A survey definition is invalid; ``problems`` holds one message per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class _Base(Schema):
    """Refuse unknown keys (typos) but let other tools add ``x-`` extension keys."""

    class Meta:
        unknown = RAISE

    @pre_load
    def _drop_extensions(self, data: Any, **_: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if not str(k).startswith("x-")}
        return data


LANG_CODE = validate.Regexp(LANG, error="{input!r} is not a language code such as 'en' or 'pt-BR'")


def _text(required: bool = False) -> fields.Dict:
    """Return a field for a translatable text: language code -> string."""
    return fields.Dict(keys=fields.Str(validate=LANG_CODE), values=fields.Str(), required=required)


class ChoiceSchema(_Base):
    value = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    label = _text(required=True)
    category = fields.Str(load_default=None)


class QuestionSchema(_Base):
    id = fields.Str(required=True, validate=validate.Regexp(QID, error="must be a plain name"))
    type = fields.Str(required=True, validate=validate.OneOf(sorted(QUESTION_TYPES)))
    label = _text(required=True)
    hint = _text()
    required = fields.Bool(load_default=False)
    relevant = fields.Dict(load_default=None)
    choices = fields.List(fields.Nested(ChoiceSchema))
    min = fields.Raw()
    max = fields.Raw()
    integer = fields.Bool(load_default=False)
    max_length = fields.Int(validate=validate.Range(min=1, max=100_000))
    constraint = fields.Dict()
    severity_for = fields.Str()
    issue_text = fields.Bool(load_default=False)
    personal = fields.Bool(load_default=False)

    @validates_schema
    def _check_type_fields(self, q: dict[str, Any], **_: Any) -> None:
        kind = q["type"]
        errors: dict[str, list[str]] = {}
        if kind in CHOICE_TYPES:
            if not q.get("choices"):
                errors["choices"] = ["a choice question needs at least one choice"]
        elif "choices" in q:
            errors["choices"] = [f"a {kind} question has no choices"]
        if kind in ("number", "scale"):
            lo, hi = q.get("min"), q.get("max")
            for name, val in (("min", lo), ("max", hi)):
                if val is not None and (isinstance(val, bool) or not isinstance(val, int | float)):
                    errors[name] = ["must be a number"]
            if kind == "scale" and (lo is None or hi is None):
                errors["max"] = ["a scale needs min and max"]
            if "min" not in errors and "max" not in errors and lo is not None and hi is not None:
                if lo >= hi:
                    errors["max"] = [f"max ({hi}) must be greater than min ({lo})"]
                elif kind == "scale" and (hi - lo > 10 or int(lo) != lo or int(hi) != hi):
                    errors["max"] = ["a scale runs over at most 11 whole points"]
        elif kind == "date":
            for name in ("min", "max"):
                if name in q and not _is_iso_date(q[name]):
                    errors[name] = ["must be an ISO date (YYYY-MM-DD)"]
        else:
            for name in ("min", "max"):
                if name in q:
                    errors[name] = [f"a {kind} question has no {name}"]
        if "max_length" in q and kind not in ("text", "street"):
            errors["max_length"] = [f"a {kind} question has no max_length"]
        if q.get("issue_text") and kind != "text":
            errors["issue_text"] = ["only a text question can be issue text"]
        if q.get("personal") and kind not in ("text", "street"):
            errors["personal"] = ["only text answers can be marked personal"]
        elif q.get("personal") and q.get("issue_text"):
            # Issue text goes to triage and quotes; personal data must never get there.
            errors["personal"] = ["personal data cannot also be issue text"]
        if "severity_for" in q and kind != "scale":
            errors["severity_for"] = ["only a scale question can qualify mentions"]
        if "constraint" in q:
            problem = _constraint_problem(kind, q["constraint"])
            if problem:
                errors["constraint"] = [problem]
        if errors:
            raise ValidationError(errors)


class SurveySchema(_Base):
    id = fields.Str(required=True, validate=validate.Regexp(SLUG, error="must be a lowercase slug"))
    version = fields.Int(required=True, strict=True, validate=validate.Range(min=1))
    title = _text(required=True)
    purpose = _text(required=True)
    languages = fields.List(
        fields.Str(validate=LANG_CODE), required=True, validate=validate.Length(min=1)
    )
    methods = fields.List(
        fields.Str(validate=validate.OneOf(METHODS)), required=True, validate=validate.Length(min=1)
    )
    questions = fields.List(
        fields.Nested(QuestionSchema), required=True, validate=validate.Length(min=1)
    )


def _is_iso_date(value: Any) -> bool:
    from datetime import date

    if not isinstance(value, str):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return len(value) == 10


def _constraint_problem(kind: str, constraint: Mapping[str, Any]) -> str | None:
    allowed = {"pattern", "min_selected", "max_selected", "exclusive", "message"}
    unknown = set(constraint) - allowed
    if unknown:
        return f"unknown constraint keys {sorted(unknown)} (allowed: {sorted(allowed)})"
    if "pattern" in constraint:
        if kind not in ("text", "street"):
            return "pattern applies to text answers only"
        try:
            compile_pattern(str(constraint["pattern"]))
        except re.error as exc:
            return f"pattern is not a valid regular expression: {exc}"
    for key in ("min_selected", "max_selected"):
        if key in constraint:
            if kind != "multiple_choice":
                return f"{key} applies to multiple choice only"
            val = constraint[key]
            if isinstance(val, bool) or not isinstance(val, int) or val < 0:
                return f"{key} must be a whole number"
    if "exclusive" in constraint:
        if kind != "multiple_choice":
            return "exclusive applies to multiple choice only"
        values = constraint["exclusive"]
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            return "exclusive must be a list of choice values"
    if "message" in constraint and not isinstance(constraint["message"], dict):
        return "message must be a translations object"
    return None


def _flatten(errors: Any, path: str, out: list[str]) -> None:
    if isinstance(errors, dict):
        for key, sub in errors.items():
            if key == "_schema":
                _flatten(sub, path, out)
            else:
                _flatten(sub, f"{path}.{key}" if path else str(key), out)
    elif isinstance(errors, list):
        for item in errors:
            _flatten(item, path, out)
    else:
        out.append(f"{path}: {errors}" if path else str(errors))


def _structure_problems(data: Mapping[str, Any], errors: Mapping[str, Any]) -> list[str]:
    """Turn marshmallow's nested errors into lines that name the question id."""
    raw_questions = data.get("questions") if isinstance(data.get("questions"), list) else []
    out: list[str] = []
    for key, sub in errors.items():
        if key == "questions" and isinstance(sub, dict):
            for idx, qerr in sub.items():
                q = raw_questions[idx] if isinstance(idx, int) and idx < len(raw_questions) else {}
                qid = q.get("id") if isinstance(q, dict) else None
                where = (
                    f"question {qid!r}"
                    if qid
                    else f"question #{idx + 1 if isinstance(idx, int) else idx}"
                )
                lines: list[str] = []
                _flatten(qerr, "", lines)
                out.extend(f"{where}: {line}" for line in lines)
        else:
            lines = []
            _flatten(sub, str(key), lines)
            out.extend(lines)
    return out


def _build(s: Mapping[str, Any], definition: Mapping[str, Any], digest: str) -> Survey:
    questions = []
    for q in s["questions"]:
        constraint = q.get("constraint", {})
        choices = tuple(
            Choice(c["value"], c["label"], c.get("category")) for c in q.get("choices", [])
        )
        questions.append(
            Question(
                id=q["id"],
                type=q["type"],
                label=q["label"],
                required=q["required"],
                relevant=q.get("relevant"),
                choices=choices,
                min=q.get("min") if q["type"] != "date" else None,
                max=q.get("max") if q["type"] != "date" else None,
                integer=q["integer"] or q["type"] == "scale",
                max_length=q.get("max_length"),
                pattern=constraint.get("pattern"),
                exclusive=frozenset(constraint.get("exclusive", ())),
                constraint_message=constraint.get("message"),
                min_selected=constraint.get("min_selected"),
                max_selected=constraint.get("max_selected"),
                severity_for=q.get("severity_for"),
                issue_text=q["issue_text"],
                personal=q["personal"],
                hint=q.get("hint"),
                choice_values=frozenset(c.value for c in choices),
                depends_on=frozenset(referenced_questions(q.get("relevant"))),
                relevant_test=compile_condition(q.get("relevant")),
                date_min=q.get("min") if q["type"] == "date" else None,
                date_max=q.get("max") if q["type"] == "date" else None,
            )
        )
    return Survey(
        id=s["id"],
        version=s["version"],
        title=s["title"],
        purpose=s["purpose"],
        languages=tuple(s["languages"]),
        methods=tuple(s["methods"]),
        questions=tuple(questions),
        definition=definition,
        content_hash=digest,
    )


def content_hash(definition: Mapping[str, Any]) -> str:
    """Return the sha256 of the definition's canonical JSON (key order does not matter)."""
    canon = json.dumps(definition, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canon.encode("utf-8")).hexdigest()


def load_survey(definition: Any, taxonomy: Taxonomy | None = None) -> Survey:
    """Check a survey definition and return it as a :class:`Survey`.

    Raises :class:`SurveyError` listing every problem, each naming the survey and,
    where there is one, the question.
    """
    taxonomy = taxonomy or default_taxonomy()
    if not isinstance(definition, dict):
        raise SurveyError(["survey: the definition must be a JSON object"])
    name = _name(definition)
    problems: list[str] = []
    loaded: dict[str, Any] = {}
    try:
        loaded = SurveySchema().load(definition)
    except ValidationError as exc:
        problems = _structure_problems(definition, exc.messages)  # type: ignore[arg-type]
    # Cross-field checks run on the raw document even after structural errors, so that
    # one run lists every problem instead of making the author fix them in rounds.
    problems += semantic_problems(definition, taxonomy)
    if problems:
        # One problem per line, whatever the keys and values of the document hold.
        raise SurveyError([f"{name}: {p}".replace("\n", "\\n") for p in problems])
    return _build(loaded, definition, content_hash(definition))


def _name(definition: Mapping[str, Any]) -> str:
    sid = definition.get("id") if isinstance(definition.get("id"), str) else "survey"
    version = definition.get("version")
    return (
        f"{sid} v{version}" if isinstance(version, int) and not isinstance(version, bool) else sid
    )


def load_survey_file(path: Any, taxonomy: Taxonomy | None = None) -> Survey:
    """Read a JSON file and load it with :func:`load_survey`; errors name the file."""
    from pathlib import Path

    p = Path(path)
    try:
        data = json.loads(p.read_text("utf-8"))
    except FileNotFoundError:
        raise SurveyError([f"{p}: no such file"]) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SurveyError([f"{p}: not valid JSON: {exc}"]) from None
    return load_survey(data, taxonomy)
