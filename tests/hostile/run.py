"""Send a corpus through targets over real HTTP and judge every answer (tests and bench share it).

An answer passes when it is a 4xx that changed no row (the uniform error body for ``/api/``,
a page with the error for a form), or a success whose stored text shows escaped, never raw, on
the pages that show it. Never a 5xx; never a request that outlives the timeout.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from markupsafe import escape

from tests.hostile.corpus import (
    XSS,
    Payload,
    fill,
    form_request,
    instance_request,
    json_request,
)

TIMEOUT = 60
SHORT = 48  # every text field shown holds at least this many characters


@dataclass
class Row:
    """What one endpoint did with the corpus."""

    endpoint: str
    cases: int = 0
    rejected: int = 0
    stored: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def send(
    http: requests.Session, base: str, target: Any, payload: Payload, template: dict[str, Any]
) -> requests.Response:
    """Send ``payload`` in ``template`` to ``target``; return the answer (no redirects)."""
    headers = dict(target.headers)
    files = None
    if target.kind == "json":
        body, extra = json_request(payload, template)
    elif target.kind == "instance":
        body, files, extra = instance_request(payload, template)  # type: ignore[assignment]
    elif target.kind == "multipart" and (payload.text is not None or payload.value is not None):
        text = payload.text if payload.text is not None else payload.value
        assert text is not None
        filled = fill(template, text)
        name, filename = target.upload
        upload = filled.pop(name)
        text = upload if isinstance(upload, str) else json.dumps(upload)
        raw = text.encode("utf-8", "surrogatepass")
        mime = "application/json" if filename.endswith(".json") else "text/csv"
        files = {name: (filename, raw, mime)}
        fields = {k: v.encode("utf-8", "surrogatepass") for k, v in filled.items()}
        body, extra = fields, {}  # type: ignore[assignment]
    else:
        body, extra = form_request(payload, template)
    headers.update(extra)
    return http.request(
        target.method,
        base + target.path,
        data=body,
        files=files,
        headers=headers,
        timeout=TIMEOUT,
        allow_redirects=False,
    )


def error_body_problem(reply: requests.Response) -> str | None:
    """Return what is wrong with an API error answer, or None if it is the one error body."""
    try:
        body = reply.json()
    except ValueError:
        return f"{reply.status_code} is not JSON: {reply.text[:120]!r}"
    error = body.get("error") if isinstance(body, dict) else None
    if not (
        isinstance(error, dict)
        and set(error) == {"code", "message", "details"}
        and isinstance(error["code"], str)
        and isinstance(error["message"], str)
        and isinstance(error["details"], dict)
    ):
        return f"{reply.status_code} is not the one error body: {reply.text[:120]!r}"
    return None


def stored(reply: requests.Response, is_api: bool) -> bool:
    """Return whether the answer says the input was kept (a push says so per item)."""
    if is_api:
        if not reply.ok:
            return False
        body = reply.json()
        results = body.get("results") if isinstance(body, dict) else None
        return not results or any(r["status"] != "rejected" for r in results)
    # Dashboard forms re-show themselves with a 4xx when they refuse input.
    return reply.status_code < 400


def run(
    targets: Iterable[Any],
    corpus: Iterable[Payload],
    base: str,
    sessions: Callable[[Any], requests.Session],
    counts: Callable[[], dict[str, int]],
    alive: Callable[[], bool],
    viewer: requests.Session | None = None,
) -> list[Row]:
    """Send every payload to every target; return one row per target.

    ``viewer`` reads the pages that show stored text (a signed-in session); by default the
    target's own session.
    """
    rows = []
    corpus = list(corpus)
    for n, target in enumerate(targets):
        row = Row(f"{target.method} {target.rule}")
        http = sessions(target)
        started = time.perf_counter()
        for k, payload in enumerate(corpus):
            # A tag in front, per endpoint and payload, so what is found on a page is this
            # case's text and not an earlier one's (and survives a field's truncation).
            tag = f"t{n}p{k}x"
            if payload.xss and payload.text:
                payload = dataclasses.replace(payload, text=f"{tag} {payload.text}")
            row.cases += 1
            problem = _one(http, viewer or http, base, target, payload, counts, tag)
            if problem is None:
                continue
            if problem == "stored":
                row.stored += 1
            elif problem == "rejected":
                row.rejected += 1
            else:
                row.problems.append(f"{row.endpoint} [{payload.name}]: {problem}")
        if not alive():
            row.problems.append(f"{row.endpoint}: the server stopped answering")
        row.seconds = time.perf_counter() - started
        rows.append(row)
    return rows


def _one(
    http: requests.Session,
    viewer: requests.Session,
    base: str,
    target: Any,
    payload: Payload,
    counts: Callable[[], dict[str, int]],
    tag: str,
) -> str | None:
    """Send one case; return "stored", "rejected" or what went wrong."""
    template = target.template()  # first: making it may write rows (an enrollment code)
    before = counts()
    try:
        reply = send(http, base, target, payload, template)
    except requests.Timeout:
        return f"no answer within {TIMEOUT} s"
    is_api = target.path.startswith("/api/")
    if reply.status_code >= 500:
        return f"{reply.status_code}: {reply.text[:200]!r}"
    if XSS in reply.text and "json" not in reply.headers.get("Content-Type", ""):
        return f"{reply.status_code} shows the script tag raw"
    if is_api and reply.status_code >= 400 and (problem := error_body_problem(reply)):
        return problem
    if not stored(reply, is_api):
        after = counts()
        if after != before:
            changed = {k: (before.get(k), v) for k, v in after.items() if before.get(k) != v}
            return f"{reply.status_code} but rows changed: {changed}"
        return "rejected"
    if payload.xss and target.shown:
        pages = [viewer.get(base + page, timeout=TIMEOUT).text for page in target.shown]
        where = ", ".join(target.shown)
        if any(XSS in page for page in pages):
            return f"shown raw on {where}"
        if not any(tag in page for page in pages):
            return f"stored but not shown on {where}"
        # A short text fits every field whole, so its escaped form must be there in full.
        if len(payload.text) <= SHORT and not any(
            str(escape(payload.text)) in page for page in pages
        ):
            return f"stored but not found escaped on {where}"
    return "stored"


def table(title: str, rows: list[Row]) -> str:
    """Return the rows as a Markdown table."""
    out = [
        f"### {title}",
        "",
        "| endpoint | cases | rejected 4xx | stored | problems | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        out.append(
            f"| `{r.endpoint}` | {r.cases} | {r.rejected} | {r.stored} | {len(r.problems)} | "
            f"{r.seconds:.2f} |"
        )
    total = sum(r.cases for r in rows), sum(len(r.problems) for r in rows)
    out.append(f"| **total** | {total[0]} | | | {total[1]} | {sum(r.seconds for r in rows):.1f} |")
    return "\n".join(out)
