"""One process writes a data directory; a crashed holder leaves no stale lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from collector.storage.durable import open_database
from collector.storage.lock import DataDirLock, StoreLocked

ROOT = Path(__file__).resolve().parents[2]

HOLD = """
import sys, time
from collector.storage.lock import DataDirLock
lock = DataDirLock(sys.argv[1]).acquire()
print("locked", flush=True)
time.sleep(60)
"""

TRY = """
import sys
from collector.storage.lock import DataDirLock, StoreLocked
try:
    DataDirLock(sys.argv[1]).acquire()
except StoreLocked as exc:
    print(exc)
    sys.exit(3)
print("acquired")
"""

TRY_STORE = """
import sys
from collector.storage.durable import StoreLocked, open_database
try:
    open_database(sys.argv[1])
except StoreLocked as exc:
    print(exc)
    sys.exit(3)
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    """Start a Python child that can import the project."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-c", code, *args]
    return subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE)


def test_a_second_process_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    with DataDirLock(tmp_path):
        with _python(TRY, str(tmp_path)) as child:
            out, _ = child.communicate(timeout=30)
        assert child.returncode == 3
        assert f"pid {os.getpid()}" in out
        assert "already in use" in out


def test_the_lock_is_free_again_after_the_holder_is_killed(tmp_path: Path) -> None:
    with _python(HOLD, str(tmp_path)) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "locked\n"
        assert DataDirLock(tmp_path).holder_pid() == holder.pid
        with pytest.raises(StoreLocked):
            DataDirLock(tmp_path).acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert DataDirLock(tmp_path).holder_pid() is None
    with DataDirLock(tmp_path) as lock:
        assert lock.held
        assert lock.holder_pid() == os.getpid()


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    first = DataDirLock(tmp_path).acquire()
    with pytest.raises(StoreLocked):
        DataDirLock(tmp_path).acquire()
    first.release()
    assert not first.held
    DataDirLock(tmp_path).acquire().release()


def test_an_open_store_refuses_a_second_process(tmp_path: Path) -> None:
    with open_database(tmp_path / "store"):
        with _python(TRY_STORE, str(tmp_path / "store")) as child:
            out, _ = child.communicate(timeout=30)
        assert child.returncode == 3
        assert f"pid {os.getpid()}" in out
