"""The suite's test data in one place: surveys and their questions, wire responses, pushes.

A test says only what matters to it::

    survey("merge-test", concerns({"fast": "speeding", "other": None}), severity())

and gets a whole, valid survey definition (English labels, every method) to add or load.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

METHODS = ["doorstep", "event", "kiosk", "meeting"]


def _en(text: str) -> dict[str, str]:
    return {"en": text}


def choices(values: dict[str, str | None]) -> list[dict[str, Any]]:
    """Return choices from ``{value: category}`` (None: no category, such as "other")."""
    out = []
    for value, category in values.items():
        choice: dict[str, Any] = {"value": value, "label": _en(value.replace("_", " ").title())}
        if category is not None:
            choice["category"] = category
        out.append(choice)
    return out


def concerns(
    values: dict[str, str | None], qid: str = "concerns", *, required: bool = False
) -> dict[str, Any]:
    """Return the multiple-choice concerns question with ``{value: category}`` choices."""
    question: dict[str, Any] = {"id": qid, "type": "multiple_choice", "label": _en("Problems?")}
    question["choices"] = choices(values)
    if required:
        question["required"] = True
    return question


def single(qid: str, values: dict[str, str | None], *, equality: bool = False) -> dict[str, Any]:
    """Return a single-choice question (an equality-monitoring one when asked)."""
    question: dict[str, Any] = {"id": qid, "type": "single_choice", "label": _en(f"{qid}?")}
    if equality:
        question["x-equality"] = True
    question["choices"] = choices(values)
    return question


def severity(of: str = "concerns", qid: str = "severity") -> dict[str, Any]:
    """Return the 1-5 severity scale for the concerns question ``of``."""
    return {
        "id": qid,
        "type": "scale",
        "min": 1,
        "max": 5,
        "severity_for": of,
        "label": _en("How bad?"),
    }


def free_text(qid: str = "other_text", *, when: tuple[str, str] | None = None) -> dict[str, Any]:
    """Return a free-text issue question (shown when ``when=(question, choice)`` is chosen)."""
    question: dict[str, Any] = {
        "id": qid,
        "type": "text",
        "issue_text": True,
        "label": _en("What?"),
    }
    if when is not None:
        question["relevant"] = {"question": when[0], "includes": when[1]}
    return question


def contact(consent: str = "ok", qid: str = "contact") -> list[dict[str, Any]]:
    """Return a consent question and the personal field it guards."""
    return [
        {"id": consent, "type": "consent", "label": _en("May we call you back?")},
        {
            "id": qid,
            "type": "text",
            "personal": True,
            "relevant": {"question": consent, "equals": True},
            "label": _en("Phone?"),
        },
    ]


def survey(survey_id: str, *questions: dict[str, Any], version: int = 1, **extra: Any) -> dict:
    """Return a whole survey definition with ``questions`` (English, every method)."""
    return {
        "id": survey_id,
        "version": version,
        "title": _en(f"Survey {survey_id}"),
        "purpose": _en("To test doorstep."),
        "languages": ["en"],
        "methods": list(METHODS),
        "questions": list(questions),
        **extra,
    }


def wire_response(**overrides: Any) -> dict[str, Any]:
    """Return a valid wire response to the server tests' survey (a fresh id unless given)."""
    item: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "survey_id": "test-safety",
        "survey_version": 1,
        "area": "abbey",
        "method": "doorstep",
        "collected_at": "2025-03-01T10:00:00+00:00",
        "answers": {"concerns": ["speeding"], "severity": 3},
    }
    item.update(overrides)
    return item


def push(client: FlaskClient, token: str, items: list[Any], **kwargs: Any) -> TestResponse:
    """POST ``items`` to the sync push as the device holding ``token``; return the answer."""
    headers = {"Authorization": f"Bearer {token}"}
    return client.post("/api/v1/sync/push", json={"responses": items}, headers=headers, **kwargs)


def push_accepted(client: FlaskClient, token: str, items: list[Any]) -> None:
    """Push ``items`` and check every one was accepted."""
    reply = push(client, token, items)
    assert reply.status_code == 200, reply.get_json()
    statuses = [r["status"] for r in reply.get_json()["results"]]
    assert statuses == ["accepted"] * len(items), reply.get_json()
