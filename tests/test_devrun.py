"""`make run`: one screen, a server, a volunteer and a kiosk collector, and a clean refusal."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import requests

from server.cli.devrun import lan_address

ROOT = Path(__file__).resolve().parent.parent
SCREEN_LINES = 25  # what fits on one terminal screen


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _launch(run_dir: Path, *ports: int) -> subprocess.Popen[str]:
    server, collector, kiosk = (str(p) for p in ports)
    return subprocess.Popen(
        [sys.executable, "-m", "server.cli.devrun", "--dir", str(run_dir),
         "--server-port", server, "--collector-port", collector, "--kiosk-port", kiosk],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT,
    )  # fmt: skip


def test_make_run_serves_both_collectors_on_one_screen_and_stops_them(tmp_path: Path) -> None:
    ports = server_port, collector_port, kiosk_port = _free_port(), _free_port(), _free_port()
    run_dir = tmp_path / "var"
    proc = _launch(run_dir, *ports)
    try:
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "launcher exited early:\n" + "".join(lines)
            lines.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        text = "".join(lines)
        assert len(lines) <= SCREEN_LINES, text
        assert "Warning" not in text and "setuptools" not in text and "Traceback" not in text
        assert f"http://127.0.0.1:{collector_port}/" in text
        assert f"http://127.0.0.1:{kiosk_port}/" in text
        assert f"http://127.0.0.1:{server_port}/dashboard/" in text
        lan = lan_address()
        if lan:  # the address a phone on the same network opens
            assert f"http://{lan}:{collector_port}/" in text
        log = run_dir / "make-run.log"
        assert str(log) in text and "doorstep collector on" in log.read_text()

        collector = f"http://127.0.0.1:{collector_port}"
        server = f"http://127.0.0.1:{server_port}/api/v1"
        kiosk = requests.get(f"http://127.0.0.1:{kiosk_port}/kiosk/", timeout=10)
        assert kiosk.status_code == 200 and "Have your say" in kiosk.text
        assert requests.get(f"{server}/health", timeout=5).json()["protocol"] == 1
        saved = requests.post(
            f"{collector}/api/v1/responses",
            json={"survey_id": "doorstep-safety", "survey_version": 1, "area": "abbey",
                  "method": "doorstep",
                  "answers": {"consent": True, "concerns": ["speeding"], "severity": 3}},
            timeout=10,
        )  # fmt: skip
        assert saved.status_code == 201, saved.text

        # The collector is enrolled: a sync through the real command (or the background sync
        # that may have run first) brings the response to the server.
        done = subprocess.run(
            [sys.executable, "-c", "from server.cli import main; main()", "collector", "sync",
             "--data", str(run_dir / "collector"), "--json"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[-1])["unsynced"] == 0, done.stdout
        admin = json.loads((run_dir / "server" / "admin.json").read_text())
        got = requests.get(
            f"{server}/areas/abbey/priorities",
            headers={"Authorization": f"Bearer {admin['token']}"},
            timeout=10,
        ).json()
        assert [p["category"] for p in got["priorities"]] == ["speeding"]
        assert (run_dir / "kiosk" / "device-token").exists()  # the kiosk is enrolled too
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()
    for port in ports:
        assert not _port_in_use(port)


class _Impostor(BaseHTTPRequestHandler):
    """Another program on the port: it even answers like a doorstep server."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (the standard library's name)
        self.seen.append(self.path)
        body = b'{"status": "ok", "protocol": 1}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        """Say nothing."""


@pytest.fixture
def impostor() -> Iterator[tuple[int, list[str]]]:
    """Yield a port held by another HTTP server, and the paths it was asked for."""
    held = HTTPServer(("127.0.0.1", 0), _Impostor)
    _Impostor.seen = []
    thread = threading.Thread(target=held.serve_forever, daemon=True)
    thread.start()
    yield held.server_address[1], _Impostor.seen
    held.shutdown()
    held.server_close()


@pytest.mark.parametrize("which", ["SERVER_PORT", "COLLECTOR_PORT", "KIOSK_PORT"])
def test_a_busy_port_is_one_line_and_nothing_is_enrolled(
    tmp_path: Path, impostor: tuple[int, list[str]], which: str
) -> None:
    busy, seen = impostor
    ports = {
        "SERVER_PORT": _free_port(),
        "COLLECTOR_PORT": _free_port(),
        "KIOSK_PORT": _free_port(),
    }
    ports[which] = busy
    proc = _launch(tmp_path / "var", *ports.values())
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert str(busy) in lines[0] and f"{which}=" in lines[0]
    assert seen == []  # the run never spoke to the program holding the port
    assert not list((tmp_path / "var").glob("*/device-token"))


def test_make_passes_the_ports_through(tmp_path: Path, impostor: tuple[int, list[str]]) -> None:
    busy, _ = impostor
    done = subprocess.run(
        ["make", "--no-print-directory", "run", f"RUN_DIR={tmp_path / 'var'}",
         f"SERVER_PORT={_free_port()}", f"COLLECTOR_PORT={_free_port()}", f"KIOSK_PORT={busy}"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode != 0
    assert f"port {busy} is in use" in done.stderr and "make run KIOSK_PORT=" in done.stderr
    assert "Traceback" not in done.stdout + done.stderr
