"""A NaN, infinite or negative PRIORITY_* weight stops the server at startup, naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask

from server import create_app
from server.cli import main
from server.issues.priorities import weights_from
from server.issues.ranking import Weights


def start(tmp_path: Path, **config: object) -> Flask:
    return create_app(
        {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "test", "TESTING": True, **config}
    )


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("PRIORITY_WEIGHT_SHARE", "nan"),
        ("PRIORITY_WEIGHT_SEVERITY", "inf"),
        ("PRIORITY_WEIGHT_TREND", "-0.1"),
        ("PRIORITY_CONFIDENCE", "-inf"),
        ("PRIORITY_TREND_THRESHOLD", "-1"),
        ("PRIORITY_NEUTRAL_SEVERITY", "1.5"),
    ],
)
def test_bad_weight_from_the_environment_is_refused_at_startup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, raw: str
) -> None:
    monkeypatch.setenv(f"DOORSTEP_{name}", raw)
    with pytest.raises(ValueError, match=f"DOORSTEP_{name}"):
        start(tmp_path)


def test_good_weights_are_taken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOORSTEP_PRIORITY_WEIGHT_TREND", "0")
    app = start(tmp_path, PRIORITY_NEUTRAL_SEVERITY=1.0)
    weights = weights_from(app.config)
    assert (weights.trend, weights.neutral_severity, weights.share) == (0.0, 1.0, Weights().share)


def test_serve_refuses_a_bad_weight_in_one_line(tmp_path: Path) -> None:
    env = {"DOORSTEP_INSTANCE": str(tmp_path), "DOORSTEP_PRIORITY_WEIGHT_SHARE": "nan"}
    result = CliRunner(env=env).invoke(main, ["server", "serve", "--port", "0"])
    assert result.exit_code == 1
    assert "Error: DOORSTEP_PRIORITY_WEIGHT_SHARE: nan must be a finite number" in result.output
    assert "Traceback" not in result.output and "doorstep server on" not in result.output
