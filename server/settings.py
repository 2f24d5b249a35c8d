"""Every server setting in one table, with its default, its type and a line of help.

Each setting ``NAME`` can be set by the ``DOORSTEP_NAME`` environment variable, by
``instance/settings.json`` and, where a command takes it, by a flag; a test config wins over all.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from server.issues.ranking import Weights
from server.meetings.escalation import DEFAULT as _ESCALATION

# The score's defaults live with the formula; the settings table only names them.
_SCORE = Weights()


@dataclass(frozen=True)
class Setting:
    """One setting: its name (without the ``DOORSTEP_`` prefix), default, type and help."""

    name: str
    default: Any
    type: type
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "DATABASE_URL",
        None,
        str,
        "SQLAlchemy URL of the server database; default sqlite:///<instance>/doorstep.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    ),
    Setting(
        "DATABASE_PREPARED_STATEMENTS",
        False,
        bool,
        "PostgreSQL: let psycopg prepare repeated statements on the server (faster; only when "
        "connecting straight to PostgreSQL or to a PgBouncer that supports them)",
    ),
    Setting(
        "SECRET_KEY",
        None,
        str,
        "Key that signs sessions; if unset, one is generated once and kept in "
        "<instance>/secret_key (mode 0600)",
    ),
    Setting("MAX_BODY_BYTES", 16 * 1024 * 1024, int, "Largest request body, after gunzip (413)"),
    Setting("MAX_PUSH_RESPONSES", 1000, int, "Most responses one push may carry (413 above)"),
    Setting("ENROLL_CODE_TTL", 24 * 3600, int, "Seconds an enrollment code stays valid"),
    Setting(
        "ENROLL_MAX_FAILURES",
        10,
        int,
        "Failed enrollment attempts one client address may make per window before 429",
    ),
    Setting("ENROLL_FAILURE_WINDOW", 600, int, "Seconds of the enrollment failure window"),
    Setting(
        "PERSONAL_RETENTION_DAYS",
        365,
        int,
        "Days consented contact details are kept before they are due for deletion (0: no limit)",
    ),
    Setting("PULL_PAGE_SIZE", 500, int, "Default and largest number of changes in one pull page"),
    Setting(
        "SECURE_COOKIES",
        False,
        bool,
        "Send the sign-in session cookie only over HTTPS (turn on behind TLS)",
    ),
    Setting(
        "SESSION_HOURS",
        12,
        int,
        "Hours a dashboard sign-in lasts before the user must sign in again",
    ),
    Setting(
        "SIGNIN_MAX_FAILURES",
        5,
        int,
        "Failed sign-ins one username may have from one browser or address per window (429)",
    ),
    Setting(
        "SIGNIN_MAX_ADDRESS_FAILURES",
        20,
        int,
        "Failed sign-ins from one address per window, browsers new to the user only (429)",
    ),
    Setting(
        "SIGNIN_MAX_NEW_CLIENT_FAILURES",
        50,
        int,
        "Failed sign-ins one username may have per window from all new browsers together (429)",
    ),
    Setting("SIGNIN_FAILURE_WINDOW", 15 * 60, int, "Seconds of the sign-in failure window"),
    Setting(
        "PRIORITY_WEIGHT_SHARE",
        _SCORE.share,
        float,
        "Weight of the share of respondents mentioning an issue in its priority score",
    ),
    Setting(
        "PRIORITY_WEIGHT_SEVERITY",
        _SCORE.severity,
        float,
        "Weight of the mean severity (scaled 0-1) in the priority score",
    ),
    Setting(
        "PRIORITY_WEIGHT_TREND",
        _SCORE.trend,
        float,
        "Weight of the change in share against the previous period in the priority score",
    ),
    Setting(
        "PRIORITY_CONFIDENCE",
        _SCORE.confidence,
        float,
        "k in confidence = mentions / (mentions + k): damps the score of issues few people raise",
    ),
    Setting(
        "PRIORITY_NEUTRAL_SEVERITY",
        _SCORE.neutral_severity,
        float,
        "Severity (0-1) assumed for an issue nobody rated",
    ),
    Setting(
        "PRIORITY_TREND_THRESHOLD",
        _SCORE.trend_threshold,
        float,
        "Smallest change in share shown as a rising or falling trend",
    ),
    Setting(
        "ESCALATION_RESIDENTS",
        _ESCALATION.residents,
        int,
        "Escalate an issue this many residents raised in ESCALATION_DAYS with nothing done",
    ),
    Setting(
        "ESCALATION_DAYS",
        _ESCALATION.days,
        int,
        "Days the escalation clock looks back for residents raising an issue, agreements, actions",
    ),
    Setting(
        "ESCALATION_MISSED_REPORT_BACKS",
        _ESCALATION.missed_report_backs,
        int,
        "Escalate an agreed priority when this many report-back dates passed with no update",
    ),
    Setting("HOST", "127.0.0.1", str, "Address `doorstep server serve` listens on"),
    Setting("PORT", 5000, int, "Port `doorstep server serve` listens on"),
    Setting(
        "PUBLIC_URL",
        None,
        str,
        "The address phones reach this server at, e.g. https://doorstep.example.org (ODK "
        "Collect QR codes hold it); default: the dashboard's own address, and for "
        "`enroll-collect` http://HOST:PORT",
    ),
    Setting("THREADS", 8, int, "Threads of each `doorstep server serve` process"),
    Setting(
        "PROXY_HOPS",
        0,
        int,
        "Reverse proxies in front of the server whose X-Forwarded-For/-Proto to trust (0: "
        "none); set it behind nginx so sign-in and enrollment limits count each client",
    ),
    Setting(
        "WORKERS",
        1,
        int,
        "Processes of `doorstep server serve`: 1 serves with waitress; more serve with "
        "gunicorn (sync workers for THREADS 1, gthread workers of THREADS threads otherwise), "
        "using more than one core",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
ENV_PREFIX = "DOORSTEP_"


def _coerce(setting: Setting, raw: Any) -> Any:
    """Return ``raw`` as the setting's type (env values arrive as strings)."""
    if raw is None or isinstance(raw, setting.type):
        return raw
    if setting.type is bool:
        return str(raw).strip().lower() in {"1", "true", "yes", "on"}
    try:
        return setting.type(raw)
    except (TypeError, ValueError):
        message = f"{ENV_PREFIX}{setting.name}: {raw!r} is not a {setting.type.__name__}"
        raise ValueError(message) from None


def defaults() -> dict[str, Any]:
    """Return every setting at its default."""
    return {s.name: s.default for s in SETTINGS}


def from_env(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Return the settings given by ``DOORSTEP_*`` environment variables."""
    environ = os.environ if environ is None else environ
    out: dict[str, Any] = {}
    for s in SETTINGS:
        raw = environ.get(ENV_PREFIX + s.name)
        if raw not in (None, ""):
            out[s.name] = _coerce(s, raw)
    return out


def from_instance(instance_path: str | Path) -> dict[str, Any]:
    """Return the settings in ``<instance>/settings.json`` if it exists."""
    path = Path(instance_path) / "settings.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {k: _coerce(BY_NAME[k], v) for k, v in data.items() if k in BY_NAME}


def default_database_url(instance_path: str | Path) -> str:
    """Return the SQLite file URL in the instance folder."""
    return f"sqlite:///{Path(instance_path).resolve() / 'doorstep.db'}"


def persistent_secret(instance_path: str | Path) -> str:
    """Return the instance's secret key, generating and keeping one on first use."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    # O_EXCL: two processes starting at once must agree on one key, not overwrite each other.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key)
    return key


def settings_table() -> str:
    """Return the settings as a Markdown table (for docs and ``--help`` texts)."""
    rows = ["| setting | environment | default | help |", "| --- | --- | --- | --- |"]
    for s in SETTINGS:
        rows.append(f"| `{s.name}` | `{ENV_PREFIX}{s.name}` | `{s.default!r}` | {s.help} |")
    return "\n".join(rows)
