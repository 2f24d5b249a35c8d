"""Start a server, a volunteer collector and a kiosk collector on embedded defaults (``make run``).

Everything goes through the real ``doorstep`` commands, so this is also a smoke test of them:
``server init --demo``, ``server create-user``, ``server enroll-code``, ``server serve``,
``collector enroll`` and ``collector serve``. The children write to one log file; the screen
shows only where to go. Ctrl-C stops them all cleanly.

A port that is already taken stops the run before anything starts, with one line naming the
port and the ``make run`` variable that changes it: the run never talks to, or enrolls against,
a server it did not start.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import json
import os
import secrets
import signal
import socket
import struct
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import click
import requests

DOORSTEP = [sys.executable, "-c", "from server.cli import main; main()"]
KIOSK_SURVEY = "event-kiosk"
SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


@dataclass(frozen=True)
class Port:
    """A port this run needs: where it listens and the ``make run`` variable that sets it."""

    variable: str
    host: str
    number: int


class Run:
    """The children of one run and the log they all write to."""

    def __init__(self, log: IO[str], env: dict[str, str]) -> None:
        self.log = log
        self.env = env
        self.procs: list[subprocess.Popen[bytes]] = []

    def command(self, args: list[str]) -> str:
        """Run one doorstep command to the end and return its stdout; stop on failure."""
        self.log.write(f"$ doorstep {' '.join(args)}\n")
        self.log.flush()
        done = subprocess.run([*DOORSTEP, *args], env=self.env, capture_output=True, text=True)
        self.log.write(done.stdout + done.stderr)
        self.log.flush()
        if done.returncode != 0:
            last = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
            raise click.ClickException(
                f"doorstep {args[0]} {args[1]} failed: {' '.join(last)} (log: {self.log.name})"
            )
        return done.stdout

    def start(self, args: list[str]) -> subprocess.Popen[bytes]:
        """Start a long-running doorstep command writing to the log."""
        self.log.write(f"$ doorstep {' '.join(args)} &\n")
        self.log.flush()
        proc = subprocess.Popen([*DOORSTEP, *args], env=self.env, stdout=self.log, stderr=self.log)
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        """Stop every child (SIGTERM, then SIGKILL after 10 s)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def port_busy(host: str, port: int) -> bool:
    """Return whether something listens on, or holds, ``host:port`` (or loopback's)."""
    with socket.socket() as probe:
        probe.settimeout(0.5)
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            return True
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def check_ports(ports: list[Port]) -> None:
    """Stop with one line if two ports are the same or one is taken."""
    seen: dict[int, str] = {}
    for p in ports:
        if p.number in seen:
            raise click.ClickException(
                f"{seen[p.number]} and {p.variable} are both {p.number}: give them different ports"
            )
        seen[p.number] = p.variable
    for p in ports:
        if port_busy(p.host, p.number):
            raise click.ClickException(
                f"port {p.number} is in use: stop what holds it, "
                f"or choose another with make run {p.variable}=<port>"
            )


def lan_address() -> str | None:
    """Return this machine's private IPv4 address on a network phones can join, if any.

    Asks each network interface for its address (Linux ioctl); sends nothing.
    """
    found = []
    with contextlib.suppress(OSError), socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for _index, name in socket.if_nameindex():
            if name == "lo":
                continue
            with contextlib.suppress(OSError):
                packed = struct.pack("256s", name.encode()[:15])
                raw = fcntl.ioctl(s.fileno(), SIOCGIFADDR, packed)[20:24]
                found.append(ipaddress.IPv4Address(raw))
    usable = [a for a in found if a.is_private and not (a.is_loopback or a.is_link_local)]
    return str(usable[0]) if usable else None


def wait_healthy(url: str, proc: subprocess.Popen[bytes], what: str, log: IO[str]) -> None:
    """Wait until our child answers at ``url`` (it must still be running when it does)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(
                f"the {what} stopped (exit code {proc.returncode}); see {log.name}"
            )
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{url}/api/v1/health", timeout=1).ok and proc.poll() is None:
                return
        time.sleep(0.2)
    raise click.ClickException(f"the {what} did not answer at {url} within 60 s; see {log.name}")


def _admin(run: Run, instance: Path) -> dict[str, str]:
    """Create the admin user on the first run; return its name, password and API token."""
    admin_file = instance / "admin.json"
    if not admin_file.exists():
        password = secrets.token_urlsafe(9)
        args = ["server", "create-user", "admin", "--role", "admin", "--password", password]
        created = json.loads(run.command([*args, "--json"]))
        admin_file.write_text(json.dumps({**created, "password": password}))
        admin_file.chmod(0o600)
    admin: dict[str, str] = json.loads(admin_file.read_text())
    return admin


def _enroll(run: Run, server_url: str, data: Path, label: str) -> None:
    """Enroll a collector's data folder with our server, once."""
    if (data / "device-token").exists():
        return
    code = json.loads(run.command(["server", "enroll-code", "--label", label, "--json"]))
    run.command(["collector", "enroll", server_url, code["code"], "--data", str(data)])


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the children as Ctrl-C does


def _screen(
    run_dir: Path,
    log: Path,
    urls: dict[str, str],
    lan: str | None,
    admin: dict[str, str],
    exit_pin: str,
) -> str:
    """Return the one screen the run prints once everything answers."""
    phone = f"{urls['collector_lan']}   <- a phone on the same Wi-Fi" if lan else None
    lines = [
        "",
        "doorstep is running:",
        f"  Volunteers (doorstep, meetings)  {urls['collector']}",
        *([f"                                   {phone}"] if phone else []),
        f"  Kiosk (self-service screen)      {urls['kiosk']}   (staff exit PIN {exit_pin})",
        f"  Coordinator dashboard            {urls['server']}/dashboard/",
        f"      sign in as admin, password   {admin.get('password', '(see admin.json)')}",
        f"  Public 'you said, we did' page   {urls['server']}/areas/abbey/public",
        f"  Server API                       {urls['server']}/api/v1/health",
        "",
        f"Data in {run_dir}; logs in {log}; the admin API token is in "
        f"{run_dir / 'server' / 'admin.json'}.",
        "Press Ctrl-C to stop.",
        "",
    ]
    if not lan:
        lines.insert(4, "  (no Wi-Fi or LAN address found: phones cannot reach this machine)")
    return "\n".join(lines)


@contextlib.contextmanager
def _signals() -> Iterator[None]:
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@click.command()
@click.option(
    "--dir",
    "run_dir",
    default="var",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the server's SQLite file, the collectors' stores and the log.",
)
@click.option("--server-port", default=8400, show_default=True, help="Server port (loopback).")
@click.option("--collector-port", default=8470, show_default=True, help="Volunteer collector.")
@click.option("--kiosk-port", default=8471, show_default=True, help="Kiosk collector.")
@click.option(
    "--collector-host",
    default="0.0.0.0",
    show_default=True,
    help="Address the collectors listen on (0.0.0.0: phones on this network can join).",
)
def main(
    run_dir: Path, server_port: int, collector_port: int, kiosk_port: int, collector_host: str
) -> None:
    """Start a demo server, a volunteer collector and a kiosk collector; Ctrl-C stops them."""
    check_ports(
        [
            Port("SERVER_PORT", "127.0.0.1", server_port),
            Port("COLLECTOR_PORT", collector_host, collector_port),
            Port("KIOSK_PORT", collector_host, kiosk_port),
        ]
    )
    run_dir = run_dir.resolve()
    instance = run_dir / "server"
    for folder in (instance, run_dir / "collector", run_dir / "kiosk"):
        folder.mkdir(parents=True, exist_ok=True)
    log_path = run_dir / "make-run.log"
    env = {**os.environ, "DOORSTEP_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1"}
    env.setdefault("DOORSTEP_DATABASE_URL", f"sqlite:///{instance / 'doorstep.db'}")
    server_url = f"http://127.0.0.1:{server_port}"
    lan = lan_address() if collector_host in ("0.0.0.0", "::") else None
    shown_host = "127.0.0.1" if collector_host in ("0.0.0.0", "::") else collector_host
    urls = {
        "server": server_url,
        "collector": f"http://{shown_host}:{collector_port}/",
        "collector_lan": f"http://{lan}:{collector_port}/",
        "kiosk": f"http://{shown_host}:{kiosk_port}/",
    }
    exit_pin = f"{secrets.randbelow(10**6):06d}"
    with _signals(), log_path.open("a", encoding="utf-8") as log:
        click.echo(f"starting doorstep (logs: {log_path}) …")
        run = Run(log, env)
        try:
            run.command(["server", "init", "--demo"])
            admin = _admin(run, instance)
            serve = ["server", "serve", "--host", "127.0.0.1", "--port", str(server_port)]
            wait_healthy(server_url, run.start(serve), "server", log)
            _enroll(run, server_url, run_dir / "collector", "make-run collector")
            _enroll(run, server_url, run_dir / "kiosk", "make-run kiosk")
            collectors = [
                ("collector", run_dir / "collector", collector_port, []),
                (
                    "kiosk collector",
                    run_dir / "kiosk",
                    kiosk_port,
                    ["--kiosk", KIOSK_SURVEY, "--kiosk-exit-pin", exit_pin],
                ),
            ]
            for what, data, port, extra in collectors:
                args = ["collector", "serve", "--data", str(data), "--host", collector_host]
                proc = run.start([*args, "--port", str(port), *extra])
                wait_healthy(f"http://127.0.0.1:{port}", proc, what, log)
            click.echo(_screen(run_dir, log_path, urls, lan, admin, exit_pin))
            while all(p.poll() is None for p in run.procs):
                time.sleep(0.5)
            raise click.ClickException(f"a child process stopped; see {log_path}")
        except KeyboardInterrupt:
            click.echo("stopping…")
        finally:
            run.stop()


if __name__ == "__main__":
    main()
