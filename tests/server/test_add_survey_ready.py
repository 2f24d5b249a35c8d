"""``doorstep server add-survey`` refuses a survey whose purpose is still a placeholder."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from server.cli import main
from tests.survey_schemas.test_survey_readiness import PROBLEM, imported, written


def test_add_survey_refuses_an_unwritten_purpose_and_stores_nothing(
    tmp_path: Path, runner: CliRunner
) -> None:
    path = imported(tmp_path)
    refused = runner.invoke(main, ["server", "add-survey", str(path)])
    assert refused.exit_code == 1
    assert "not ready to be used" in refused.output and PROBLEM in refused.output
    written(path, purpose={"en": "Why we ask, who sees it."}, x_xlsform=None)
    added = runner.invoke(main, ["server", "add-survey", str(path), "--json"])
    assert json.loads(added.output) == {
        "survey_id": "x-form",
        "version": 1,
        "added": True,
        "group": None,
    }
