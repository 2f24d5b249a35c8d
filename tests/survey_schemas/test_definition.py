"""Survey definitions: every format rule passes when kept and fails, by name, when broken."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from survey_schemas import (
    QUESTION_TYPES,
    SurveyError,
    bundled_files,
    content_hash,
    default_taxonomy,
    load_survey,
    load_survey_file,
)

from .conftest import BASE, question

Change = Callable[[dict[str, Any]], Any]


def _set(path: str, value: Any) -> Change:
    """Return a change that sets ``path`` ("questions.concerns.required") to ``value``."""

    def change(d: dict[str, Any]) -> None:
        parts = path.split(".")
        target: Any = d
        if parts[0] == "questions":
            target, parts = question(d, parts[1]), parts[2:]
        for part in parts[:-1]:
            target = target[int(part)] if isinstance(target, list) else target[part]
        target[parts[-1]] = value

    return change


def _drop(path: str) -> Change:
    def change(d: dict[str, Any]) -> None:
        parts = path.split(".")
        target: Any = question(d, parts[1]) if parts[0] == "questions" else d
        del target[parts[-1]]

    return change


def _add_question(q: dict[str, Any], at: int | None = None) -> Change:
    def change(d: dict[str, Any]) -> None:
        d["questions"].insert(len(d["questions"]) if at is None else at, q)

    return change


def _label(text: str = "X") -> dict[str, str]:
    return {"en": text, "pl": text}


VALID: dict[str, Change] = {
    "version is a positive integer": _set("version", 7),
    "several methods": _set("methods", ["event", "kiosk"]),
    "language with region": lambda d: (
        d["languages"].append("pt-BR"),
        d["title"].update({"pt-BR": "T"}),
        d["purpose"].update({"pt-BR": "P"}),
        [q["label"].update({"pt-BR": "L"}) for q in d["questions"]],
        [c["label"].update({"pt-BR": "C"}) for q in d["questions"] for c in q.get("choices", [])],
    ),
    "x- extension keys are kept out of the way": lambda d: (
        d.update({"x-kobo": {"form": 1}}),
        question(d, "where").update({"x-widget": "map"}),
    ),
    "number with only a minimum": _drop("questions.households.max"),
    "number with decimal bounds": lambda d: question(d, "households").update(
        {"integer": False, "min": 0.5, "max": 2.5}
    ),
    "scale of eleven points": lambda d: question(d, "severity").update({"min": 0, "max": 10}),
    "relevance on an earlier question": _set(
        "questions.owner.relevant", {"question": "safe_after_dark", "equals": "unsafe"}
    ),
    "relevance combining all, any and not": _set(
        "questions.where.relevant",
        {
            "all": [
                {"question": "consent", "equals": True},
                {
                    "any": [
                        {"question": "owner", "answered": True},
                        {"not": {"question": "owner", "equals": False}},
                    ]
                },
            ]
        },
    ),
    "single choice includes its own value": _set(
        "questions.owner.relevant", {"question": "safe_after_dark", "includes": "safe"}
    ),
    "personal data behind all-of consent": _set(
        "questions.contact_phone.relevant",
        {
            "all": [
                {"question": "consent", "equals": True},
                {"question": "recontact", "equals": True},
            ]
        },
    ),
    "constraint with min and max selected": _set(
        "questions.concerns.constraint", {"min_selected": 1, "max_selected": 2}
    ),
    "constraint message in every language": _set(
        "questions.contact_phone.constraint",
        {"pattern": "[0-9]+", "message": {"en": "Digits", "pl": "Cyfry"}},
    ),
    "choice without category": _set("questions.concerns.choices.0.category", None),
    "hint in every language": _set("questions.where.hint", _label("No numbers")),
    "street with max_length": _set("questions.where.max_length", 80),
}


@pytest.mark.parametrize("change", VALID.values(), ids=VALID.keys())
def test_definition_that_keeps_the_rules_loads(definition: dict[str, Any], change: Change) -> None:
    change(definition)
    survey = load_survey(definition)
    assert survey.key == (definition["id"], definition["version"])
    assert [q.id for q in survey.questions] == [q["id"] for q in definition["questions"]]


INVALID: dict[str, tuple[Change, str]] = {
    "id not a slug": (_set("id", "Street Check"), "id: must be a lowercase slug"),
    "version zero": (_set("version", 0), "version:"),
    "version as text": (_set("version", "1"), "version: Not a valid integer"),
    "version as boolean": (_set("version", True), "version: Not a valid integer"),
    "version fractional": (_set("version", 1.5), "version: Not a valid integer"),
    "title missing": (_drop("title"), "title: Missing data"),
    "no languages": (_set("languages", []), "languages:"),
    "bad language code": (_set("languages", ["en", "Polish"]), "'Polish' is not a language code"),
    "language twice": (
        _set("languages", ["en", "pl", "en"]),
        "languages: a language is listed twice",
    ),
    "unknown method": (_set("methods", ["telephone"]), "methods.0: Must be one of"),
    "method twice": (
        _set("methods", ["doorstep", "doorstep"]),
        "methods: a method is listed twice",
    ),
    "no questions": (lambda d: d.update(questions=[]), "questions: Shorter than minimum"),
    "unknown top-level key": (_set("titel", {}), "titel: Unknown field"),
    "question id not a plain name": (
        _set("questions.owner.id", "own-it"),
        "id: must be a plain name",
    ),
    "question id twice": (
        _set("questions.owner.id", "where"),
        "question 'where': the id is used twice",
    ),
    "unknown question type": (
        _set("questions.owner.type", "boolean"),
        "question 'owner': type: Must be one of",
    ),
    "unknown question key": (
        _set("questions.owner.requird", True),
        "question 'owner': requird: Unknown field",
    ),
    "choice question without choices": (
        _set("questions.concerns.choices", []),
        "needs at least one choice",
    ),
    "choices on a text question": (
        _set("questions.where.choices", [{"value": "a", "label": _label()}]),
        "a street question has no choices",
    ),
    "choice value twice": (
        _set("questions.concerns.choices.1.value", "speeding"),
        "choice 'speeding' is listed twice",
    ),
    "unknown category": (
        _set("questions.concerns.choices.0.category", "speed"),
        "choice 'speeding' names unknown category 'speed'",
    ),
    "scale without max": (_drop("questions.severity.max"), "a scale needs min and max"),
    "min above max": (
        _set("questions.households.min", 20),
        "max (10) must be greater than min (20)",
    ),
    "min equal to max": (_set("questions.severity.max", 1), "max (1) must be greater than min (1)"),
    "scale too long": (_set("questions.severity.max", 50), "at most 11 whole points"),
    "scale with fractions": (_set("questions.severity.max", 4.5), "at most 11 whole points"),
    "bound not a number": (_set("questions.households.max", "ten"), "max: must be a number"),
    "bound on yes/no": (_set("questions.owner.min", 1), "a yes_no question has no min"),
    "date bound not ISO": (_set("questions.lived_here.min", "01/01/1950"), "must be an ISO date"),
    "max_length on a number": (
        _set("questions.households.max_length", 3),
        "a number question has no max_length",
    ),
    "issue_text on a street": (
        _set("questions.where.issue_text", True),
        "only a text question can be issue text",
    ),
    "personal on a choice": (
        _set("questions.owner.personal", True),
        "only text answers can be marked personal",
    ),
    "personal and issue text": (
        _set("questions.contact_phone.issue_text", True),
        "personal data cannot also be issue text",
    ),
    "personal without consent": (
        _drop("questions.contact_phone.relevant"),
        "personal data must be relevant only when an earlier consent",
    ),
    "personal behind a non-consent question": (
        _set("questions.contact_phone.relevant", {"question": "owner", "equals": True}),
        "personal data must be relevant only",
    ),
    "personal behind consent refused": (
        _set("questions.contact_phone.relevant", {"question": "recontact", "equals": False}),
        "personal data must be relevant only",
    ),
    "severity_for on a number": (
        _set("questions.households.severity_for", "concerns"),
        "only a scale question can qualify",
    ),
    "severity_for a text question": (
        _set("questions.severity.severity_for", "where"),
        "severity_for names 'where', which is not a choice question",
    ),
    "severity_for a question without categories": (
        _set("questions.severity.severity_for", "safe_after_dark"),
        "whose choices name no category",
    ),
    "severity_for an unknown question": (
        _set("questions.severity.severity_for", "nope"),
        "severity_for names 'nope'",
    ),
    "unknown constraint key": (
        _set("questions.where.constraint", {"regex": "x"}),
        "unknown constraint keys ['regex']",
    ),
    "pattern on a number": (
        _set("questions.households.constraint", {"pattern": "1"}),
        "pattern applies to text answers only",
    ),
    "broken pattern": (
        _set("questions.where.constraint", {"pattern": "(["}),
        "not a valid regular expression",
    ),
    "min_selected on single choice": (
        _set("questions.safe_after_dark.constraint", {"min_selected": 1}),
        "min_selected applies to multiple choice only",
    ),
    "max_selected negative": (
        _set("questions.concerns.constraint", {"max_selected": -1}),
        "max_selected must be a whole number",
    ),
    "exclusive names no choice": (
        _set("questions.concerns.constraint", {"exclusive": ["nothing"]}),
        "exclusive names 'nothing', which is not a choice",
    ),
    "exclusive on single choice": (
        _set("questions.safe_after_dark.constraint", {"exclusive": ["safe"]}),
        "exclusive applies to multiple choice only",
    ),
    "constraint message not translations": (
        _set("questions.where.constraint", {"message": "bad"}),
        "message must be a translations object",
    ),
    "relevance on a later question": (
        _set("questions.severity.relevant", {"question": "owner", "equals": True}),
        "relevant names 'owner', which is not an earlier question",
    ),
    "relevance on itself": (
        _set("questions.owner.relevant", {"question": "owner", "equals": True}),
        "relevant names itself",
    ),
    "relevance on an unknown question": (
        _set("questions.owner.relevant", {"question": "ghost", "equals": True}),
        "'ghost', which is not an earlier question",
    ),
    "relevance with two operators": (
        _set("questions.owner.relevant", {"question": "consent", "equals": True, "answered": True}),
        "takes exactly one of",
    ),
    "relevance with unknown keys": (
        _set("questions.owner.relevant", {"if": "consent"}),
        "unknown condition keys ['if']",
    ),
    "relevance with empty all": (
        _set("questions.owner.relevant", {"all": []}),
        "'all' needs a non-empty list",
    ),
    "relevance includes on a yes/no": (
        _set("questions.where.relevant", {"question": "owner", "includes": True}),
        "'includes' needs a choice question",
    ),
    "relevance on a value that is no choice": (
        _set("questions.owner.relevant", {"question": "safe_after_dark", "equals": "scary"}),
        "'scary' is not a choice of 'safe_after_dark'",
    ),
    "relevance includes a value that is no choice": (
        _set("questions.owner.relevant", {"question": "concerns", "includes": "noise"}),
        "'noise' is not a choice of 'concerns'",
    ),
    "relevance compares consent to text": (
        _set("questions.owner.relevant", {"question": "consent", "equals": "yes"}),
        "answered true or false, never 'yes'",
    ),
    "title missing a language": (
        _set("title", {"en": "Only English"}),
        "title: missing the 'pl' text",
    ),
    "purpose blank in a language": (
        _set("purpose", {"en": "Why", "pl": "  "}),
        "purpose: missing the 'pl' text",
    ),
    "label missing a language": (
        _set("questions.owner.label", {"en": "Own it?"}),
        "question 'owner': label: missing the 'pl' text",
    ),
    "choice label missing a language": (
        _set("questions.concerns.choices.0.label", {"en": "Speeding"}),
        "choice 'speeding': missing the 'pl' text",
    ),
    "hint missing a language": (
        _set("questions.where.hint", {"en": "No numbers"}),
        "hint: missing the 'pl' text",
    ),
    "constraint message missing a language": (
        _set(
            "questions.contact_phone.constraint", {"pattern": "[0-9]+", "message": {"en": "Digits"}}
        ),
        "constraint message: missing the 'pl' text",
    ),
    "text in an undeclared language": (
        _set("questions.owner.label", {"en": "A", "pl": "B", "ur": "C"}),
        "text in 'ur', which is not a declared language",
    ),
}


@pytest.mark.parametrize("change,expected", INVALID.values(), ids=INVALID.keys())
def test_definition_that_breaks_a_rule_is_refused_by_name(
    definition: dict[str, Any], change: Change, expected: str
) -> None:
    change(definition)
    with pytest.raises(SurveyError) as exc:
        load_survey(definition)
    problems = exc.value.problems
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(str(definition["id"])) for p in problems), problems
    assert all("\n" not in p for p in problems)


def test_problem_lines_name_the_survey_version_and_question(definition: dict[str, Any]) -> None:
    question(definition, "owner")["label"] = {"en": "Own it?"}
    with pytest.raises(SurveyError) as exc:
        load_survey(definition)
    assert exc.value.problems == ["street-check v1: question 'owner': label: missing the 'pl' text"]
    assert str(exc.value) == exc.value.problems[0]


def test_structural_and_semantic_problems_are_reported_together(
    definition: dict[str, Any],
) -> None:
    definition["version"] = "one"
    question(definition, "owner")["type"] = "boolean"
    question(definition, "concerns")["choices"][0]["category"] = "speed"
    question(definition, "where")["label"] = {"en": "Where?"}
    question(definition, "severity")["relevant"] = {"question": "ghost", "equals": 1}
    with pytest.raises(SurveyError) as exc:
        load_survey(definition)
    text = str(exc.value)
    for fragment in (
        "version: Not a valid integer",
        "question 'owner': type",
        "unknown category 'speed'",
        "question 'where': label: missing the 'pl' text",
        "question 'severity': relevant names 'ghost'",
    ):
        assert fragment in text
    assert len(exc.value.problems) == 5


def test_question_without_an_id_is_named_by_position(definition: dict[str, Any]) -> None:
    definition["questions"].append({"type": "text", "label": {"en": "?", "pl": "?"}})
    with pytest.raises(SurveyError) as exc:
        load_survey(definition)
    assert exc.value.problems == [
        "street-check v1: question #12: id: Missing data for required field."
    ]


@pytest.mark.parametrize("value", [None, [], "survey", 3])
def test_definition_that_is_not_an_object_is_refused(value: Any) -> None:
    with pytest.raises(SurveyError, match="must be a JSON object"):
        load_survey(value)


@pytest.mark.parametrize(
    "garbage", [{"questions": [1, "x", None]}, {"questions": {"a": 1}}, {"id": 5}]
)
def test_malformed_definitions_give_problems_not_exceptions(garbage: dict[str, Any]) -> None:
    with pytest.raises(SurveyError) as exc:
        load_survey(garbage)
    assert exc.value.problems


def test_every_question_type_is_covered_by_the_example(definition: dict[str, Any]) -> None:
    assert {q["type"] for q in definition["questions"]} == QUESTION_TYPES


def test_loaded_survey_exposes_typed_questions(definition: dict[str, Any]) -> None:
    survey = load_survey(definition)
    severity = survey.question("severity")
    assert severity is not None and severity.integer and severity.severity_for == "concerns"
    concerns = survey.question("concerns")
    assert concerns is not None and concerns.exclusive == frozenset({"none"})
    assert concerns.choice("speeding").category == "speeding"  # type: ignore[union-attr]
    assert survey.question("other_concern").depends_on == frozenset({"concerns"})  # type: ignore[union-attr]
    assert survey.question("missing") is None


def test_content_hash_ignores_key_order_but_not_content(definition: dict[str, Any]) -> None:
    reordered = json.loads(json.dumps(definition, sort_keys=True))
    assert content_hash(reordered) == content_hash(definition)
    definition["title"]["en"] = "Changed"
    assert content_hash(reordered) != content_hash(definition)


@pytest.mark.parametrize("path", bundled_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bundled_survey_validates(path: Any) -> None:
    survey = load_survey_file(path)
    assert (survey.id, f"v{survey.version}") == (path.parent.name, path.stem)
    assert set(survey.languages) == {"en", "pl", "ur"}
    for lang in survey.languages:
        assert len(survey.purpose[lang]) > 100


def test_bundled_surveys_are_the_named_versions() -> None:
    assert [f"{p.parent.name}/{p.name}" for p in bundled_files()] == [
        "doorstep-safety/v1.json",
        "doorstep-safety/v2.json",
        "doorstep-safety-full/v1.json",
        "event-kiosk/v1.json",
        "group-meeting/v1.json",
    ]


def test_urdu_texts_are_in_urdu_script() -> None:
    for path in bundled_files():
        survey = load_survey_file(path)
        texts = [survey.title["ur"], survey.purpose["ur"]] + [
            q.label["ur"] for q in survey.questions
        ]
        for text in texts:
            arabic = sum("\u0600" <= ch <= "\u06ff" for ch in text)
            assert arabic > len(text) / 3, text


def test_bundled_choices_name_only_known_categories() -> None:
    taxonomy = default_taxonomy()
    for path in bundled_files():
        survey = load_survey_file(path)
        categories = [c.category for q in survey.questions for c in q.choices if c.category]
        assert categories and all(c in taxonomy for c in categories)


def test_load_survey_file_names_the_file_when_it_is_not_json(tmp_path: Any) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text("{not json", "utf-8")
    with pytest.raises(SurveyError, match="broken.json: not valid JSON"):
        load_survey_file(bad)
    with pytest.raises(SurveyError, match="no such file"):
        load_survey_file(tmp_path / "missing.json")


def _doc_json_blocks() -> list[str]:
    text = (Path(__file__).resolve().parents[2] / "docs" / "survey-format.md").read_text("utf-8")
    return re.findall(r"```json\n(.*?)```", text, flags=re.S)


def test_the_full_example_in_the_format_doc_validates() -> None:
    survey = load_survey(json.loads(_doc_json_blocks()[0]))
    assert survey.key == ("street-check", 2)
    assert {q.type for q in survey.questions} == QUESTION_TYPES


def test_the_response_example_in_the_format_doc_is_valid() -> None:
    from survey_schemas import bundled_registry, check_response

    example = next(b for b in _doc_json_blocks() if '"survey_id"' in b)
    response, errors = check_response(json.loads(example), bundled_registry().find)
    assert errors == {} and response is not None


def test_a_malformed_condition_is_reported_once(definition: dict[str, Any]) -> None:
    question(definition, "owner")["relevant"] = "consent"
    with pytest.raises(SurveyError) as exc:
        load_survey(definition)
    assert exc.value.problems == [
        "street-check v1: question 'owner': relevant: Not a valid mapping type."
    ]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 30) | st.floats() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


@st.composite
def bent_definitions(draw: st.DrawFn) -> dict[str, Any]:
    """Draw the example definition with a few values anywhere in it replaced by random JSON."""
    doc = copy.deepcopy(BASE)
    paths = _paths(doc)
    for path in draw(st.lists(st.sampled_from(paths), min_size=1, max_size=4)):
        parent: Any = doc
        try:
            for step in path[:-1]:
                parent = parent[step]
            parent[path[-1]] = draw(JSON)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement removed this path
    return doc


@settings(max_examples=200, deadline=None)
@given(doc=bent_definitions())
def test_random_definitions_load_or_give_problems_never_an_exception(doc: dict[str, Any]) -> None:
    try:
        survey = load_survey(doc)
    except SurveyError as exc:
        assert exc.problems
        assert all(isinstance(p, str) and "\n" not in p for p in exc.problems)
    else:
        assert survey.questions


def test_a_pattern_python_warns_about_is_still_accepted(definition: dict[str, Any]) -> None:
    question(definition, "where")["constraint"] = {"pattern": "[[a-z]+"}
    survey = load_survey(definition)
    assert survey.question("where").pattern == "[[a-z]+"  # type: ignore[union-attr]
