"""`doorstep server …` commands, through CliRunner and one real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from server.cli import main
from server.models import Area, Device, SurveyVersion

from .conftest import TEST_SURVEY


@pytest.fixture
def cli(database_url: str, tmp_path: Path) -> CliRunner:
    """Return a runner for a deployment whose database is still empty."""
    return CliRunner(
        env={
            "DOORSTEP_DATABASE_URL": database_url,
            "DOORSTEP_INSTANCE": str(tmp_path / "instance"),
            "DOORSTEP_SECRET_KEY": "test",
        }
    )


def run(cli: CliRunner, *args: str) -> dict:
    result = cli.invoke(main, ["server", *args, "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output.strip().splitlines()[-1])


def count(url: str, model: type) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_init_demo_is_safe_to_run_again(cli: CliRunner, database_url: str) -> None:
    first = run(cli, "init", "--demo")
    assert first["areas_added"] == 6 and first["groups"] == 2
    assert len(first["surveys_added"]) >= 1
    again = run(cli, "init", "--demo")
    assert again == {"groups": 0, "areas_added": 0, "areas_updated": 0, "surveys_added": []}
    assert count(database_url, Area) == 6


def test_init_loads_every_bundled_version(cli: CliRunner) -> None:
    added = run(cli, "init", "--demo")["surveys_added"]
    # a fresh server still takes the v1 responses collectors in the field hold
    assert added[:2] == ["doorstep-safety v1", "doorstep-safety v2"]
    assert {"doorstep-safety-full v1", "event-kiosk v1", "group-meeting v1"} <= set(added)


def test_init_with_areas_csv(cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    csv = tmp_path / "areas.csv"
    csv.write_text("code,name,group,households,streets\nx1,X One,g1,120,A Road;B Lane\n")
    assert run(cli, "init", "--areas", str(csv))["areas_added"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nx2,X Two\n")
    result = cli.invoke(main, ["server", "init", "--areas", str(bad)])
    assert result.exit_code == 1
    assert "missing column(s) group" in result.output
    assert "Traceback" not in result.output


def test_add_survey_twice_adds_once(cli: CliRunner, database_url: str, tmp_path: Path) -> None:
    run(cli, "init")
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(TEST_SURVEY))
    assert run(cli, "add-survey", str(path))["added"] is True
    assert run(cli, "add-survey", str(path))["added"] is False
    changed = {**TEST_SURVEY, "title": {"en": "Edited"}}
    path.write_text(json.dumps(changed))
    result = cli.invoke(main, ["server", "add-survey", str(path)])
    assert result.exit_code == 1 and "new version" in result.output
    assert count(database_url, SurveyVersion) >= 2


def test_create_user_prints_token_once(cli: CliRunner) -> None:
    run(cli, "init", "--demo")
    out = run(cli, "create-user", "ana", "--role", "coordinator", "--group", "northfield")
    assert out["user"] == {"name": "ana", "role": "coordinator", "groups": ["northfield"]}
    assert len(out["token"]) >= 43
    result = cli.invoke(main, ["server", "create-user", "ana", "--role", "admin"])
    assert result.exit_code == 1 and "exists already" in result.output


def test_coordinator_needs_a_known_group(cli: CliRunner) -> None:
    run(cli, "init")
    result = cli.invoke(main, ["server", "create-user", "bo", "--role", "coordinator"])
    assert result.exit_code == 1 and "--group" in result.output
    result = cli.invoke(
        main, ["server", "create-user", "bo", "--role", "coordinator", "--group", "nope"]
    )
    assert result.exit_code == 1 and "no group 'nope'" in result.output


def test_enroll_code_then_revoke_device(cli: CliRunner, database_url: str) -> None:
    run(cli, "init", "--demo")
    out = run(cli, "enroll-code", "--label", "Abbey Pi", "--group", "northfield")
    assert set(out) == {"code", "expires_at"} and len(out["code"]) == 14
    result = cli.invoke(main, ["server", "revoke-device", "no-such-device"])
    assert result.exit_code == 1 and "no device" in result.output
    assert count(database_url, Device) == 0


def test_real_subprocess_init_and_enroll_code(database_url: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": database_url,
        "DOORSTEP_INSTANCE": str(tmp_path / "instance"),
    }
    doorstep = [sys.executable, "-c", "from server.cli import main; main()"]
    init = subprocess.run(
        [*doorstep, "server", "init", "--demo"], env=env, capture_output=True, text=True
    )
    assert init.returncode == 0, init.stderr
    assert "database ready" in init.stdout
    code = subprocess.run(
        [*doorstep, "server", "enroll-code", "--json"], env=env, capture_output=True, text=True
    )
    assert code.returncode == 0, code.stderr
    assert json.loads(code.stdout)["code"]
    assert (tmp_path / "instance" / "secret_key").exists()


def test_serve_runs_waitress_and_answers_health(
    database_url: str, tmp_path: Path, free_port: int
) -> None:
    env = {
        **os.environ,
        "DOORSTEP_DATABASE_URL": database_url,
        "DOORSTEP_INSTANCE": str(tmp_path / "instance"),
    }
    doorstep = [sys.executable, "-c", "from server.cli import main; main()"]
    subprocess.run([*doorstep, "server", "init", "--demo"], env=env, check=True)
    proc = subprocess.Popen(
        [*doorstep, "server", "serve", "--port", str(free_port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        reply = _wait_for_health(f"http://127.0.0.1:{free_port}", proc)
        assert reply.json() == {"status": "ok", "protocol": 1}
        # waitress names itself by the ident we give; Flask's dev server says Werkzeug.
        assert reply.headers["Server"] == "doorstep"
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)
    assert "doorstep server on http://127.0.0.1" in output


def _wait_for_health(base: str, proc: subprocess.Popen) -> Any:
    """Poll the health endpoint until the server answers (or the process dies)."""
    import time

    import requests

    for _ in range(300):
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.communicate()[0]}")
        try:
            return requests.get(f"{base}/api/v1/health", timeout=2)
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the server never answered")
