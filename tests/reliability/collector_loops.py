"""Crash loops of the collector: kill -9 mid-save, then check every acknowledged save.

Shared by the test suite (small counts) and ``bench/reliability.py`` (the issue's full counts).
Two loops:

- :func:`forked_kill_loop`: a preloaded parent ``os.fork()``s a child per round; the child opens
  the store and saves through :meth:`ResponseStore.save_response` (the collector API's POST
  path), writing each id to a pipe only after the save returned; the parent SIGKILLs it at a
  random moment, reopens the store and checks every acknowledged id is there and intact.
- :func:`http_kill_loop`: a real ``doorstep collector serve`` process killed mid-POST; an
  acknowledged save is a 201.
"""

from __future__ import annotations

import os
import random
import select
import signal
import statistics
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

import collector.store as store_module
from collector.storage.durable import JOURNAL_NAME, SNAPSHOT_FILE, open_database
from collector.store import ResponseStore
from tests.collector.storage_child import COMPACT_OPTIONS
from tests.server.conftest import TEST_SURVEY

ROOT = Path(__file__).resolve().parents[2]
DOORSTEP = [sys.executable, "-c", "from server.cli import main; main()"]
AREAS = ("abbey", "bell-green", "elm-park")  # in the collector's demo set and the server's
CHOICES = ("speeding", "litter", "other")
# Where a kill lands. Most rounds: after the child acknowledged a random number of saves (up
# to MAX_SAVES), plus a random jitter, so it hits a save at any point whatever the machine's
# speed. Compaction rounds: as soon as a snapshot is being written, if that comes first.
# Every OPEN_KILL_EVERY-th round: after the fork, within the time the last child took to open
# the store, so usually while it recovers the tail the previous kill left.
MAX_SAVES = 40
MAX_JITTER = 0.002
OPEN_KILL_EVERY = 10
READY = "ready"
# Kills per store before a fresh one, so the check after each kill (every ack so far) stays quick.
ROUNDS_PER_STORE = 100


def response_for(response_id: str) -> dict[str, Any]:
    """Return the response saved under an id; its answers are derived from the id itself."""
    bits = uuid.UUID(response_id).int
    concerns = [c for n, c in enumerate(CHOICES) if bits >> n & 1] or ["other"]
    return {
        "id": response_id,
        "survey_id": TEST_SURVEY["id"],
        "survey_version": TEST_SURVEY["version"],
        "area": AREAS[bits % len(AREAS)],
        "method": "doorstep",
        "collected_at": "2025-03-01T10:00:00+00:00",
        "answers": {"concerns": concerns, "severity": bits % 5 + 1},
    }


def new_collector(data_dir: Path) -> None:
    """Make a collector data directory that knows the test survey."""
    with ResponseStore(data_dir) as store:
        store.set_pulled(surveys=[TEST_SURVEY])


def journals(store_dir: Path) -> int:
    """Return how many journal files a store directory holds."""
    return sum(1 for p in store_dir.iterdir() if JOURNAL_NAME.fullmatch(p.name))


def mid_compaction(store_dir: Path, journals_before: int) -> bool:
    """Tell whether a kill cut a compaction short: a temp snapshot, or a journal not yet folded.

    Compaction starts a new journal, writes the snapshot, then deletes the old journals.
    """
    tmp = store_dir / (SNAPSHOT_FILE + ".tmp")
    return tmp.exists() or journals(store_dir) > journals_before


@dataclass
class KillReport:
    """What a crash loop did and found."""

    kills: int = 0
    acknowledged: int = 0
    lost_ids: set[str] = field(default_factory=set)  # acknowledged, then missing or changed
    open_failures: int = 0
    mid_compaction: int = 0  # kills that cut a compaction short
    while_opening: int = 0  # kills before the store was open (mid-recovery of the last one)
    recovery: list[float] = field(default_factory=list)  # seconds to reopen after each kill
    clean_opens: list[float] = field(default_factory=list)  # each store reopened after a close
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        """Return how many acknowledged responses went missing or changed."""
        return len(self.lost_ids)

    @property
    def recovery_median(self) -> float:
        """Return the median time to reopen the store after a kill, in seconds."""
        return statistics.median(self.recovery) if self.recovery else 0.0

    @property
    def clean_open_median(self) -> float:
        """Return the median time to open the same stores after a clean close (the baseline)."""
        return statistics.median(self.clean_opens) if self.clean_opens else 0.0

    @property
    def recovery_max(self) -> float:
        """Return the longest time to reopen the store after a kill, in seconds."""
        return max(self.recovery, default=0.0)


def check_store(data_dir: Path, acknowledged: list[str], report: KillReport) -> None:
    """Reopen the store after a kill; count an open failure or each lost or changed save."""
    started = time.perf_counter()
    try:
        store = ResponseStore(data_dir)
    except Exception as exc:  # any failure to open is what this loop exists to find
        report.open_failures += 1
        report.failures.append(f"store did not open after kill {report.kills}: {exc!r}")
        return
    with store:
        report.recovery.append(time.perf_counter() - started)
        for response_id in acknowledged:
            lost = store.get_response(response_id) != response_for(response_id)
            if lost and response_id not in report.lost_ids:  # count each once, when first seen
                report.lost_ids.add(response_id)
                report.failures.append(f"kill {report.kills}: acknowledged {response_id} lost")
    # The baseline: the same store opened again after that clean close.
    started = time.perf_counter()
    ResponseStore(data_dir).close()
    report.clean_opens.append(time.perf_counter() - started)


def save_until_killed(data_dir: Path, out: int, compact: bool) -> None:
    """Save responses until killed, writing each id to ``out`` once its save returned."""
    if compact:  # a tiny journal, so kills often land while a snapshot is being written
        store_module.open_tables = lambda path: open_database(path, **COMPACT_OPTIONS)
    store = ResponseStore(data_dir)
    os.write(out, READY.encode() + b"\n")
    while True:
        response_id = str(uuid.uuid4())
        store.save_response(response_for(response_id))
        os.write(out, response_id.encode() + b"\n")  # < PIPE_BUF: one atomic write


@dataclass(frozen=True)
class KillAt:
    """When the parent kills a saving child (see MAX_SAVES)."""

    saves: int  # acknowledged saves to wait for after the store opened
    jitter: float  # seconds after that (or after the fork, when during_open)
    compact: bool  # compact eagerly, and kill at once when a snapshot is being written
    during_open: bool


@dataclass
class Round:
    """One kill: the acknowledged ids, and how far the child got in opening the store."""

    acked: list[str]
    opened: bool
    open_seconds: float  # from the fork to the store being open (0 if it never opened)
    died: bool  # the child ended by itself before the kill (an error in the save path)


Saver = Callable[[Path, int, bool], None]


def _fork_and_kill(data_dir: Path, at: KillAt, saver: Saver) -> Round:
    """Fork a saving child and SIGKILL it when ``at`` says."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child never returns into the caller (pytest or the bench)
        os.close(read)
        try:
            saver(data_dir, write, at.compact)
        except BaseException:
            traceback.print_exc()  # the parent reports that the child died by itself
        finally:
            os._exit(1)
    os.close(write)
    tmp = data_dir / store_module.STORE_DIR / (SNAPSHOT_FILE + ".tmp")
    data = bytearray()
    ready = READY.encode() + b"\n"
    forked = time.monotonic()
    counted_from: float | None = forked if at.during_open else None
    opened_at = forked
    try:
        while True:
            now = time.monotonic()
            if counted_from is not None and now - counted_from >= at.jitter:
                break
            if at.compact and data.startswith(ready) and tmp.exists() or now - forked > 60:
                break
            # Drain the pipe while waiting, so a full pipe never holds the child up.
            if select.select([read], [], [], 0.0005 if at.compact else 0.01)[0]:
                chunk = os.read(read, 65536)
                if not chunk:
                    break  # the child died by itself; the check below reports what is lost
                if not data:
                    opened_at = time.monotonic()
                data += chunk
                lines = data.count(b"\n") - 1  # the first line is READY
                if counted_from is None and lines >= at.saves:
                    counted_from = time.monotonic()
        os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        while chunk := os.read(read, 65536):
            data += chunk
    finally:
        os.close(read)
    # A line cut off by the kill was never acknowledged: keep whole lines only.
    acked = [line.decode() for line in bytes(data).split(b"\n")[:-1] if line != READY.encode()]
    killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    return Round(acked, data.startswith(ready), opened_at - forked, not killed)


def forked_kill_loop(
    workdir: Path, kills: int, seed: int = 7, saver: Saver = save_until_killed
) -> KillReport:
    """Kill a forked, saving collector ``kills`` times; check every acknowledged save each time.

    Every other round compacts eagerly, so some kills land mid-compaction. A fresh store is
    started every ROUNDS_PER_STORE kills, keeping the reopen after each kill a fair size.
    """
    rng = random.Random(seed)
    report = KillReport()
    started = time.perf_counter()
    acknowledged: list[str] = []
    data_dir = workdir
    open_seconds = 0.01  # until a child has shown how long opening takes here
    for round_no in range(kills):
        if round_no % ROUNDS_PER_STORE == 0:
            data_dir = workdir / f"collector-{round_no // ROUNDS_PER_STORE}"
            new_collector(data_dir)
            acknowledged = []
        during_open = round_no % OPEN_KILL_EVERY == OPEN_KILL_EVERY - 1
        at = KillAt(
            saves=rng.randint(0, MAX_SAVES),
            jitter=rng.uniform(0.0, open_seconds if during_open else MAX_JITTER),
            compact=round_no % 2 == 1,
            during_open=during_open,
        )
        store_dir = data_dir / store_module.STORE_DIR
        before = journals(store_dir)
        done = _fork_and_kill(data_dir, at, saver)
        saved = done.acked
        if done.died:
            report.failures.append(f"round {round_no}: the saving child died by itself")
        report.while_opening += not done.opened
        open_seconds = done.open_seconds or open_seconds
        report.kills += 1
        report.acknowledged += len(saved)
        acknowledged += saved
        report.mid_compaction += mid_compaction(store_dir, before)
        check_store(data_dir, acknowledged, report)
    report.seconds = time.perf_counter() - started
    return report


class CollectorProcess:
    """``doorstep collector serve`` on an ephemeral loopback port, as a child process."""

    def __init__(self, data_dir: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        command = [*DOORSTEP, "collector", "serve", "--data", str(data_dir), "--port", "0"]
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # "doorstep collector on http://127.0.0.1:PORT/..."
        if not line:
            raise RuntimeError(f"the collector did not start (exit {self.proc.wait()})")
        self.url = next(w for w in line.split() if w.startswith("http")).rstrip("/")

    def kill(self) -> None:
        """SIGKILL the collector and reap it."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _post_until_refused(url: str, acked: list[str], errors: list[str]) -> None:
    """POST responses until the collector stops answering; keep the ids answered 201."""
    with requests.Session() as session:
        while True:
            response_id = str(uuid.uuid4())
            try:
                reply = session.post(
                    url + "/api/v1/responses", json=response_for(response_id), timeout=10
                )
            except requests.RequestException:  # refused, or the reply cut off: no 201
                return
            if reply.status_code == 201:
                acked.append(response_id)  # list.append is atomic: no lock needed
            else:
                errors.append(f"the collector answered {reply.status_code}: {reply.text}")
                return


def http_kill_loop(
    workdir: Path, kills: int, posters: int = 4, seed: int = 11, max_delay: float = 0.5
) -> KillReport:
    """Kill a real collector process mid-POST ``kills`` times; check every 201 each time."""
    rng = random.Random(seed)
    report = KillReport()
    started = time.perf_counter()
    data_dir = workdir / "collector-http"
    new_collector(data_dir)
    acknowledged: list[str] = []
    errors = report.failures
    for _ in range(kills):
        collector = CollectorProcess(data_dir)
        acked: list[str] = []
        threads = [
            threading.Thread(target=_post_until_refused, args=(collector.url, acked, errors))
            for _ in range(posters)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.05, max_delay))
        if collector.proc.poll() is not None:
            errors.append(f"the collector exited by itself ({collector.proc.returncode})")
        collector.kill()
        for thread in threads:
            thread.join(timeout=30)
        report.kills += 1
        report.acknowledged += len(acked)
        acknowledged += acked
        check_store(data_dir, acknowledged, report)
    report.seconds = time.perf_counter() - started
    return report
