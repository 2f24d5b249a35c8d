"""``doorstep collector serve`` leaves cleanly on SIGTERM whenever it arrives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from collector.cli import RUNTIME_FILE, StopOnSignal
from tests.collector.test_cli import run, seeded

# A background job that signals its own process the moment serve starts its jobs: the signal
# lands just before the ready line, between it and the server loop, or in the loop itself.
SIGNAL_AT_START = """
import os, signal, sys
from collector import hooks
from server.cli import main

def stop_at_once(app):
    for _ in range({count}):
        os.kill(os.getpid(), signal.SIGTERM)

hooks.background_jobs.append(stop_at_once)
sys.argv = ["doorstep", "collector", "serve", "--data", {data!r}, "--port", "{port}"]
main()
"""


@pytest.mark.parametrize("count", [1, 3])
def test_sigterm_as_serve_starts_exits_zero_and_frees_the_directory(
    tmp_path: Path, free_port: int, count: int
) -> None:
    seeded(tmp_path, 2)
    script = SIGNAL_AT_START.format(count=count, data=str(tmp_path), port=free_port)
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert (result.returncode, "Aborted" in result.stderr) == (0, False), result.stderr
    assert not (tmp_path / RUNTIME_FILE).exists()
    status = run("collector", "status", "--data", str(tmp_path), "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["stored"] == 2


def test_stop_handler_interrupts_once_and_ignores_repeats() -> None:
    handler = StopOnSignal()
    with pytest.raises(KeyboardInterrupt):
        handler(15, None)
    assert handler(15, None) is None and handler.requested
