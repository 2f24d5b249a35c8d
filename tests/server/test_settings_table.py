"""Settings the code reads come from the one table: typed, set by DOORSTEP_*, documented."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from server import create_app, settings
from server.issues.priorities import weights_from
from server.issues.ranking import Weights
from tests.server.test_web_data import sign_in

DOC = Path(__file__).parents[2] / "docs" / "server-dev.md"


def make_app(tmp_path: Path) -> Flask:
    return create_app({"INSTANCE_PATH": str(tmp_path), "DATABASE_URL": "sqlite://"})


def test_the_documented_table_is_the_settings_table() -> None:
    assert settings.settings_table() in DOC.read_text(encoding="utf-8")


def test_default_score_settings_are_the_formulas_defaults(tmp_path: Path) -> None:
    assert weights_from(make_app(tmp_path).config) == Weights()


def test_score_weights_come_from_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOORSTEP_PRIORITY_WEIGHT_SHARE", "0.5")
    monkeypatch.setenv("DOORSTEP_PRIORITY_CONFIDENCE", "1")
    weights = weights_from(make_app(tmp_path).config)
    assert (weights.share, weights.confidence, weights.trend) == (0.5, 1.0, 0.1)


@pytest.mark.parametrize(("raw", "secure"), [("true", True), ("0", False)])
def test_secure_cookies_comes_from_the_environment(
    tmp_path: Path, monkeypatch, raw: str, secure: bool
) -> None:
    monkeypatch.setenv("DOORSTEP_SECURE_COOKIES", raw)
    app = make_app(tmp_path)
    assert (app.config["SECURE_COOKIES"], app.config["SESSION_COOKIE_SECURE"]) == (secure, secure)


def test_signin_limits_are_typed_settings(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("DOORSTEP_SIGNIN_MAX_FAILURES", "2")
    monkeypatch.setenv("DOORSTEP_SIGNIN_FAILURE_WINDOW", "60")
    config = make_app(tmp_path).config
    assert (config["SIGNIN_MAX_FAILURES"], config["SIGNIN_FAILURE_WINDOW"]) == (2, 60)
    assert config["SIGNIN_MAX_ADDRESS_FAILURES"] == 20


def test_signin_failure_limit_setting_locks_sooner(app: Flask) -> None:
    app.config["SIGNIN_MAX_FAILURES"] = 2
    client = app.test_client()
    for _ in range(2):
        assert sign_in(client, "nobody", "wrong").status_code == 400
    assert sign_in(client, "nobody", "wrong").status_code == 429
