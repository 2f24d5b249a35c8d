"""What every page shares: the store, settings, language, the signed-in volunteer."""

from __future__ import annotations

import uuid
from typing import Any

from flask import g, session
from werkzeug.datastructures import MultiDict

# The pages call these by their short names; collector.app defines them once for the API too.
from collector.context import get_settings as settings
from collector.context import get_store as store
from collector.web import i18n
from survey_schemas import Survey


def switch_language(form: MultiDict[str, str]) -> bool:
    """Apply a language button posted with a form (its answers are drawn again); say if so."""
    code = form.get("switch_lang")
    if not code:
        return False
    if code in languages():
        session["lang"] = code
        g.pop("lang", None)
    return True


def kiosk_mode() -> bool:
    """Return whether this collector runs as a self-service kiosk."""
    return bool(settings().kiosk)


def languages() -> list[str]:
    """Return every language the collector's surveys are written in, English first."""
    return i18n.ordered(lang for s in store().surveys() for lang in s.languages)


def lang() -> str:
    """Return the language of this request: chosen in the session, else the default setting."""
    if "lang" not in g:
        chosen = session.get("lang") or settings().language
        g.lang = chosen if chosen in languages() else i18n.DEFAULT
    current: str = g.lang
    return current


def t(key: str, **values: object) -> str:
    """Return a UI string in the request's language."""
    return i18n.translate(lang(), key, **values)


def volunteer() -> dict[str, Any] | None:
    """Return the signed-in volunteer (name, area, session id), or None."""
    found = session.get("volunteer")
    return found if isinstance(found, dict) else None


def surveys_for(method: str) -> list[Survey]:
    """Return the latest version of every survey collected by ``method``."""
    return [s for s in store().surveys() if method in s.methods]


def area(code: str | None) -> dict[str, Any] | None:
    """Return the area with this code, or None."""
    return next((a for a in store().areas() if a["code"] == code), None)


def response_id(form: MultiDict[str, str]) -> str:
    """Return the posted response id if it is a UUID, else a fresh one."""
    try:
        return str(uuid.UUID(form.get("response_id", "")))
    except ValueError:
        return str(uuid.uuid4())


def refusal(errors: dict[str, str], verdict: Any) -> tuple[int, dict[str, str]]:
    """Return the status and headers of a form page: 429 while a PIN must wait, 422 on errors."""
    if verdict is not None and verdict.wait_seconds:
        return 429, {"Retry-After": str(verdict.wait_seconds)}
    return (422 if errors else 200), {}


def no_store() -> None:
    """Mark this page as never to be cached (by the browser or the service worker)."""
    g.no_store = True
