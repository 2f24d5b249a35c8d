"""XLSForm import: workbooks built here with openpyxl, the real forms in xlsforms/, the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from server.cli import main
from survey_schemas import load_survey, validate_answers
from survey_schemas.xlsform import PURPOSE_PLACEHOLDER, XLSFormError, convert_xlsform
from survey_schemas.xlsform_expr import ExprError, to_condition, to_constraint

FORMS = Path(__file__).parent / "xlsforms"
HEAD = ["type", "name", "label", "relevant", "constraint", "required", "parameters"]
YES_NO = [["list_name", "name", "label"], ["yn", "yes", "Yes"], ["yn", "no", "No"]]


def build(
    tmp_path: Path,
    survey: list[list[Any]],
    choices: list[list[Any]] | None = None,
    settings: dict[str, Any] | None = None,
    head: list[str] | None = None,
    name: str = "form.xlsx",
) -> Path:
    """Write an XLSForm workbook: a header row and ``survey`` rows, choices and settings."""
    wb = Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(head or HEAD)
    for row in survey:
        ws.append(row)
    sheet = wb.create_sheet("choices")
    for row in choices if choices is not None else YES_NO:
        sheet.append(row)
    if settings:
        s = wb.create_sheet("settings")
        s.append(list(settings))
        s.append(list(settings.values()))
    path = tmp_path / name
    wb.save(path)
    return path


def convert(path: Path, **kwargs: Any) -> tuple[dict[str, Any], list[str]]:
    warnings: list[str] = []
    return convert_xlsform(path, warnings=warnings, **kwargs), warnings


def refusal(path: Path) -> list[str]:
    with pytest.raises(XLSFormError) as err:
        convert_xlsform(path)
    return err.value.problems


def by_id(definition: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {q["id"]: q for q in definition["questions"]}


def test_question_types_map_and_the_result_loads(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [
            ["text", "name_q", "Street problems?"],
            ["integer", "people", "How many people?"],
            ["decimal", "km", "How far?"],
            ["date", "since", "Since when?"],
            ["select_one yn", "safe", "Safe?"],
            ["select_multiple yn", "both", "Which?"],
        ],
    )
    definition, _ = convert(path)
    qs = by_id(definition)
    assert [q["type"] for q in qs.values()] == [
        "text", "number", "number", "date", "single_choice", "multiple_choice",
    ]  # fmt: skip
    assert qs["people"]["integer"] is True and "integer" not in qs["km"]
    assert qs["safe"]["choices"] == [
        {"value": "yes", "label": {"en": "Yes"}},
        {"value": "no", "label": {"en": "No"}},
    ]
    survey = load_survey(definition)
    assert survey.key == ("form", 1)
    assert definition["methods"] == ["doorstep"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("yes", True), ("TRUE", True), ("true()", True), ("no", False), ("", False)],
)
def test_required_yes_and_no_forms(tmp_path: Path, raw: str, expected: bool) -> None:
    path = build(tmp_path, [["text", "q", "Q", "", "", raw]])
    assert by_id(convert(path)[0])["q"]["required"] is expected


def test_dynamic_required_is_refused(tmp_path: Path) -> None:
    path = build(tmp_path, [["text", "a", "A"], ["text", "q", "Q", "", "", "${a} != ''"]])
    assert refusal(path) == [
        "form.xlsx: survey row 3, 'q': required \"${a} != ''\" cannot be carried (only yes or no)"
    ]


def test_group_relevance_is_combined_into_each_child(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [
            ["select_one yn", "worried", "Worried?"],
            ["select_multiple yn", "which", "Which?"],
            ["begin_group", "outer", "Outer", "${worried} = 'yes'"],
            ["begin_group", "inner", "", "selected(${which}, 'no')"],
            ["text", "why", "Why?", "${worried} != 'no'"],
            ["end_group"],
            ["text", "more", "More?"],
            ["end_group"],
            ["text", "last", "Last"],
        ],
    )
    definition, warnings = convert(path)
    qs = by_id(definition)
    assert qs["why"]["relevant"] == {
        "all": [
            {"question": "worried", "equals": "yes"},
            {"question": "which", "includes": "no"},
            {"not": {"question": "worried", "equals": "no"}},
        ]
    }
    assert qs["more"]["relevant"] == {"question": "worried", "equals": "yes"}
    assert "relevant" not in qs["last"]
    assert "form.xlsx: survey row 4, 'outer': group flattened; its label is not carried" in warnings


@pytest.mark.parametrize(
    ("expression", "condition"),
    [
        ("${c} = 'yes'", {"question": "c", "equals": "yes"}),
        ("${c} = 1", {"question": "c", "equals": "1"}),
        ("'yes' = ${c}", {"question": "c", "equals": "yes"}),
        ("${n} = 3", {"question": "n", "equals": 3}),
        ("selected(${m}, 'no')", {"question": "m", "includes": "no"}),
        ("selected(../m, 'no')", {"question": "m", "includes": "no"}),
        ("${t} != ''", {"question": "t", "answered": True}),
        ("${t} = ''", {"question": "t", "answered": False}),
        ("string-length(${t}) > 0", {"question": "t", "answered": True}),
        ("${c} != 'yes'", {"not": {"question": "c", "equals": "yes"}}),
        ("not(selected(${m}, 'yes'))", {"not": {"question": "m", "includes": "yes"}}),
        (
            "${c} = 'yes' and (${n} = 1 or ${t} != '') and ${n} = 2",
            {"all": [
                {"question": "c", "equals": "yes"},
                {"any": [{"question": "n", "equals": 1}, {"question": "t", "answered": True}]},
                {"question": "n", "equals": 2},
            ]},
        ),
        (
            "${c} = 'yes' or ${c} = 'no' or not(${t} = '')",
            {"any": [
                {"question": "c", "equals": "yes"},
                {"question": "c", "equals": "no"},
                {"not": {"question": "t", "answered": False}},
            ]},
        ),
    ],
)  # fmt: skip
def test_relevant_common_forms(tmp_path: Path, expression: str, condition: dict[str, Any]) -> None:
    choices = [*YES_NO, ["yn", "1", "One"]]
    path = build(
        tmp_path,
        [
            ["select_one yn", "c", "C"],
            ["select_multiple yn", "m", "M"],
            ["integer", "n", "N"],
            ["text", "t", "T"],
            ["text", "q", "Q", expression],
        ],
        choices,
    )
    assert by_id(convert(path)[0])["q"]["relevant"] == condition


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("${n} > 3", "${n} > 3: doorstep conditions test equality"),
        ("${m} = 'yes'", "compares a whole select_multiple answer; write selected(${m}, 'yes')"),
        ("${later} = 'x'", "it names 'later', which is not an earlier question that was carried"),
        ("regex(${t}, 'x')", "regex(${t}, 'x') has no doorstep equivalent"),
        ("${n} + 1 = 2", "cannot read '+ 1 = 2'"),
        ("${c} = 'yes' and", "the expression ends too soon"),
    ],
)
def test_relevant_that_cannot_be_carried_is_refused(
    tmp_path: Path, expression: str, reason: str
) -> None:
    path = build(
        tmp_path,
        [
            ["integer", "n", "N"],
            ["select_multiple yn", "m", "M"],
            ["text", "t", "T"],
            ["select_one yn", "c", "C"],
            ["text", "q", "Q", expression],
            ["text", "later", "L"],
        ],
    )
    (problem,) = refusal(path)
    assert problem.startswith(f"form.xlsx: survey row 6, 'q': relevant {expression!r} cannot")
    assert reason in problem


EXPRESSION_PARTS = st.sampled_from(
    ["${a}", "${b}", ".", "'x'", "''", "1", "-2.5", "=", "!=", "<=", ">", "and", "or", "not(",
     "selected(", "regex(", "count-selected(", "string-length(", "date(", "(", ")", ",", "+",
     "../a", "'2020-01-01'", "today()", "true()", "$", "{"]
)  # fmt: skip


@settings(max_examples=300)
@given(st.lists(EXPRESSION_PARTS, max_size=14).map(" ".join) | st.text(max_size=40))
def test_any_expression_is_translated_or_refused_never_crashes(text: str) -> None:
    kinds = {"a": "single_choice", "b": "number"}
    for attempt in (
        lambda: to_condition(text, kinds.get),
        lambda: to_constraint(text, "number", integer=True),
        lambda: to_constraint(text, "text"),
        lambda: to_constraint(text, "date"),
    ):
        try:
            result = attempt()
        except ExprError as exc:
            assert str(exc)
        else:
            assert result is None or isinstance(result, dict)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(ExprError, match="nested deeper than 50 levels"):
        to_condition("(" * 400 + "${a} = 'x'" + ")" * 400, {"a": "text"}.get)


@pytest.mark.parametrize(
    ("qtype", "expression", "fields"),
    [
        ("integer", ". >= 1 and . <= 10", {"min": 1, "max": 10}),
        ("integer", "(. > 0) and (. < 11)", {"min": 1, "max": 10}),
        ("decimal", "0.5 <= .", {"min": 0.5}),
        ("text", "regex(., '^[0-9]{5}$')", {"constraint": {"pattern": "[0-9]{5}"}}),
        ("text", "string-length(.) <= 40", {"max_length": 40}),
        ("select_multiple yn", "count-selected(.) <= 1", {"constraint": {"max_selected": 1}}),
        ("select_multiple yn", "count-selected(.) >= 1", {"constraint": {"min_selected": 1}}),
        ("date", ". >= date('2020-01-01') and . < '2025-01-01'",
         {"min": "2020-01-01", "max": "2024-12-31"}),
    ],
)  # fmt: skip
def test_constraint_maps(tmp_path: Path, qtype: str, expression: str, fields: dict) -> None:
    path = build(tmp_path, [[qtype, "q", "Q", "", expression]])
    q = by_id(convert(path)[0])["q"]
    assert {k: q[k] for k in fields} == fields


def test_constraint_message_is_carried(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [["integer", "q", "Q", ". <= 9", "Nine at most"]],
        head=["type", "name", "label", "constraint", "constraint_message"],
    )
    q = by_id(convert(path)[0])["q"]
    assert q["max"] == 9 and q["constraint"] == {"message": {"en": "Nine at most"}}


def test_regex_keeps_odk_meaning_of_matching_anywhere(tmp_path: Path) -> None:
    path = build(tmp_path, [["text", "q", "Q", "", "regex(., 'ab+c')"]])
    survey = load_survey(convert(path)[0])
    assert validate_answers(survey, {"q": "xx abbc yy"}) == {}
    assert "q" in validate_answers(survey, {"q": "xx ac yy"})


@pytest.mark.parametrize(
    "expression",
    [". <= ${other}", ". <= today()", ". > 0.5", "string-length(.) >= 3", ". >= 1 or . = 0"],
)
def test_constraint_that_cannot_be_carried_is_refused(tmp_path: Path, expression: str) -> None:
    qtype = "text" if "string-length" in expression else "decimal"
    qtype = "date" if "today" in expression else qtype
    path = build(tmp_path, [["integer", "other", "O"], [qtype, "q", "Q", "", expression]])
    (problem,) = refusal(path)
    assert problem.startswith(f"form.xlsx: survey row 3, 'q': constraint {expression!r} cannot")


@pytest.mark.parametrize(
    ("row", "construct"),
    [
        (["begin_repeat", "people", "People"], "repeat cannot be carried"),
        (["calculate", "total", "", "", "", "", "", "1 + 1"], "calculate cannot be carried"),
        (["hidden", "h", ""], "hidden cannot be carried"),
        (["image", "photo", "Photo"], "image cannot be carried"),
        (["audio", "sound", "Sound"], "audio cannot be carried"),
        (["video", "clip", "Clip"], "video cannot be carried"),
        (["file", "doc", "Doc"], "file cannot be carried"),
        (["geopoint", "where", "Where"], "geopoint cannot be carried"),
        (["geotrace", "route", "Route"], "geotrace cannot be carried"),
        (["rank yn", "order", "Order"], "rank yn cannot be carried"),
        (["acknowledge", "ok", "OK?"], "acknowledge cannot be carried"),
        (["time", "when", "When?"], "time cannot be carried"),
        (["barcode", "code", "Code"], "barcode cannot be carried"),
        (["phone number", "tel", "Phone"], "phone number cannot be carried"),
        (["select_one_from_file streets.csv", "st", "Street"], "cannot be carried"),
        (["range", "r", "R", "", "", "", "start=0 end=100 step=5"], "range cannot be carried"),
    ],
)
def test_constructs_that_cannot_be_carried_are_refused_by_name_and_row(
    tmp_path: Path, row: list[str], construct: str
) -> None:
    survey = [["text", "first", "First"], row]
    if row[0] == "begin_repeat":
        survey += [["text", "inside", "Inside"], ["end_repeat"]]
    path = build(tmp_path, survey, head=[*HEAD, "calculation"])
    problems = refusal(path)
    assert len(problems) == 1
    assert problems[0].startswith(f"form.xlsx: survey row 3, {row[1]!r}: ")
    assert construct in problems[0]


def test_choice_filter_is_refused(tmp_path: Path) -> None:
    choices = [["list_name", "name", "label", "kind"], ["yn", "yes", "Yes", "a"]]
    survey = [["select_one yn", "q", "Q", "kind = 'a'"]]
    path = build(tmp_path, survey, choices, head=["type", "name", "label", "choice_filter"])
    assert refusal(path) == ["form.xlsx: survey row 2, 'q': choice_filter cannot be carried"]


def test_range_of_whole_steps_becomes_a_scale(tmp_path: Path) -> None:
    path = build(tmp_path, [["range", "worry", "How worried?", "", "", "", "start=1 end=5"]])
    assert by_id(convert(path)[0])["worry"] == {
        "id": "worry", "type": "scale", "label": {"en": "How worried?"}, "required": False,
        "min": 1, "max": 5,
    }  # fmt: skip


def test_notes_and_metadata_are_dropped_with_a_warning(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [["start", "start"], ["note", "intro", "Thanks for talking to us"], ["text", "q", "Q"]],
    )
    definition, warnings = convert(path)
    assert [q["id"] for q in definition["questions"]] == ["q"]
    assert "form.xlsx: survey row 3, 'intro': note dropped (a note is not a question)" in warnings
    assert any(w.startswith("form.xlsx: survey row 2, 'start': metadata 'start'") for w in warnings)


def test_label_that_shows_an_answer_is_carried_as_written_with_a_warning(tmp_path: Path) -> None:
    path = build(tmp_path, [["text", "street", "Street?"], ["text", "q", "Problems on ${street}?"]])
    definition, warnings = convert(path)
    assert by_id(definition)["q"]["label"] == {"en": "Problems on ${street}?"}
    assert (
        "form.xlsx: survey row 3, 'q': the label shows ${…} as written (not filled in)" in warnings
    )


def test_languages_come_from_the_codes_in_column_names(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [["select_one yn", "q", "Safe?", "Bezpiecznie?", "Is it?", "Czy?"]],
        [["list_name", "name", "label::English (en)", "label::Polski (pl)"],
         ["yn", "yes", "Yes", "Tak"], ["yn", "no", "No", "Nie"]],
        settings={"form_title": "Street check", "form_id": "Street Check!", "version": "7"},
        head=["type", "name", "label::English (en)", "label::Polski (pl)", "hint::English (en)",
              "hint::Polski (pl)"],
    )  # fmt: skip
    definition, warnings = convert(path)
    assert definition["languages"] == ["en", "pl"]
    assert (definition["id"], definition["version"]) == ("street-check", 7)
    q = by_id(definition)["q"]
    assert q["label"] == {"en": "Safe?", "pl": "Bezpiecznie?"}
    assert q["hint"] == {"en": "Is it?", "pl": "Czy?"}
    assert q["choices"][0]["label"] == {"en": "Yes", "pl": "Tak"}
    # XLSForm has one form title: the Polish title is a copy, and says so.
    assert definition["x-xlsform"]["untranslated"] == {"pl": ["title"]}
    assert any("1 'pl' text(s) missing" in w for w in warnings)


def test_missing_translation_is_copied_and_listed(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [["text", "a", "A", "A po polsku"], ["text", "b", "B", ""]],
        head=["type", "name", "label::english", "label::polish"],
    )
    definition, _ = convert(path)
    assert definition["languages"] == ["en", "pl"]
    assert by_id(definition)["b"]["label"] == {"en": "B", "pl": "B"}
    assert definition["x-xlsform"]["untranslated"]["pl"] == ["title", "question 'b': label"]
    load_survey(definition)


def test_unlabelled_language_column_uses_the_language_option(tmp_path: Path) -> None:
    path = build(tmp_path, [["text", "a", "Pytanie"]])
    definition, _ = convert(path, language="pl")
    assert definition["languages"] == ["pl"]
    assert by_id(definition)["a"]["label"] == {"pl": "Pytanie"}


def test_unlabelled_column_beside_translations_is_the_first_language(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [["text", "a", "Question", "Pytanie"]],
        head=["type", "name", "label", "label::Polski (pl)"],
    )
    definition, _ = convert(path)
    assert definition["languages"] == ["en", "pl"]
    assert by_id(definition)["a"]["label"] == {"en": "Question", "pl": "Pytanie"}


def test_or_other_adds_the_other_choice_and_its_text_question(tmp_path: Path) -> None:
    path = build(tmp_path, [["select_one yn or_other", "worry", "Worried?"]])
    definition, _ = convert(path)
    qs = by_id(definition)
    assert [c["value"] for c in qs["worry"]["choices"]] == ["yes", "no", "other"]
    assert qs["worry_other"]["relevant"] == {"question": "worry", "includes": "other"}


def test_language_without_a_code_is_refused(tmp_path: Path) -> None:
    path = build(tmp_path, [["text", "a", "Q"]], head=["type", "name", "label::Elvish"])
    assert refusal(path) == [
        "form.xlsx: language 'Elvish' has no ISO code: name the column like 'label::Elvish (xx)'"
    ]


def test_purpose_is_a_placeholder_with_a_warning(tmp_path: Path) -> None:
    definition, warnings = convert(build(tmp_path, [["text", "a", "Q"]]), methods=["kiosk"])
    assert definition["purpose"] == {"en": PURPOSE_PLACEHOLDER}
    assert definition["x-xlsform"]["purpose_placeholder"] is True
    assert definition["methods"] == ["kiosk"]
    assert "purpose is a placeholder: write it before the survey is used" in warnings[-1]


def test_id_and_version_options_override_the_settings(tmp_path: Path) -> None:
    path = build(tmp_path, [["text", "a", "Q"]], settings={"form_id": "x", "version": "v2"})
    assert refusal(path) == [
        "form.xlsx: settings version 'v2' is not a whole number; use --version"
    ]
    definition, _ = convert(path, survey_id="my-survey", version=4)
    assert (definition["id"], definition["version"]) == ("my-survey", 4)


def test_names_that_are_not_plain_are_renamed_and_references_follow(tmp_path: Path) -> None:
    path = build(
        tmp_path,
        [["select_one yn", "is-safe", "Safe?"], ["text", "why", "Why?", "${is-safe} = 'no'"]],
    )
    definition, warnings = convert(path)
    assert by_id(definition)["why"]["relevant"] == {"question": "is_safe", "equals": "no"}
    assert any("renamed to 'is_safe'" in w for w in warnings)


def test_category_column_makes_choices_mentions(tmp_path: Path) -> None:
    choices = [
        ["list_name", "name", "label", "category"],
        ["p", "fast", "Speeding", "speeding"],
        ["p", "bins", "Bins", "wheelie-bins"],
    ]
    path = build(tmp_path, [["select_multiple p", "problems", "Problems?"]], choices)
    assert refusal(path) == [
        "form.xlsx: form v1: question 'problems': choice 'bins' names unknown category "
        "'wheelie-bins'"
    ]
    choices[2][3] = "litter"
    definition, _ = convert(build(tmp_path, [["select_multiple p", "problems", "P"]], choices))
    assert [c.get("category") for c in by_id(definition)["problems"]["choices"]] == [
        "speeding", "litter",
    ]  # fmt: skip


def test_not_a_workbook_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    path.write_text("not a spreadsheet", "utf-8")
    (problem,) = refusal(path)
    assert problem.startswith("notes.xlsx: ")


# --- the real forms in xlsforms/ (from pyxform's own tests) -----------------------------------

SHARED_REFUSED = {
    "UCL_Biomass_Plot_Form.xlsx": [
        "survey row 16, 'region_id': choices from 'UCL_regions.csv' cannot be carried (only a "
        "list on the choices sheet)",
        "survey row 17, 'district_id': choice_filter cannot be carried",
        "survey row 17, 'district_id': choices from 'UCL_districts.csv' cannot be carried (only "
        "a list on the choices sheet)",
        "survey row 18, 'village': choice_filter cannot be carried",
        "survey row 18, 'village': choices from 'UCL_villages.csv' cannot be carried (only a "
        "list on the choices sheet)",
        "survey row 20, 'plot_id': choice_filter cannot be carried",
        "survey row 20, 'plot_id': choices from 'ULC_Biomass_Plots.csv' cannot be carried (only "
        "a list on the choices sheet)",
        "survey row 22, 'center_point': geopoint cannot be carried: doorstep records the street, "
        "not coordinates; add a street question by hand",
        "survey row 23, 'center_image': image cannot be carried: doorstep does not store photos, "
        "recordings or files",
        "survey row 26, 'slope_radius': calculate cannot be carried: doorstep stores only what a "
        "person answered",
        "survey row 27, 'slope_radius_inner': calculate cannot be carried: doorstep stores only "
        "what a person answered",
        "survey row 32, 'trees': repeat cannot be carried: a doorstep response holds one answer "
        "per question",
        "survey row 56, 'stumps': repeat cannot be carried: a doorstep response holds one answer "
        "per question",
        "survey row 72, 'subplot1': repeat cannot be carried: a doorstep response holds one "
        "answer per question",
        "survey row 80, 'subplot2': repeat cannot be carried: a doorstep response holds one "
        "answer per question",
        "settings version '2022-04-11 16:26:28.971000' is not a whole number; use --version",
    ],
    "choice_filter_test.xlsx": [
        "survey row 3, 'county': choice_filter cannot be carried",
        "survey row 3, 'county': choice 'king' listed twice",
        "survey row 4, 'city': choice_filter cannot be carried",
    ],
    "group.xlsx": [
        "survey row 4, 'phone_number': phone number cannot be carried: contact details are "
        "personal data, which doorstep keeps apart from answers behind a consent question; add "
        "them by hand",
    ],
    "or_other.xlsx": ["survey row 3, 'fav_pastel': choice_filter cannot be carried"],
    "xlsform_spec_test.xlsx": [
        "survey row 14, 'a_decimal': constraint '. <= ${a_integer}' cannot be carried: "
        ". <= ${a_integer} has no doorstep equivalent",
        "survey row 15, 'repeat_test': repeat cannot be carried: a doorstep response holds one "
        "answer per question",
        "survey row 30, 'acknowledge_test': acknowledge cannot be carried: doorstep has no such "
        "question type",
        "survey row 32, 'time_test': time cannot be carried: doorstep keeps dates, not times",
        "survey row 33, 'datetime_test': datetime cannot be carried: doorstep keeps dates, not "
        "times",
        "survey row 34, 'geopoint_test': geopoint cannot be carried: doorstep records the street, "
        "not coordinates; add a street question by hand",
        "survey row 35, 'barcode_test': barcode cannot be carried: doorstep has no such question "
        "type",
        "survey row 36, 'image_test': image cannot be carried: doorstep does not store photos, "
        "recordings or files",
        "survey row 37, 'audio_test': audio cannot be carried: doorstep does not store photos, "
        "recordings or files",
        "survey row 38, 'video_test': video cannot be carried: doorstep does not store photos, "
        "recordings or files",
        "survey row 40, 'calculate_test': calculate cannot be carried: doorstep stores only what "
        "a person answered",
    ],
}


def test_every_shared_form_has_an_expected_outcome() -> None:
    imported = {"text_and_integer.xlsx", "yes_or_no_question.xlsx"}
    assert {p.name for p in FORMS.glob("*.xlsx")} == imported | set(SHARED_REFUSED)


@pytest.mark.parametrize("name", sorted(SHARED_REFUSED))
def test_shared_form_is_refused_by_name(name: str) -> None:
    assert refusal(FORMS / name) == [f"{name}: {line}" for line in SHARED_REFUSED[name]]


def test_shared_text_and_integer_imports() -> None:
    definition, _ = convert(FORMS / "text_and_integer.xlsx")
    assert definition["languages"] == ["en"]
    assert definition["questions"] == [
        {"id": "your_name", "type": "text", "label": {"en": "What is your name?"},
         "required": False},
        {"id": "your_age", "type": "number", "label": {"en": "How many years old are you?"},
         "required": False, "integer": True},
    ]  # fmt: skip


def test_shared_yes_or_no_question_imports() -> None:
    definition, _ = convert(FORMS / "yes_or_no_question.xlsx")
    survey = load_survey(definition)
    (q,) = survey.questions
    assert (q.id, q.type, [c.value for c in q.choices]) == (
        "good_day", "single_choice", ["yes", "no"],
    )  # fmt: skip


def test_shared_group_form_imports_once_the_phone_number_is_taken_out(tmp_path: Path) -> None:
    # The same shape as group.xlsx without the contact question: the group is flattened.
    path = build(
        tmp_path,
        [["text", "family_name", "What's your family name?"], ["begin_group", "father", "Father"],
         ["integer", "age", "How old is your father?"], ["end_group"]],
        head=["type", "name", "label::English (en)"],
    )  # fmt: skip
    definition, _ = convert(path)
    assert [q["id"] for q in definition["questions"]] == ["family_name", "age"]


# --- the command line --------------------------------------------------------------------------


def test_cli_prints_json_and_warnings_apart() -> None:
    result = CliRunner().invoke(
        main, ["survey", "import-xlsform", str(FORMS / "yes_or_no_question.xlsx")]
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["id"] == "yes_or_no_question"
    assert "warning: yes_or_no_question.xlsx: purpose is a placeholder" in result.stderr


def test_cli_writes_out_with_methods(tmp_path: Path) -> None:
    out = tmp_path / "survey.json"
    args = ["survey", "import-xlsform", str(FORMS / "text_and_integer.xlsx"), "--out", str(out),
            "--method", "event", "--method", "kiosk", "--id", "ages", "--version", "2"]  # fmt: skip
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text("utf-8"))
    assert (written["id"], written["version"], written["methods"]) == (
        "ages",
        2,
        ["event", "kiosk"],
    )
    assert f"wrote {out}" in result.stderr
    # The import is valid but not ready: its purpose must be written before it is used.
    unready = CliRunner().invoke(main, ["survey", "validate", str(out)])
    assert unready.exit_code == 1
    assert "purpose" in unready.output
    written["purpose"] = {lang: "Why we ask, who sees it, what we can change." for lang in
                          written["languages"]}  # fmt: skip
    written.pop("x-xlsform")
    out.write_text(json.dumps(written), "utf-8")
    assert CliRunner().invoke(main, ["survey", "validate", str(out)]).exit_code == 0


def test_cli_refusal_exits_1_with_each_problem_on_its_own_line() -> None:
    result = CliRunner().invoke(main, ["survey", "import-xlsform", str(FORMS / "or_other.xlsx")])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "or_other.xlsx: survey row 3, 'fav_pastel': choice_filter cannot be carried"
    ]


def test_cli_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["survey", "import-xlsform", str(tmp_path / "none.xlsx")])
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
