"""A survey whose purpose is still the XLSForm placeholder is flagged and cannot be added."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from survey_schemas import bundled_files, load_survey
from survey_schemas.readiness import unready_problems
from tests.survey_schemas.test_xlsform import build

PROBLEM = "x-form v1: purpose: still the XLSForm placeholder"


def imported(tmp_path: Path) -> Path:
    """Import a one-question XLSForm with the real command; return the JSON file."""
    out = tmp_path / "x-form.json"
    xlsx = build(tmp_path, [["text", "a", "Q"]])
    args = ["survey", "import-xlsform", str(xlsx), "--id", "x-form", "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    return out


def written(path: Path, **changes: Any) -> Path:
    """Rewrite a survey file with ``changes`` (``None`` removes a key); return the path."""
    definition = json.loads(path.read_text("utf-8"))
    for key, value in changes.items():
        key = key.replace("_", "-")
        if value is None:
            definition.pop(key, None)
        else:
            definition[key] = value
    path.write_text(json.dumps(definition), "utf-8")
    return path


def test_validate_prints_a_problem_line_for_an_unwritten_purpose(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["survey", "validate", str(imported(tmp_path))])
    assert result.exit_code == 1 and result.output.startswith(PROBLEM)


def test_validate_flags_a_placeholder_left_in_a_folder(tmp_path: Path) -> None:
    imported(tmp_path)
    result = CliRunner().invoke(main, ["survey", "validate", str(tmp_path), "--json"])
    body = json.loads(result.output)
    assert result.exit_code == 1 and body["surveys"] == ["x-form v1"]
    assert [p[: len(PROBLEM)] for p in body["problems"]] == [PROBLEM]


@pytest.mark.parametrize(
    "changes",
    [
        {"x_xlsform": None},  # the mark removed, the placeholder text left
        {"purpose": {"en": "Why we ask, who sees it, what we can change."}},  # text, mark left
    ],
)
def test_half_finished_purpose_is_still_a_problem(tmp_path: Path, changes: dict) -> None:
    path = written(imported(tmp_path), **changes)
    assert CliRunner().invoke(main, ["survey", "validate", str(path)]).exit_code == 1


def test_written_purpose_without_the_mark_is_ready(tmp_path: Path) -> None:
    path = written(imported(tmp_path), purpose={"en": "Why we ask, who sees it."}, x_xlsform=None)
    result = CliRunner().invoke(main, ["survey", "validate", str(path)])
    assert result.exit_code == 0 and "ok: x-form v1" in result.output


def test_bundled_surveys_are_ready() -> None:
    paths = bundled_files()
    assert len(paths) >= 5
    for path in paths:
        assert unready_problems(load_survey(json.loads(path.read_text("utf-8"))).definition) == []
