"""kill -9 at random moments loses no acknowledged save and never breaks the store."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from collector.storage.durable import SNAPSHOT_FILE, open_database

CHILD = Path(__file__).with_name("storage_child.py")
ROOT = Path(__file__).resolve().parents[2]
KILLS_PER_MODE = 30


def _run_and_kill(store: Path, mode: str, delay: float) -> list[str]:
    """Start a saving child, SIGKILL it after `delay` seconds of saving, return acked ids."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(CHILD), str(store), mode]
    with subprocess.Popen(command, stdout=subprocess.PIPE, env=env) as child:
        assert child.stdout is not None
        try:
            assert child.stdout.readline() == b"ready\n"
            time.sleep(delay)
        finally:
            child.send_signal(signal.SIGKILL)
            out = child.stdout.read()
    # A line cut off by the kill was never acknowledged: keep whole lines only.
    return [line.decode() for line in out.split(b"\n")[:-1]]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["save", "compact"])
def test_every_acknowledged_save_survives_kill_9(tmp_path: Path, mode: str) -> None:
    store = tmp_path / "store"
    rng = random.Random(f"doorstep-{mode}")
    acknowledged: list[str] = []
    mid_compaction = 0
    for _ in range(KILLS_PER_MODE):
        acknowledged += _run_and_kill(store, mode, rng.uniform(0.0, 0.04))
        mid_compaction += any(p.suffix == ".tmp" for p in store.iterdir())
        with open_database(store) as db:
            stored = {doc["id"] for doc in db.table("responses")}
        missing = set(acknowledged) - stored
        assert not missing, f"{len(missing)} acknowledged saves lost"
    assert len(acknowledged) > KILLS_PER_MODE  # the child really saved between kills
    if mode == "compact":
        assert (store / SNAPSHOT_FILE).exists()
        assert mid_compaction > 0  # some kills really landed while a snapshot was being written
