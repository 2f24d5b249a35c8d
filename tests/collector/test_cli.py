"""``doorstep collector serve|status|export``, with and without a running collector."""

from __future__ import annotations

import configparser
import json
import os
import select
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.bundle import read_bundle
from collector.cli import RUNTIME_FILE, find_running
from collector.settings import SETTINGS, Settings, env_name, flag_name
from collector.store import ResponseStore
from server.cli import main
from tests.collector.test_store import SURVEY, response

DOORSTEP = [sys.executable, "-c", "from server.cli import main; main()"]


def seeded(data: Path, count: int = 0) -> list[str]:
    """Create a store in ``data`` that knows the test survey; save ``count`` responses."""
    with ResponseStore(data) as store:
        store.set_pulled(surveys=[SURVEY])
        return [store.save_response(response()) for _ in range(count)]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DOORSTEP, *args], capture_output=True, text=True, timeout=60)


class Serve:
    """A real ``doorstep collector serve`` child process on loopback."""

    def __init__(self, data: Path, port: int, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [*DOORSTEP, "collector", "serve", "--data", str(data), "--port", str(port), *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        ready, _, _ = select.select([self.proc.stdout], [], [], 60)
        line = self.proc.stdout.readline() if ready else ""
        if "doorstep collector on http://127.0.0.1:" not in line:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise AssertionError(f"serve did not start: {line}{err}")
        self.url = f"http://127.0.0.1:{port}"

    def post(self, body: dict) -> tuple[int, dict]:
        req = urllib.request.Request(
            self.url + "/api/v1/responses",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=30) as reply:
            return reply.status, json.loads(reply.read())

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        code = self.proc.wait(timeout=30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return code


@pytest.fixture
def serve(tmp_path: Path, free_port: int) -> Iterator[Serve]:
    seeded(tmp_path)
    server = Serve(tmp_path, free_port)
    yield server
    server.stop(signal.SIGKILL)


def test_status_without_serve_opens_the_store(tmp_path: Path) -> None:
    seeded(tmp_path, 2)
    result = CliRunner().invoke(main, ["collector", "status", "--data", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "stored": 2,
        "unsynced": 2,
        "rejected": 0,
        "conflicts": 0,
        "last_sync": None,
        "rejected_responses": [],
    }


def test_status_lists_rejected_reasons(tmp_path: Path) -> None:
    rid = seeded(tmp_path, 1)[0]
    with ResponseStore(tmp_path) as store:
        store.mark_rejected(rid, {"survey_version": ["unknown survey version"]})
    result = CliRunner().invoke(main, ["collector", "status", "--data", str(tmp_path)])
    assert "1 stored, 0 unsynced, 1 rejected; last sync: never" in result.output
    assert f"rejected {rid}" in result.output and "unknown survey version" in result.output


def test_status_of_a_missing_directory_fails_clearly(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["collector", "status", "--data", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no collector data" in result.output


def test_status_reads_the_data_dir_from_the_environment(tmp_path: Path) -> None:
    seeded(tmp_path, 1)
    result = CliRunner().invoke(
        main, ["collector", "status", "--json"], env={"DOORSTEP_DATA": str(tmp_path)}
    )
    assert json.loads(result.output)["stored"] == 1


def test_export_without_serve_writes_a_bundle(tmp_path: Path) -> None:
    ids = seeded(tmp_path / "data", 3)
    out = tmp_path / "bundle.gz"
    args = ["collector", "export", "--data", str(tmp_path / "data"), "--out", str(out), "--json"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    manifest, items = read_bundle(out)
    assert json.loads(result.output)["sha256"] == manifest["sha256"]
    assert [i["id"] for i in items] == ids


def test_export_to_a_missing_folder_fails_clearly(tmp_path: Path) -> None:
    seeded(tmp_path / "data", 1)
    out = tmp_path / "no-such-stick" / "bundle.gz"
    result = CliRunner().invoke(
        main, ["collector", "export", "--data", str(tmp_path / "data"), "--out", str(out)]
    )
    assert result.exit_code == 1 and f"cannot write {out}" in result.output


def test_served_response_survives_kill_9(serve: Serve, tmp_path: Path) -> None:
    status, body = serve.post(response())
    assert status == 201
    assert serve.stop(signal.SIGKILL) == -signal.SIGKILL
    assert find_running(tmp_path) is None  # the runtime file is stale: its pid is gone
    with ResponseStore(tmp_path) as store:
        assert store.get_response(body["id"])["area"] == "abbey"


def test_second_serve_on_the_same_data_is_refused(
    serve: Serve, tmp_path: Path, free_port: int
) -> None:
    other = free_port + 1 if free_port < 65535 else free_port - 1
    result = run("collector", "serve", "--data", str(tmp_path), "--port", str(other))
    assert result.returncode == 1
    assert "already in use" in result.stderr and str(serve.proc.pid) in result.stderr


def test_status_and_export_ask_the_running_collector(serve: Serve, tmp_path: Path) -> None:
    ids = [serve.post(response())[1]["id"] for _ in range(2)]
    status = run("collector", "status", "--data", str(tmp_path), "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["stored"] == 2
    out = tmp_path / "out.gz"
    export = run("collector", "export", "--data", str(tmp_path), "--out", str(out))
    assert export.returncode == 0, export.stderr
    assert "exported 2 responses" in export.stdout
    assert [i["id"] for i in read_bundle(out)[1]] == ids


def test_sigterm_stops_cleanly_and_frees_the_directory(serve: Serve, tmp_path: Path) -> None:
    assert serve.stop(signal.SIGTERM) == 0
    assert not (tmp_path / RUNTIME_FILE).exists()
    result = run("collector", "status", "--data", str(tmp_path), "--json")
    assert result.returncode == 0 and json.loads(result.stdout)["stored"] == 0


def test_runtime_file_is_private(serve: Serve, tmp_path: Path) -> None:
    assert os.stat(tmp_path / RUNTIME_FILE).st_mode & 0o077 == 0


def test_unknown_kiosk_survey_is_refused(tmp_path: Path, free_port: int) -> None:
    seeded(tmp_path)
    result = run(
        "collector", "serve", "--data", str(tmp_path), "--port", str(free_port), "--kiosk", "nope"
    )
    assert result.returncode == 1 and "no survey 'nope'" in result.stderr


def test_systemd_unit_starts_serve_at_boot_and_always_restarts() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read(Path(__file__).parents[2] / "collector/deploy/doorstep-collector.service")
    assert unit["Service"]["Restart"] == "always"
    assert unit["Service"]["ExecStart"].endswith("doorstep collector serve")
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_every_setting_is_documented_with_its_variable() -> None:
    doc = (Path(__file__).parents[2] / "docs/collector-api.md").read_text()
    for s in SETTINGS:
        assert f"`{flag_name(s.name)}`" in doc and f"`{env_name(s.name)}`" in doc, s.name


def test_a_flag_beats_the_variable_which_beats_the_default() -> None:
    environ = {"DOORSTEP_PORT": "9000", "DOORSTEP_KIOSK": "event-kiosk"}
    settings = Settings.load({"port": 8000}, environ)
    assert (settings.port, settings.kiosk, settings.host) == (8000, "event-kiosk", "127.0.0.1")
    assert Settings.load({}, environ).port == 9000
    assert "local_key" not in repr(Settings.load({"local_key": "secret"}, {}))
