"""Every collector setting in one table: a default, one line of help, a flag and a variable.

A setting named ``kiosk_idle_seconds`` is the flag ``--kiosk-idle-seconds`` and the
environment variable ``DOORSTEP_KIOSK_IDLE_SECONDS``; a flag wins over the variable, which
wins over the default.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click

__all__ = [
    "SETTINGS",
    "Setting",
    "Settings",
    "env_name",
    "flag_name",
    "plain_http_warning",
    "setting_options",
]


@dataclass(frozen=True)
class Setting:
    """One setting: its name, default, type and a line of help."""

    name: str
    default: Any
    type: Any
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("data", "doorstep-data", Path, "Folder holding this collector's store."),
    Setting("host", "127.0.0.1", str, "Address to listen on (0.0.0.0 to serve phones on Wi-Fi)."),
    Setting("port", 8470, int, "TCP port to listen on."),
    Setting("kiosk", None, str, "Run a self-service kiosk for this survey id."),
    Setting("kiosk_idle_seconds", 90, int, "Kiosk: reset to the start after this idle time."),
    Setting("kiosk_exit_pin", None, str, "Kiosk: PIN that leaves kiosk mode (unset: no exit)."),
    Setting("volunteer_pin", None, str, "PIN volunteers enter to sign in (unset: no PIN)."),
    Setting("language", "en", str, "Language shown first when a survey offers it."),
    Setting("sync_interval", 300, int, "Seconds between background syncs (0: never)."),
    Setting("threads", 8, int, "Worker threads serving requests."),
    Setting("max_body_bytes", 1_000_000, int, "Largest request body the API accepts."),
)
BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def env_name(name: str) -> str:
    """Return the environment variable for a setting (``DOORSTEP_<NAME>``)."""
    return f"DOORSTEP_{name.upper()}"


def flag_name(name: str) -> str:
    """Return the command-line flag for a setting."""
    return "--" + name.replace("_", "-")


@dataclass(frozen=True)
class Settings:
    """The collector's settings as plain typed values."""

    data: Path = Path("doorstep-data")
    host: str = "127.0.0.1"
    port: int = 8470
    kiosk: str | None = None
    kiosk_idle_seconds: int = 90
    kiosk_exit_pin: str | None = None
    volunteer_pin: str | None = None
    language: str = "en"
    sync_interval: int = 300
    threads: int = 8
    max_body_bytes: int = 1_000_000
    # Set by `serve` only: lets the CLI on this machine reach admin endpoints, even in kiosk mode.
    local_key: str | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def load(
        cls, values: Mapping[str, Any] | None = None, environ: Mapping[str, str] | None = None
    ) -> Settings:
        """Build settings from given values, then ``DOORSTEP_*`` variables, then defaults."""
        values = dict(values or {})
        environ = os.environ if environ is None else environ
        out: dict[str, Any] = {}
        for s in SETTINGS:
            raw = values.get(s.name)
            if raw is None:
                raw = environ.get(env_name(s.name))
            if raw is None:
                raw = s.default
            out[s.name] = None if raw is None else s.type(raw)
        if values.get("local_key"):
            out["local_key"] = str(values["local_key"])
        return cls(**out)

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with some values changed."""
        return dataclasses.replace(self, **changes)

    def secret_key(self) -> str:
        """Return the key that signs browser sessions, kept in the data folder (0600)."""
        path = self.data / "secret-key"
        if not path.exists():
            self.data.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
                fh.flush()
                os.fsync(fh.fileno())
        return path.read_text().strip()


def setting_options(*names: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add a click option per named setting, with its default, help and variable."""

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        for name in reversed(names):
            s = BY_NAME[name]
            kind = click.Path(path_type=Path, file_okay=False) if s.type is Path else s.type
            fn = click.option(
                flag_name(name),
                name,
                type=kind,
                default=s.default,
                envvar=env_name(name),
                show_default=s.default is not None,
                show_envvar=True,
                help=s.help,
            )(fn)
        return fn

    return decorate


def plain_http_warning(server_url: str) -> str | None:
    """Return a warning when ``server_url`` is plain ``http://`` to another machine, else None.

    The device token and every response (with sealed contact details) would cross the network
    unencrypted; only this machine's own loopback is safe without TLS.
    """
    parts = urlsplit(server_url)
    if parts.scheme.lower() != "http":
        return None
    host = (parts.hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return None
    try:
        if ipaddress.ip_address(host).is_loopback:
            return None
    except ValueError:
        pass
    return (
        f"warning: {server_url} is plain http:// to another machine: the device token and "
        "the responses cross the network unencrypted. Use https:// unless this is a closed "
        "test network."
    )
