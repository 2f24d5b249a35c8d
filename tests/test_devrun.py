"""`make run`: the launcher starts an enrolled collector and a server, and stops both cleanly."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def test_make_run_serves_an_enrolled_collector_and_stops_both(tmp_path: Path) -> None:
    server_port, collector_port = _free_port(), _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "server.cli.devrun", "--dir", str(tmp_path / "var"),
         "--server-port", str(server_port), "--collector-port", str(collector_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        lines = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "launcher exited early:\n" + "".join(lines)
            lines.append(line)
            if "Press Ctrl-C to stop" in line:
                break
        text = "".join(lines)
        assert f"http://127.0.0.1:{collector_port}/" in text
        assert f"http://127.0.0.1:{server_port}/dashboard/" in text

        collector = f"http://127.0.0.1:{collector_port}/api/v1"
        server = f"http://127.0.0.1:{server_port}/api/v1"
        assert requests.get(f"{server}/health", timeout=5).json()["protocol"] == 1
        saved = requests.post(
            f"{collector}/responses",
            json={"survey_id": "doorstep-safety", "survey_version": 1, "area": "abbey",
                  "method": "doorstep",
                  "answers": {"consent": True, "concerns": ["speeding"], "severity": 3}},
            timeout=10,
        )  # fmt: skip
        assert saved.status_code == 201, saved.text

        # The collector is enrolled: a sync through the real command reaches the server.
        done = subprocess.run(
            [sys.executable, "-c", "from server.cli import main; main()", "collector", "sync",
             "--data", str(tmp_path / "var" / "collector"), "--json"],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout.strip().splitlines()[-1])["accepted"] == 1
        admin = json.loads((tmp_path / "var" / "server" / "admin.json").read_text())
        got = requests.get(
            f"{server}/areas/abbey/priorities",
            headers={"Authorization": f"Bearer {admin['token']}"},
            timeout=10,
        ).json()
        assert [p["category"] for p in got["priorities"]] == ["speeding"]
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
        proc.stdout.close()
    assert not _port_in_use(server_port)
    assert not _port_in_use(collector_port)
