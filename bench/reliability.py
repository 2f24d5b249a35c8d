"""Crash loops at full size: kill -9 the collector mid-save, the server mid-push (issue 7).

Usage: python bench/reliability.py [--collector-kills 1000] [--http-kills 20]
       [--server-kills 100] [--responses 5000] [--db sqlite|postgres]

1. A preloaded parent forks a collector child per round that saves through
   ResponseStore.save_response (the local API's POST path) and reports each id only after the
   save returned; the parent SIGKILLs it at a random moment (some rounds mid-compaction, some
   while the store is being opened), reopens the store and checks every acknowledged response.
2. A real ``doorstep collector serve`` killed mid-POST; acknowledged = answered 201.
3. A real ``doorstep server serve`` killed mid-push and restarted on the same port while a
   retrying SyncClient pushes the collector's outbox; then exactly-once is checked in the DB.

Prints one table per loop; exits 1 if anything acknowledged was lost, duplicated or changed.
The loop code lives in tests/reliability/ and runs there at a small size.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.reliability.collector_loops import (  # noqa: E402
    KillReport,
    forked_kill_loop,
    http_kill_loop,
)
from tests.reliability.server_loops import ServerKillReport, server_kill_loop  # noqa: E402


def table(header: list[str], rows: list[list[object]]) -> str:
    """Return a Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def ms(seconds: float) -> str:
    """Return seconds as milliseconds, one decimal."""
    return f"{seconds * 1000:.1f}"


def collector_row(name: str, r: KillReport) -> list[object]:
    """Return a collector loop's table row."""
    ratio = r.recovery_median / r.clean_open_median if r.clean_open_median else 0.0
    return [
        name,
        r.kills,
        r.acknowledged,
        r.lost,
        r.open_failures,
        r.mid_compaction,
        r.while_opening,
        ms(r.recovery_median),
        ms(r.recovery_max),
        ms(r.clean_open_median),
        f"{ratio:.2f}",
        f"{r.seconds:.0f}",
    ]


def server_row(db: str, r: ServerKillReport) -> list[object]:
    """Return the server loop's table row."""
    return [
        db,
        r.kills,
        r.kills_mid_push,
        r.pushes_attempted,
        r.pushes_acked,
        r.accepted,
        r.duplicates,
        r.gave_up,
        r.collector,
        r.server_rows,
        r.server_rows - r.distinct_ids,
        r.lost,
        r.extra,
        r.changed,
        r.conflicts,
        r.unsynced_left,
        f"{r.seconds:.0f}",
    ]


def main() -> int:
    """Run the crash loops and print their tables; return 1 if any promise broke."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--collector-kills", type=int, default=1000, help="forked kills [1000]")
    parser.add_argument("--http-kills", type=int, default=20, help="collector serve kills [20]")
    parser.add_argument("--server-kills", type=int, default=100, help="server kills [100]")
    parser.add_argument("--responses", type=int, default=5000, help="responses to push [5000]")
    parser.add_argument("--batch", type=int, default=10, help="responses per push [10]")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    args = parser.parse_args()
    started = time.perf_counter()
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="doorstep-reliability-") as tmp:
        work = Path(tmp)
        forked = forked_kill_loop(work / "forked", args.collector_kills)
        http = http_kill_loop(work / "http", args.http_kills)
        server = server_kill_loop(
            work / "server", args.db, args.server_kills, args.responses, args.batch
        )
    header = "loop kills acked lost open-failures mid-compaction while-opening".split()
    header += ["recovery p50 ms", "recovery max ms", "clean open p50 ms", "ratio", "wall s"]
    rows = [collector_row(n, r) for n, r in (("forked", forked), ("http", http)) if r.kills]
    if rows:
        print("Collector killed mid-save (kill -9)\n")
        print(table(header, rows))
    header = "db kills mid-push pushes acked accepted duplicates gave-up".split()
    header += "collector server-rows dup-rows lost extra changed conflicts unsynced wall-s".split()
    print(f"\nServer killed mid-push, client retrying ({args.responses} responses)\n")
    print(table(header, [server_row(args.db, server)]))
    print(f"\nwall time {time.perf_counter() - started:.0f} s")
    failures = forked.failures + http.failures + server.failures
    broken = forked.lost + forked.open_failures + http.lost + http.open_failures
    broken += server.lost + server.extra + server.changed + server.conflicts
    broken += server.server_rows - server.distinct_ids + server.unsynced_left
    for failure in failures[:20]:
        print("FAIL", failure)
    return 1 if broken or failures else 0


if __name__ == "__main__":
    sys.exit(main())
