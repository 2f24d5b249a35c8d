"""``doorstep collector``: run the field collector and look after its store.

One process writes a data directory. ``serve`` holds it and writes a runtime file (address,
pid and a local key) there; ``status`` and ``export`` ask that process over loopback, or,
when none runs, take the directory's lock and open the store themselves. ``sync/cli.py``
uses :func:`find_running` and :func:`exclusive_store` the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import waitress

from collector import hooks
from collector.app import close_app, create_app
from collector.bundle import BundleError, read_bundle, write_bundle
from collector.settings import SETTINGS, Settings, setting_options
from collector.storage.durable import CorruptStore, StorageError
from collector.storage.lock import DataDirLock, StoreLocked
from collector.store import ResponseStore
from collector.store.salvage import Salvaged, salvage_to_bundle

__all__ = [
    "RUNTIME_FILE",
    "CollectorUnreachable",
    "LocalCollector",
    "collector",
    "exclusive_store",
    "find_running",
    "store_failure",
]

RUNTIME_FILE = "serve.json"
ANY_ADDRESS = frozenset({"0.0.0.0", "::", ""})
JOB_STOP_SECONDS = 10


class CollectorUnreachable(click.ClickException):
    """A collector holds the data directory but does not answer on loopback."""


class LocalCollector:
    """A running ``doorstep collector serve``, reached over loopback with its local key."""

    def __init__(self, url: str, key: str) -> None:
        self.url = url.rstrip("/")
        self._key = key

    def request(
        self, method: str, path: str, body: Any = None, timeout: float = 30
    ) -> tuple[int, bytes]:
        """Send one request; return the status and body (errors too, never raised)."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("X-Doorstep-Key", self._key)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=timeout) as reply:
                return reply.status, reply.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def json(self, method: str, path: str, body: Any = None, timeout: float = 30) -> Any:
        """Send one request and return its JSON, or raise a ClickException with its error."""
        status, raw = self.request(method, path, body, timeout)
        payload = json.loads(raw) if raw else {}
        if status >= 400:
            message = payload.get("error", {}).get("message", raw.decode(errors="replace"))
            raise click.ClickException(f"the running collector said: {message}")
        return payload


def find_running(data: Path) -> LocalCollector | None:
    """Return the collector serving ``data`` if one answers on loopback, else None."""
    try:
        info = json.loads((Path(data) / RUNTIME_FILE).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None  # no runtime file, or its process is gone (a crash leaves the file)
    running = LocalCollector(info["url"], info["key"])
    try:
        status, _ = running.request("GET", "/api/v1/device", timeout=5)
    except OSError:
        return None
    return running if status == 200 else None


def store_failure(exc: StorageError, data: Path) -> click.ClickException:
    """Turn a storage error into a message; a damaged store's names the way out."""
    if isinstance(exc, CorruptStore):
        return click.ClickException(
            f"{exc}\nTo save every readable response and see exactly what was lost: "
            f"doorstep collector salvage --data {data} --out salvaged.bundle"
        )
    return click.ClickException(str(exc))


@contextlib.contextmanager
def exclusive_store(data: Path) -> Iterator[ResponseStore]:
    """Open the store of ``data`` while holding its lock (use only when none serves it)."""
    if not (Path(data) / "store").exists():
        raise click.ClickException(f"no collector data in {data} (start one with serve)")
    lock = DataDirLock(data)
    try:
        lock.acquire()
    except StoreLocked as exc:
        raise CollectorUnreachable(f"{exc}; it did not answer on loopback") from None
    except StorageError as exc:  # e.g. the directory belongs to the service's user
        raise click.ClickException(str(exc)) from None
    try:
        with ResponseStore(data) as store:
            yield store
    except StorageError as exc:
        raise store_failure(exc, data) from None
    finally:
        lock.release()


@click.group()
def collector() -> None:
    """Run the field collector (web app, local API) and manage its data."""


@collector.command()
@setting_options(*(s.name for s in SETTINGS))
def serve(**values: Any) -> None:
    """Serve the collector's web app and local API until stopped (Ctrl-C or SIGTERM)."""
    settings = Settings.load(values).replace(local_key=secrets.token_urlsafe(32))
    lock = DataDirLock(settings.data)
    try:
        lock.acquire()
    except StoreLocked as exc:
        raise click.ClickException(str(exc)) from None
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    runtime = settings.data / RUNTIME_FILE
    # systemd stops services with SIGTERM. Install the handler before anything else and keep
    # everything after it inside the suppress, so a stop at any moment (even between the ready
    # line and the server loop) leaves through the same cleanup as Ctrl-C and exits 0.
    previous = signal.signal(signal.SIGTERM, StopOnSignal())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            _serve(settings, runtime)
    finally:
        signal.signal(signal.SIGTERM, previous)
        runtime.unlink(missing_ok=True)
        lock.release()


class StopOnSignal:
    """Signal handler: raise KeyboardInterrupt on the first signal, ignore repeats."""

    def __init__(self) -> None:
        self.requested = False

    def __call__(self, signum: int, frame: object) -> None:
        """Ask the main thread to stop once; later signals must not cut the cleanup short."""
        if self.requested:
            return
        self.requested = True
        raise KeyboardInterrupt


def _serve(settings: Settings, runtime: Path) -> None:
    """Build the app, announce the address and serve until interrupted, then clean up."""
    try:
        app = create_app(settings)
    except StorageError as exc:
        raise store_failure(exc, settings.data) from None
    jobs: list[threading.Thread] = []
    server = None
    try:
        _check_kiosk(app, settings)
        server = waitress.create_server(
            app, host=settings.host, port=settings.port, threads=settings.threads
        )
        url = _url(settings.host, server.effective_port)  # type: ignore[union-attr]
        _write_runtime(runtime, url, settings.local_key or "")
        jobs = _start_jobs(app)
        mode = f" (kiosk: {settings.kiosk})" if settings.kiosk else ""
        click.echo(f"doorstep collector on {_shown_url(settings.host, url)}{mode}")
        click.echo(f"data: {settings.data.resolve()} - press Ctrl-C to stop", err=True)
        server.run()  # on Ctrl-C/SIGTERM waitress lets running requests finish
    finally:
        # Runs on an interrupt too: a background sync must finish its store writes first.
        app.extensions["doorstep_stopping"].set()
        for job in jobs:
            job.join(timeout=JOB_STOP_SECONDS)
        if server is not None:
            server.close()
        close_app(app)


def _check_kiosk(app: Any, settings: Settings) -> None:
    if settings.kiosk is None:
        return
    ids = {s.id for s in app.extensions["doorstep_store"].surveys()}
    if settings.kiosk not in ids:
        raise click.ClickException(
            f"no survey {settings.kiosk!r} for the kiosk; known: {', '.join(sorted(ids))}"
        )


def _url(host: str, port: int) -> str:
    local = "127.0.0.1" if host in ANY_ADDRESS else host
    return f"http://[{local}]:{port}" if ":" in local else f"http://{local}:{port}"


def _shown_url(host: str, url: str) -> str:
    if host in ANY_ADDRESS:
        return f"{url} (and on this machine's network addresses)"
    return url


def _write_runtime(path: Path, url: str, key: str) -> None:
    """Write where this collector listens and its key, readable by the owner only."""
    info = {"pid": os.getpid(), "url": url, "key": key}
    fd, tmp = tempfile.mkstemp(prefix=".serve-", dir=path.parent)
    with os.fdopen(fd, "w") as fh:
        json.dump(info, fh)
    os.replace(tmp, path)  # mkstemp made it 0600


def _start_jobs(app: Any) -> list[threading.Thread]:
    """Start each registered background job in its own daemon thread."""
    threads = []
    for job in hooks.background_jobs:
        name = f"doorstep-{getattr(job, '__name__', 'job')}"
        thread = threading.Thread(target=job, args=(app,), name=name, daemon=True)
        thread.start()
        threads.append(thread)
    return threads


@collector.command()
@setting_options("data")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def status(data: Path, as_json: bool) -> None:
    """Show stored, unsynced and rejected counts, the last sync, and why each was rejected."""
    running = find_running(data)
    if running is not None:
        counts = running.json("GET", "/api/v1/status")
        rejected = running.json("GET", "/api/v1/rejected")["rejected"]
    else:
        with exclusive_store(data) as store:
            counts, rejected = store.status(), store.rejected()
    if as_json:
        # The contract keys stay as they are (rejected is a count); the reasons sit beside them.
        click.echo(json.dumps({**counts, "rejected_responses": rejected}))
        return
    last = counts["last_sync"] or "never"
    click.echo(
        f"{counts['stored']} stored, {counts['unsynced']} unsynced, "
        f"{counts['rejected']} rejected; last sync: {last}"
    )
    for item in rejected:
        reasons = "; ".join(f"{k}: {' '.join(v)}" for k, v in (item["errors"] or {}).items())
        click.echo(
            f"  rejected {item['id']} ({item['survey_id']} v{item['survey_version']}): {reasons}"
        )


@collector.command()
@setting_options("data")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Bundle file to write (gzipped JSON lines).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the manifest as one JSON object.")
def export(data: Path, out: Path, as_json: bool) -> None:
    """Write every stored response to a bundle file for `doorstep server import`."""
    try:
        manifest = _export(data, out)
    except OSError as exc:  # a full USB stick, a missing folder, no permission
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    if as_json:
        click.echo(json.dumps({**manifest, "out": str(out)}))
    else:
        click.echo(f"exported {manifest['count']} responses to {out} (sha256 {manifest['sha256']})")


def _export(data: Path, out: Path) -> dict[str, Any]:
    """Write the bundle via the running collector, or from the store itself; return its manifest."""
    running = find_running(data)
    if running is not None:
        status_code, raw = running.request("GET", "/api/v1/export", timeout=600)
        if status_code != 200:
            raise click.ClickException(f"the running collector refused the export ({status_code})")
        _write_private(out, raw)
        try:
            manifest, _ = read_bundle(out)
        except BundleError as exc:
            raise click.ClickException(f"the exported bundle is damaged: {exc}") from None
    else:
        with exclusive_store(data) as store:
            device = store.device()
            manifest = write_bundle(store.iter_responses(), out, device and device.device_id)
    return manifest


def _write_private(out: Path, raw: bytes) -> None:
    """Write bytes atomically (temp + fsync + rename) to a file only its owner can read."""
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # make the rename itself durable before saying "exported"
    finally:
        os.close(dir_fd)


@collector.command()
@setting_options("data")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Bundle file to write (gzipped JSON lines).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as one JSON object.")
def salvage(data: Path, out: Path, as_json: bool) -> None:
    """Export every readable response of a damaged store to a bundle; say what was lost.

    Reads the store's files only: nothing in the data directory is changed.
    """
    if not (Path(data) / "store").is_dir():
        raise click.ClickException(f"no collector data in {data}")
    if find_running(data) is not None:
        raise click.ClickException(
            f"a collector is serving {data}, so its store is readable: use export instead"
        )
    lock = DataDirLock(data)
    try:
        lock.acquire()
    except StorageError as exc:
        raise click.ClickException(str(exc)) from None
    try:
        done = salvage_to_bundle(Path(data), out)
    except OSError as exc:
        raise click.ClickException(f"cannot write {out}: {exc.strerror or exc}") from None
    finally:
        lock.release()
    outcome = _salvage_outcome(done, out)
    if as_json:
        click.echo(json.dumps(outcome))
        return
    click.echo(
        f"salvaged {outcome['count']} responses ({outcome['with_contact_details']} with contact "
        f"details) to {out} (sha256 {outcome['sha256']})"
    )
    for item in outcome["lost"]:
        click.echo(
            f"lost: {item['file']} bytes {item['start']}-{item['end'] - 1} "
            f"({item['end'] - item['start']} bytes, {item['frames']} "
            f"{'line' if item['file'].startswith('snapshot') else 'frame'}"
            f"{'s' if item['frames'] != 1 else ''})"
        )
    for item in outcome["unfinished"]:
        click.echo(
            f"unreadable last write: {item['file']} bytes {item['start']}-{item['end'] - 1} "
            "(a save cut off before it was acknowledged, or damage to the last save)"
        )
    for note in outcome["notes"]:
        click.echo(f"note: {note}")
    if outcome["without_response_row"]:
        click.echo(f"responses lost with their rows: {outcome['without_response_row']}")
    if outcome["intact"]:
        click.echo("nothing acknowledged was lost")


def _salvage_outcome(done: Salvaged, out: Path) -> dict[str, Any]:
    """Return the salvage's outcome as plain data (the --json output)."""
    damage = [(f.name, d) for f in done.report.files for d in f.damage]

    def ranges(torn: bool) -> list[dict[str, Any]]:
        return [
            {"file": f"store/{name}", "start": d.start, "end": d.end, "frames": d.frames}
            for name, d in damage
            if d.torn_tail is torn
        ]

    notes = [f"store/{f.name}: {f.note}" for f in done.report.files if f.note]
    return {
        "out": str(out),
        "count": done.manifest["count"],
        "sha256": done.manifest["sha256"],
        "with_contact_details": done.with_contact_details,
        "lost": ranges(False),
        "unfinished": ranges(True),
        "notes": notes,
        "without_outbox_row": done.without_outbox_row,
        "without_response_row": done.without_response_row,
        "intact": done.report.intact and not done.without_response_row,
    }
