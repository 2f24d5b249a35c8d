"""The survey registry: released versions by (id, version), never replaced."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from survey_schemas import (
    SurveyError,
    SurveyRegistry,
    UnknownSurvey,
    VersionConflict,
    bundled_registry,
    load_survey,
)


def _write(folder: Path, name: str, definition: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(definition), "utf-8")
    return path


def test_add_and_get_a_version(definition: dict[str, Any]) -> None:
    reg = SurveyRegistry()
    assert reg.add(definition) is True
    assert reg.get("street-check", 1).title["en"] == "Street check"
    assert ("street-check", 1) in reg and len(reg) == 1


def test_same_content_again_is_a_no_op(definition: dict[str, Any]) -> None:
    reg = SurveyRegistry()
    reg.add(definition)
    reordered = json.loads(json.dumps(definition, sort_keys=True))
    assert reg.add(reordered) is False
    assert len(reg) == 1


def test_released_version_is_never_replaced_with_other_content(
    definition: dict[str, Any],
) -> None:
    reg = SurveyRegistry()
    reg.add(definition)
    changed = copy.deepcopy(definition)
    changed["title"]["en"] = "Street check (edited)"
    with pytest.raises(VersionConflict, match="street-check v1: this version is already released"):
        reg.add(changed)
    assert reg.get("street-check", 1).title["en"] == "Street check"


def test_a_change_is_a_new_version_and_both_are_kept(definition: dict[str, Any]) -> None:
    reg = SurveyRegistry()
    reg.add(definition)
    newer = copy.deepcopy(definition)
    newer["version"] = 2
    newer["questions"].pop()
    reg.add(load_survey(newer))
    assert [s.key for s in reg] == [("street-check", 1), ("street-check", 2)]
    assert reg.latest("street-check").version == 2
    assert reg.get("street-check", 1).question("contact_phone") is not None
    assert [s.key for s in reg.latest_all()] == [("street-check", 2)]


def test_invalid_definition_is_not_registered(definition: dict[str, Any]) -> None:
    reg = SurveyRegistry()
    definition["version"] = 0
    with pytest.raises(SurveyError):
        reg.add(definition)
    assert len(reg) == 0


@pytest.mark.parametrize("key", [("street-check", 3), ("nope", 1), ("street-check", "1")])
def test_unknown_version_raises_on_get_and_is_none_on_find(
    definition: dict[str, Any], key: tuple[Any, Any]
) -> None:
    reg = SurveyRegistry()
    reg.add(definition)
    with pytest.raises(UnknownSurvey):
        reg.get(*key)
    assert reg.find(*key) is None


def test_find_with_unhashable_input_is_none(definition: dict[str, Any]) -> None:
    reg = SurveyRegistry()
    reg.add(definition)
    assert reg.find(["street-check"], {"v": 1}) is None
    with pytest.raises(UnknownSurvey):
        reg.latest("nope")


def test_load_dir_reads_every_definition(tmp_path: Path, definition: dict[str, Any]) -> None:
    _write(tmp_path, "a.json", definition)
    second = copy.deepcopy(definition)
    second["id"] = "other-check"
    _write(tmp_path, "b.json", second)
    (tmp_path / "notes.txt").write_text("not a survey", "utf-8")
    reg = SurveyRegistry()
    added = reg.load_dir(tmp_path)
    assert [s.id for s in added] == ["street-check", "other-check"]


def test_load_dir_reports_every_bad_file_by_name(
    tmp_path: Path, definition: dict[str, Any]
) -> None:
    _write(tmp_path, "a.json", definition)
    clash = copy.deepcopy(definition)
    clash["title"]["en"] = "Different"
    _write(tmp_path, "b.json", clash)
    (tmp_path / "c.json").write_text("{oops", "utf-8")
    broken = copy.deepcopy(definition)
    broken["id"], broken["languages"] = "broken", ["en"]
    _write(tmp_path, "d.json", broken)
    reg = SurveyRegistry()
    with pytest.raises(SurveyError) as exc:
        reg.load_dir(tmp_path)
    problems = exc.value.problems
    assert problems[0].startswith("b.json: street-check v1: this version is already released")
    assert any(p.startswith("c.json: ") and "not valid JSON" in p for p in problems)
    assert any(p.startswith("d.json: broken v1: title: text in 'pl'") for p in problems)
    assert ("street-check", 1) in reg


def test_bundled_registry_holds_every_bundled_version() -> None:
    reg = bundled_registry()
    assert [s.key for s in reg] == [
        ("doorstep-safety", 1),
        ("doorstep-safety", 2),
        ("doorstep-safety-full", 1),
        ("event-kiosk", 1),
        ("group-meeting", 1),
    ]
    assert reg.latest("doorstep-safety").version == 2
    assert reg.get("event-kiosk", 1).methods == ("event", "kiosk")
    assert reg.get("group-meeting", 1).methods == ("meeting",)


def test_load_dir_reads_one_folder_per_survey_and_names_files_by_path(
    tmp_path: Path, definition: dict[str, Any]
) -> None:
    (tmp_path / "street-check").mkdir()
    _write(tmp_path, "street-check/v1.json", definition)
    second = copy.deepcopy(definition)
    second["version"] = 2
    _write(tmp_path, "street-check/v2.json", second)
    broken = copy.deepcopy(second)
    broken["version"] = 10
    broken["languages"] = ["en"]
    _write(tmp_path, "street-check/v10.json", broken)
    reg = SurveyRegistry()
    with pytest.raises(SurveyError) as exc:
        reg.load_dir(tmp_path)
    assert exc.value.problems[0].startswith("street-check/v10.json: street-check v10: ")
    assert ("street-check", 1) in reg and ("street-check", 2) in reg
