"""Fixtures for survey_schemas tests: a small valid definition to bend in each test."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from survey_schemas import Survey, bundled_registry, load_survey

BASE: dict[str, Any] = {
    "id": "street-check",
    "version": 1,
    "title": {"en": "Street check", "pl": "Sprawdzenie ulicy"},
    "purpose": {"en": "Why we ask.", "pl": "Dlaczego pytamy."},
    "languages": ["en", "pl"],
    "methods": ["doorstep"],
    "questions": [
        {
            "id": "consent",
            "type": "consent",
            "required": True,
            "label": {"en": "Happy to help?", "pl": "Czy zgoda?"},
        },
        {
            "id": "concerns",
            "type": "multiple_choice",
            "required": True,
            "label": {"en": "Problems?", "pl": "Problemy?"},
            "choices": [
                {"value": "speeding", "label": {"en": "Speeding", "pl": "Prędkość"},
                 "category": "speeding"},
                {"value": "litter", "label": {"en": "Litter", "pl": "Śmieci"},
                 "category": "litter"},
                {"value": "none", "label": {"en": "None", "pl": "Brak"}},
                {"value": "other", "label": {"en": "Other", "pl": "Inne"}},
            ],
            "constraint": {"exclusive": ["none"]},
        },
        {
            "id": "severity",
            "type": "scale",
            "min": 1,
            "max": 5,
            "severity_for": "concerns",
            "label": {"en": "How bad?", "pl": "Jak bardzo?"},
        },
        {
            "id": "other_concern",
            "type": "text",
            "max_length": 20,
            "issue_text": True,
            "relevant": {"question": "concerns", "includes": "other"},
            "label": {"en": "What else?", "pl": "Co jeszcze?"},
        },
        {
            "id": "households",
            "type": "number",
            "integer": True,
            "min": 1,
            "max": 10,
            "label": {"en": "People at home?", "pl": "Ile osób?"},
        },
        {
            "id": "lived_here",
            "type": "date",
            "min": "1950-01-01",
            "max": "2030-12-31",
            "label": {"en": "Moved in?", "pl": "Od kiedy?"},
        },
        {
            "id": "safe_after_dark",
            "type": "single_choice",
            "label": {"en": "Safe after dark?", "pl": "Bezpiecznie po zmroku?"},
            "choices": [
                {"value": "safe", "label": {"en": "Safe", "pl": "Bezpiecznie"}},
                {"value": "unsafe", "label": {"en": "Unsafe", "pl": "Niebezpiecznie"}},
            ],
        },
        {"id": "owner", "type": "yes_no", "label": {"en": "Own it?", "pl": "Własność?"}},
        {"id": "where", "type": "street", "label": {"en": "Where?", "pl": "Gdzie?"}},
        {
            "id": "recontact",
            "type": "consent",
            "label": {"en": "Contact you?", "pl": "Kontakt?"},
        },
        {
            "id": "contact_phone",
            "type": "text",
            "personal": True,
            "max_length": 30,
            "relevant": {"question": "recontact", "equals": True},
            "constraint": {"pattern": "[0-9 +]{6,30}"},
            "label": {"en": "Phone", "pl": "Telefon"},
        },
    ],
}  # fmt: skip


@pytest.fixture
def definition() -> dict[str, Any]:
    """Return a fresh copy of a small valid definition that uses every question type."""
    return copy.deepcopy(BASE)


@pytest.fixture(scope="session")
def survey() -> Survey:
    """Return the small definition, loaded."""
    return load_survey(copy.deepcopy(BASE))


@pytest.fixture(scope="session")
def doorstep() -> Survey:
    """Return the bundled doorstep survey."""
    return bundled_registry().get("doorstep-safety", 1)


def question(definition: dict[str, Any], qid: str) -> dict[str, Any]:
    """Return the raw question ``qid`` of a definition, to change it in place."""
    return next(q for q in definition["questions"] if q["id"] == qid)
