"""Start a server and an enrolled collector on embedded defaults (what ``make run`` does).

Everything goes through the real ``doorstep`` commands, so this is also a smoke test of them:
``server init --demo``, ``server create-user``, ``server enroll-code``, ``server serve``,
``collector enroll`` and ``collector serve``. Ctrl-C stops both children cleanly.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import click
import requests

DOORSTEP = [sys.executable, "-c", "from server.cli import main; main()"]


def _run(args: list[str], env: dict[str, str]) -> str:
    """Run one doorstep command and return its stdout; stop with its message on failure."""
    done = subprocess.run([*DOORSTEP, *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise click.ClickException(f"doorstep {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise click.ClickException(f"the {what} exited with code {proc.returncode}")
        try:
            if requests.get(f"{url}/api/v1/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise click.ClickException(f"the {what} did not answer at {url} within 30 s")


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _check_port_free(host: str, port: int) -> None:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            raise click.ClickException(
                f"port {port} on {host} is in use (another doorstep still running?); "
                "stop it or pick another with --server-port / --collector-port"
            ) from None


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops the children as Ctrl-C does


@click.command()
@click.option(
    "--dir",
    "run_dir",
    default="var",
    show_default=True,
    type=click.Path(path_type=Path),
    help="Folder for the server's SQLite file and the collector's TinyDB store.",
)
@click.option("--server-port", default=8400, show_default=True, help="Server port (loopback).")
@click.option("--collector-port", default=8470, show_default=True, help="Collector port.")
@click.option(
    "--collector-host",
    default="127.0.0.1",
    show_default=True,
    help="Collector address; 0.0.0.0 lets phones on the Pi's Wi-Fi join.",
)
def main(run_dir: Path, server_port: int, collector_port: int, collector_host: str) -> None:
    """Start a demo server and a collector enrolled to it; Ctrl-C stops both."""
    signal.signal(signal.SIGTERM, _interrupt)
    _check_port_free("127.0.0.1", server_port)
    _check_port_free(collector_host, collector_port)
    run_dir = run_dir.resolve()
    instance, data = run_dir / "server", run_dir / "collector"
    instance.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "DOORSTEP_INSTANCE": str(instance)}
    env.setdefault("DOORSTEP_DATABASE_URL", f"sqlite:///{instance / 'doorstep.db'}")
    server_url = f"http://127.0.0.1:{server_port}"

    _run(["server", "init", "--demo"], env)
    admin_file = instance / "admin.json"
    if not admin_file.exists():
        password = secrets.token_urlsafe(9)
        args = [
            "server",
            "create-user",
            "admin",
            "--role",
            "admin",
            "--password",
            password,
            "--json",
        ]
        created = json.loads(_run(args, env))
        admin_file.write_text(json.dumps({**created, "password": password}))
        admin_file.chmod(0o600)
    admin = json.loads(admin_file.read_text())

    procs: list[subprocess.Popen[bytes]] = []
    try:
        procs.append(
            subprocess.Popen(
                [*DOORSTEP, "server", "serve", "--host", "127.0.0.1", "--port", str(server_port)],
                env=env,
            )
        )
        _wait_healthy(server_url, procs[0], "server")
        if not (data / "device.json").exists():
            code = json.loads(_run(["server", "enroll-code", "--label", "make run", "--json"], env))
            _run(
                [
                    "collector",
                    "enroll",
                    server_url,
                    code["code"],
                    "--data",
                    str(data),
                    "--label",
                    "make-run collector",
                ],
                env,
            )
        procs.append(
            subprocess.Popen(
                [
                    *DOORSTEP,
                    "collector",
                    "serve",
                    "--data",
                    str(data),
                    "--host",
                    collector_host,
                    "--port",
                    str(collector_port),
                ],
                env=env,
            )
        )
        collector_url = f"http://{collector_host}:{collector_port}"
        _wait_healthy(f"http://127.0.0.1:{collector_port}", procs[1], "collector")
        click.echo(
            f"\ndoorstep is running (data in {run_dir})\n"
            f"  collector (volunteers, kiosk, meetings): {collector_url}/\n"
            f"  coordinator dashboard:                   {server_url}/dashboard/\n"
            f"    sign in as admin, password {admin.get('password', '(see admin.json)')}\n"
            f"  server API:                              {server_url}/api/v1/health\n"
            f"  public 'you said, we did' page:          {server_url}/areas/abbey/public\n"
            f"  admin API token:                         in {admin_file}\n"
            "Press Ctrl-C to stop.\n"
        )
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        raise click.ClickException("a child process stopped; shutting down")
    except KeyboardInterrupt:
        click.echo("\nstopping…")
    finally:
        _stop(procs)


if __name__ == "__main__":
    main()
