"""A small bench/load.py run: devices pushing every batch twice against gunicorn workers."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType


def _load_bench() -> ModuleType:
    """Import bench/load.py (bench/ is scripts, not a package) so the test runs its code."""
    path = Path(__file__).parents[2] / "bench" / "load.py"
    spec = importlib.util.spec_from_file_location("bench_load", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


bench = _load_bench()


def test_devices_pushing_each_batch_twice_store_every_response_exactly_once(
    database_url: str, tmp_path: Path
) -> None:
    run = bench.run_one(
        database_url,
        tmp_path / "instance",
        devices=4,
        per_device=60,
        batch=20,
        workers=2,
        threads=4,
        procs=1,
        migrate=False,  # tables from the models, as the app fixture makes them: quicker
    )
    assert run.errors == []  # any repeat not all "duplicate", or first send not all "accepted"
    assert (run.batches, len(run.first), len(run.repeat), len(run.pulls)) == (12, 12, 12, 12)
    assert (run.stored, run.distinct, run.missing, run.extra) == (240, 240, 0, 0)
    assert run.exactly_once
