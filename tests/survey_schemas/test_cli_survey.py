"""``doorstep survey validate``: exit 0, or 1 with one problem per line and no traceback."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from server.cli import main
from survey_schemas import bundled_dir, bundled_files

from .conftest import question


def _run(*args: str) -> Any:
    return CliRunner().invoke(main, ["survey", "validate", *args], catch_exceptions=False)


def _write(tmp_path: Path, definition: Any, name: str = "survey.json") -> Path:
    path = tmp_path / name
    path.write_text(definition if isinstance(definition, str) else json.dumps(definition), "utf-8")
    return path


@pytest.mark.parametrize("path", bundled_files(), ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bundled_survey_file_validates(path: Path) -> None:
    result = _run(str(path))
    assert result.exit_code == 0
    assert result.output == f"ok: {path.parent.name} {path.stem}\n"


def test_folder_of_surveys_validates_its_subfolders_too() -> None:
    result = _run(str(bundled_dir()))
    assert result.exit_code == 0
    every = ", ".join(f"{p.parent.name} {p.stem}" for p in bundled_files())
    assert result.output == f"ok: {every}\n"
    assert "doorstep-safety v1, doorstep-safety v2" in result.output


def test_invalid_survey_exits_1_with_one_problem_per_line(
    tmp_path: Path, definition: dict[str, Any]
) -> None:
    question(definition, "owner")["label"] = {"en": "Own it?"}
    question(definition, "concerns")["choices"][0]["category"] = "speed"
    definition["version"] = 0
    result = _run(str(_write(tmp_path, definition)))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines == [
        "street-check v0: version: Must be greater than or equal to 1.",
        "street-check v0: question 'concerns': choice 'speeding' names unknown category 'speed'",
        "street-check v0: question 'owner': label: missing the 'pl' text",
    ]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "content,message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "the definition must be a JSON object"),
        ("", "not valid JSON"),
        ("\udcff", "not valid JSON"),
    ],
)
def test_unreadable_file_exits_1_with_a_message(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "survey.json"
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    result = _run(str(path))
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


def test_missing_file_exits_1(tmp_path: Path) -> None:
    result = _run(str(tmp_path / "nope.json"))
    assert result.exit_code == 1
    assert "no such file" in result.output


def test_json_flag_prints_one_object(tmp_path: Path, definition: dict[str, Any]) -> None:
    good = _write(tmp_path, definition, "good.json")
    definition["id"] = "Bad Id"
    bad = _write(tmp_path, definition, "bad.json")
    result = _run("--json", str(good), str(bad))
    assert result.exit_code == 1
    doc = json.loads(result.output)
    assert doc["ok"] is False and doc["surveys"] == ["street-check v1"]
    assert doc["problems"] == ["Bad Id v1: id: must be a lowercase slug"]


def test_validate_needs_a_path() -> None:
    result = CliRunner().invoke(main, ["survey", "validate"])
    assert result.exit_code == 2
    assert "Missing argument" in result.output
