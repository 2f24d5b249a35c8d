"""Surveys that exercise every part of the XForm mapping, shared by the XForm, OpenRosa and ODK
engine tests: every question type and constraint, every kind of relevance condition, and text
that XML, XPath and pyxform each treat specially."""

from __future__ import annotations

from typing import Any

from survey_schemas import Survey, load_survey


def _t(en: str, pl: str | None = None) -> dict[str, str]:
    return {"en": en, "pl": pl if pl is not None else f"{en} (pl)"}


EVERY_FEATURE: dict[str, Any] = {
    "id": "every-feature",
    "version": 3,
    "title": _t("Every feature", "Wszystko"),
    "purpose": _t("Why we ask: to test ${purpose} & <markup>.", "Dlaczego pytamy."),
    "languages": ["en", "pl"],
    "methods": ["event", "doorstep"],
    "questions": [
        {"id": "consent", "type": "consent", "required": True, "label": _t("Happy to help?")},
        {
            "id": "problems",
            "type": "multiple_choice",
            "label": _t("Problems? Write ${problems} as you like"),
            "hint": _t("Choose 1 to 3"),
            "relevant": {"question": "consent", "equals": True},
            "choices": [
                {"value": "speeding", "label": _t("Speeding"), "category": "speeding"},
                {"value": "it's", "label": _t('It\'s <odd> & "quoted"')},
                {"value": 'say"hi"', "label": _t("Say hi")},
                {"value": "both'\"", "label": _t("Both quotes")},
                {"value": "zażółć", "label": _t("Zażółć gęślą jaźń")},
                {"value": "none", "label": _t("None")},
            ],
            "constraint": {
                "exclusive": ["none"],
                "min_selected": 1,
                "max_selected": 3,
                "message": _t("One to three, and 'none' alone", "Od 1 do 3"),
            },
        },
        {
            "id": "worst",
            "type": "single_choice",
            "relevant": {"question": "problems", "answered": True},
            "label": _t("Worst?"),
            "choices": [
                {"value": "speeding", "label": _t("Speeding")},
                {"value": "it's", "label": _t("It's")},
                {"value": "7", "label": _t("Seven")},
            ],
        },
        {
            "id": "severity",
            "type": "scale",
            "min": 1,
            "max": 5,
            "severity_for": "problems",
            "relevant": {
                "any": [
                    {"question": "problems", "includes": "it's"},
                    {"question": "problems", "includes": "both'\""},
                    {"question": "worst", "includes": "speeding"},
                ]
            },
            "label": _t("How bad?"),
        },
        {
            "id": "households",
            "type": "number",
            "integer": True,
            "min": -5,
            "max": 1000000,
            "label": _t("Households?"),
        },
        {
            "id": "spend",
            "type": "number",
            "min": -0.5,
            "max": 1e6,
            "required": True,
            "relevant": {"not": {"question": "households", "equals": 0}},
            "label": _t("Spend?"),
        },
        {
            "id": "ratio",
            "type": "number",
            "label": _t("Any number at all?"),
            "relevant": {"question": "spend", "equals": 2.5},
        },
        {
            "id": "moved_in",
            "type": "date",
            "min": "1950-01-01",
            "max": "2030-12-31",
            "label": _t("Moved in?"),
        },
        {
            "id": "since",
            "type": "text",
            "max_length": 40,
            "relevant": {"question": "moved_in", "equals": "2000-01-01"},
            "label": _t("Millennium!"),
        },
        {
            "id": "safe",
            "type": "yes_no",
            "required": True,
            "label": _t("Safe?"),
            "relevant": {"all": [{"question": "consent", "equals": True}]},
        },
        {
            "id": "why_unsafe",
            "type": "text",
            "max_length": 120,
            "issue_text": True,
            "relevant": {
                "all": [
                    {"question": "safe", "equals": False},
                    {"not": {"question": "worst", "equals": "7"}},
                ]
            },
            "label": _t("Why not?"),
        },
        {
            "id": "exact_pair",
            "type": "text",
            "relevant": {"question": "problems", "equals": ["speeding", "zażółć"]},
            "label": _t("Speeding and zażółć, in that order"),
        },
        {
            "id": "never",
            "type": "text",
            "relevant": {"question": "since", "equals": 7},
            "label": _t("Never asked"),
        },
        {
            "id": "unanswered_worst",
            "type": "street",
            "max_length": 80,
            "relevant": {"question": "worst", "answered": False},
            "label": _t("Street, asked when 'worst' is left"),
        },
        {
            "id": "code",
            "type": "text",
            "max_length": 12,
            "constraint": {"pattern": "[A-Z]{2}'?[0-9]{1,3}", "message": _t("Like AB'12")},
            "label": _t("Code?"),
        },
        {
            "id": "recontact",
            "type": "consent",
            "relevant": {"question": "consent", "equals": True},
            "label": _t("Contact you again?"),
        },
        {
            "id": "phone",
            "type": "text",
            "personal": True,
            "max_length": 30,
            "relevant": {
                "all": [
                    {"question": "consent", "equals": True},
                    {"question": "recontact", "equals": True},
                ]
            },
            "constraint": {"pattern": "[0-9+() -]{6,30}"},
            "label": _t("Phone?"),
        },
    ],
}

# A chain through a question that stops applying: ``third`` hangs on ``second`` alone, and
# ``second`` on ``first``. When ``first`` turns to no, doorstep forgets ``second`` (answers
# to questions that do not apply are no answers), so ``third`` must stop applying too.
CHAIN: dict[str, Any] = {
    "id": "chain",
    "version": 1,
    "title": {"en": "Chain"},
    "purpose": {"en": "Relevance through a question that stops applying."},
    "languages": ["en"],
    "methods": ["doorstep"],
    "questions": [
        {"id": "first", "type": "yes_no", "label": {"en": "First?"}},
        {
            "id": "second",
            "type": "text",
            "relevant": {"question": "first", "equals": True},
            "label": {"en": "Second?"},
        },
        {
            "id": "third",
            "type": "text",
            "relevant": {"question": "second", "answered": True},
            "label": {"en": "Third?"},
        },
    ],
}


def every_feature() -> Survey:
    """Return :data:`EVERY_FEATURE` loaded."""
    return load_survey(EVERY_FEATURE)


def chain() -> Survey:
    """Return :data:`CHAIN` loaded."""
    return load_survey(CHAIN)
