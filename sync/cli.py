"""Collector commands that talk to a server: ``enroll`` and ``sync``.

Each works whether or not ``doorstep collector serve`` runs on the data directory: when one
does, the command asks it over loopback (it owns the store); otherwise it takes the data
directory's lock and opens the store itself.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

from collector.cli import exclusive_store, find_running
from collector.settings import plain_http_warning, setting_options
from collector.storage.durable import StorageError
from collector.storage.lock import DataDirLock, StoreLocked
from collector.store import ResponseStore

from . import background
from .client import SyncClient
from .engine import sync_store
from .errors import DeviceRevoked, SyncError

# Below this many responses a progress bar is more noise than help.
PROGRESS_FROM = 500
SYNC_TIMEOUT = 3600.0


@contextlib.contextmanager
def _store_for_enroll(data: Path) -> Iterator[ResponseStore]:
    """Open (creating if need be) the store of a data directory no collector is serving."""
    if (data / "store").exists():
        with exclusive_store(data) as store:
            yield store
        return
    data.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(data)
    try:
        lock.acquire()
    except (StoreLocked, StorageError) as exc:
        raise click.ClickException(str(exc)) from None
    try:
        with ResponseStore(data) as store:
            yield store
    finally:
        lock.release()


def _fail(exc: SyncError) -> click.ClickException:
    """Turn a sync error into a message for people (no traceback)."""
    return click.ClickException(exc.message)


@click.command()
@click.argument("url")
@click.argument("code")
@setting_options("data")
@click.option("--label", default=socket.gethostname(), show_default=True, help="Device name.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def enroll(url: str, code: str, data: Path, label: str, as_json: bool) -> None:
    """Enroll this collector with the server at URL using a one-time CODE."""
    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("must start with http:// or https://", param_hint="URL")
    warning = plain_http_warning(url)
    if warning:
        click.echo(warning, err=True)
    client = SyncClient(url)
    running = find_running(data)
    try:
        client.health()
        if running is not None:
            enrollment = client.enroll(code, label)
            running.json(
                "PUT",
                "/api/v1/device",
                {"server_url": url, "device_id": enrollment.device_id, "token": enrollment.token},
            )
        else:
            # Open the store before spending the single-use code, so a locked or broken
            # data directory cannot waste it.
            with _store_for_enroll(data) as store:
                enrollment = client.enroll(code, label)
                store.set_device(url, enrollment.device_id, enrollment.token)
    except SyncError as exc:
        raise _fail(exc) from None
    finally:
        client.close()
    if as_json:
        answer = {"device_id": enrollment.device_id, "server_url": url}
        click.echo(json.dumps({**answer, "warning": warning} if warning else answer))
    else:
        click.echo(f"enrolled as device {enrollment.device_id} with {url}")


@click.command("sync")
@setting_options("data")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def sync_command(data: Path, as_json: bool) -> None:
    """Push every unsynced response to the server, then pull surveys, areas and issues."""
    running = find_running(data)
    if running is not None:
        result = running.json("POST", "/api/v1/sync", timeout=SYNC_TIMEOUT)
    else:
        with exclusive_store(data) as store:
            result = _sync_here(store, show_progress=not as_json)
    if as_json:
        click.echo(json.dumps(result))
        return
    keys = ("sent", "accepted", "duplicate", "conflict", "rejected", "pulled", "visits")
    click.echo(", ".join(f"{k} {result[k]}" for k in keys) + f"; {result['unsynced']} unsynced")


def _sync_here(store: ResponseStore, *, show_progress: bool) -> dict[str, Any]:
    """Sync a store this process holds, with a progress bar for large pushes on a terminal."""
    device = store.device()
    if device is None:
        raise click.ClickException(
            "this collector is not enrolled: run doorstep collector enroll URL CODE --data DIR"
        )
    total = store.status()["unsynced"]
    bar = tqdm(
        total=total,
        unit="resp",
        desc="pushing",
        file=sys.stderr,
        disable=(not show_progress or total < PROGRESS_FROM or not sys.stderr.isatty()),
    )
    with bar, SyncClient(device.server_url, device.token) as client:
        try:
            summary = sync_store(store, client, progress=bar.update)
        except DeviceRevoked:
            raise click.ClickException(background.revoked_message(store)) from None
        except SyncError as exc:
            unsynced = store.status()["unsynced"]
            raise click.ClickException(
                f"sync failed: {exc.message}; {unsynced} unsynced responses are kept"
            ) from None
    return background.outcome(store, summary)


def register_collector_commands(group: click.Group) -> None:
    """Add the sync commands to the ``doorstep collector`` group and fill its sync hooks."""
    group.add_command(enroll)
    group.add_command(sync_command)
    background.install()
