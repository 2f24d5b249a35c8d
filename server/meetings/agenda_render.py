"""Render a meeting agenda (plain objects) as Markdown, printable HTML, CSV or JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from server.issues.formats import csv_text
from server.issues.priorities import RankedIssue

FORMATS = ("md", "html", "csv", "json")


@dataclass(frozen=True)
class EscalatedItem:
    """An escalated issue: first on the agenda, with the reason in words."""

    area: str
    area_name: str
    category: str
    label: str
    kind: str
    reason: str
    since: date
    residents: int = 0


@dataclass(frozen=True)
class StatusItem:
    """A previous priority: its status, owner, report-back date and latest notes."""

    area: str
    area_name: str
    category: str
    label: str
    status: str
    owner: str | None
    report_back: date | None
    overdue: bool
    notes: tuple[tuple[date, str], ...] = ()
    # each move of the report-back date: "<day> <who>: <old> → <new> (<why>)"
    moves: tuple[str, ...] = ()


@dataclass(frozen=True)
class ProviderUpdate:
    """The standing item: one owner (police, council, ...) and its open priorities."""

    owner: str
    items: tuple[StatusItem, ...]


@dataclass(frozen=True)
class Candidate:
    """A survey result put to the meeting: one area's ranked issue with its figures."""

    area: str  # the area's name
    issue: RankedIssue


@dataclass(frozen=True)
class Concern:
    """A reviewed comment residents made, and how many people said it."""

    area: str  # the area's name
    text: str
    people: int


@dataclass(frozen=True)
class AreaResults:
    """Survey results for one area: sample size, top candidates and what was thin."""

    code: str
    name: str
    respondents: int
    respondents_by_method: dict[str, int]
    candidates: tuple[Candidate, ...]
    thin: tuple[str, ...] = ()
    crime: tuple[str, ...] = ()  # the months compared, then where concerns and crime disagree


@dataclass(frozen=True)
class Agenda:
    """Everything a ward-panel agenda shows, in the order it shows it."""

    group: str
    group_name: str
    date: date
    since: date
    until: date
    time: str = ""
    venue: str = ""
    chair: str = ""
    apologies: tuple[str, ...] = ()
    last_meeting: date | None = None
    last_minutes: str = ""
    last_actions: tuple[tuple[date, str], ...] = ()
    previous: tuple[StatusItem, ...] = ()
    updates: tuple[ProviderUpdate, ...] = ()
    areas: tuple[AreaResults, ...] = ()
    concerns: tuple[Concern, ...] = ()
    shortlist: tuple[Candidate, ...] = ()
    aob: tuple[str, ...] = ()
    next_date: date | None = None
    escalated: tuple[EscalatedItem, ...] = ()
    sections: tuple[str, ...] = field(
        default=(
            "Apologies",
            "Minutes and actions from last time",
            "Status of previous priorities",
            "Updates from the police and providers",
            "Survey results",
            "Community concerns",
            "Agree up to three priorities",
            "Any other business",
            "Date of next meeting",
        )
    )


def escalation_lines(a: Agenda) -> list[str]:
    """Return the escalated issues in a few lines: one per area for those nothing was done about
    (so a new group's many fit the page), one each for priorities overdue twice."""
    ignored: dict[str, list[EscalatedItem]] = {}
    lines = []
    for e in a.escalated:
        if e.kind == "ignored":
            ignored.setdefault(e.area_name, []).append(e)
        else:
            lines.append(f"{e.label} in {e.area_name}: {e.reason}.")
    for area, items in ignored.items():
        since = min(e.since for e in items)
        named = ", ".join(f"{e.label} ({e.residents} residents)" for e in items)
        lines.append(
            f"{area}, not agreed and no action logged since {since.day} {since:%B %Y}: {named}."
        )
    return lines


def _pct(share: float) -> str:
    return f"{round(share * 100)}%"


def _sev(mean: float | None) -> str:
    return "–" if mean is None else f"{mean:.1f}"


def _methods(counts: dict[str, int]) -> str:
    return ", ".join(f"{m} {n}" for m, n in counts.items() if n) or "none"


def long_date(d: date) -> str:
    """Return a date as a meeting paper prints it: "Tuesday 4 March 2025"."""
    return f"{d:%A} {d.day} {d:%B %Y}"


def people(n: int) -> str:
    """Return "1 person" / "3 people"."""
    return f"{n} {'person' if n == 1 else 'people'}"


def heading(a: Agenda) -> list[tuple[str, str]]:
    """Return the agenda's header lines (label, value): date, time, venue, chair."""
    rows = [("Date", long_date(a.date))]
    rows += [(k, v) for k, v in (("Time", a.time), ("Venue", a.venue), ("Chair", a.chair)) if v]
    return rows


def _due(p: StatusItem) -> str:
    return p.report_back.isoformat() if p.report_back else "–"


def _moved(p: StatusItem) -> str:
    return " (moved " + "; ".join(p.moves) + ")" if p.moves else ""


def _latest(p: StatusItem) -> str:
    return f"{p.notes[-1][0].isoformat()}: {p.notes[-1][1]}" if p.notes else "no update"


def _md_cell(text: Any) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_md(a: Agenda) -> str:
    """Return the agenda as Markdown."""
    s = a.sections
    out = [f"# {_md_cell(a.group_name)}: meeting agenda", ""]
    out += [f"- {k}: {_md_cell(v)}" for k, v in heading(a)] + [""]
    out += [f"Survey results cover {a.since.isoformat()} to {a.until.isoformat()}.", ""]
    if a.escalated:
        out += ["## Escalated: residents keep raising these and nothing has happened", ""]
        out += [f"- {_md_cell(line)}" for line in escalation_lines(a)] + [""]
    out += [f"## 1. {s[0]}", ""]
    out += [f"- {_md_cell(x)}" for x in a.apologies] or ["- (none recorded)"]
    out += ["", f"## 2. {s[1]}", ""]
    if a.last_meeting:
        out += [f"Last meeting: {a.last_meeting.isoformat()}.", ""]
        if a.last_minutes:
            out += [_md_cell(a.last_minutes), ""]
    out += [f"- {d.isoformat()}: {_md_cell(t)}" for d, t in a.last_actions] or ["- (no actions)"]
    out += ["", f"## 3. {s[2]}", ""]
    if a.previous:
        out += [
            "| area | issue | status | owner | report back | latest |",
            "|---|---|---|---|---|---|",
        ]
        for p in a.previous:
            flag = "**OVERDUE** " if p.overdue else ""
            out.append(
                f"| {_md_cell(p.area_name)} | {_md_cell(p.label)} | {flag}{p.status} | "
                f"{_md_cell(p.owner or '–')} | {_md_cell(_due(p) + _moved(p))} | "
                f"{_md_cell(_latest(p))} |"
            )
    else:
        out.append("No priorities agreed yet.")
    out += ["", f"## 4. {s[3]}", ""]
    for u in a.updates:
        items = "; ".join(
            f"{_md_cell(p.label)} in {_md_cell(p.area_name)} (report back {_due(p)}"
            f"{', OVERDUE' if p.overdue else ''})"
            for p in u.items
        )
        out.append(f"- {_md_cell(u.owner)}: {items}")
    out += [
        "- Any provider present: a general update."
        if a.updates
        else "- No open priorities; providers present give a general update."
    ]
    out += ["", f"## 5. {s[4]}", ""]
    for ar in a.areas:
        out += [
            f"### {_md_cell(ar.name)} ({ar.respondents} respondents: "
            f"{_methods(ar.respondents_by_method)})",
            "",
        ]
        if ar.candidates:
            out += [
                "| issue | people | share | severity | trend | by method |",
                "|---|---|---|---|---|---|",
            ]
            for c in ar.candidates:
                i = c.issue
                out.append(
                    f"| {_md_cell(i.label)} | {i.mentions} | {_pct(i.share)} | "
                    f"{_sev(i.mean_severity)} | {i.trend} | {_methods(i.by_method)} |"
                )
        elif ar.respondents:
            out.append("No issues raised in this period.")
        else:
            out.append("No survey responses in this period.")
        if ar.thin:
            out += ["", "Under-represented: " + "; ".join(_md_cell(t) for t in ar.thin) + "."]
        if ar.crime:
            out += ["", "Recorded crime: " + " ".join(_md_cell(t) for t in ar.crime)]
        out.append("")
    out += [f"## 6. {s[5]}", ""]
    out += [
        f"- {_md_cell(c.area)}: “{_md_cell(c.text)}” (said by {people(c.people)})"
        for c in a.concerns
    ] or ["- (none reviewed)"]
    out += ["", f"## 7. {s[6]}", "", "Proposed shortlist:", ""]
    out += [
        f"{i}. {_md_cell(c.issue.label)} in {_md_cell(c.area)} "
        f"(raised by {people(c.issue.mentions)}, {_pct(c.issue.share)})"
        for i, c in enumerate(a.shortlist, 1)
    ] or ["(no candidates)"]
    out += ["", "For each agreed priority: owner (provider) and report-back date.", ""]
    out += [f"## 8. {s[7]}", ""]
    out += [f"- {_md_cell(x)}" for x in a.aob] or ["- "]
    out += ["", f"## 9. {s[8]}", "", long_date(a.next_date) if a.next_date else "To be agreed."]
    return "\n".join(out) + "\n"


_ENV = Environment(
    loader=PackageLoader("server", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["pct"] = _pct
_ENV.filters["sev"] = _sev
_ENV.filters["methods"] = _methods
_ENV.filters["long_date"] = long_date
_ENV.filters["people"] = people
_ENV.globals["heading"] = heading
_ENV.globals["escalation_lines"] = escalation_lines


def render_body(a: Agenda) -> Markup:
    """Return the agenda's printable body (escaped HTML), shared by the file and the dashboard."""
    return Markup(_ENV.get_template("agenda_body.html").render(a=a))


def render_html(a: Agenda) -> str:
    """Return the agenda as one self-contained HTML page that prints on A4."""
    return _ENV.get_template("agenda.html").render(a=a, body=render_body(a))


def _iso(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_iso(v) for v in value]
    return value


def as_dict(a: Agenda) -> dict[str, Any]:
    """Return the agenda as the API's and the CLI's JSON object (dates as ISO strings)."""
    return _iso(asdict(a))


def render_json(a: Agenda) -> str:
    """Return the agenda as one JSON object."""
    return json.dumps(as_dict(a), sort_keys=True) + "\n"


def _cand(section: str, area: str, c: Candidate, note: str) -> list[Any]:
    i = c.issue
    return [
        section,
        area,
        i.category,
        i.status,
        i.mentions,
        f"{i.share:.4f}",
        _sev(i.mean_severity),
        i.trend,
        _methods(i.by_method),
        note,
    ]


def _note(section: str, area: str, item: Any, note: Any = "", mentions: Any = "") -> list[Any]:
    return [section, area, item, "", mentions, "", "", "", "", note]


def render_csv(a: Agenda) -> str:
    """Return the agenda as CSV rows: section, area, item, figures, note."""
    rows = [_note("meeting", "", k.lower(), v) for k, v in heading(a)]
    rows += [_note("escalated", e.area, e.category, e.reason) for e in a.escalated]
    rows += [_note("apologies", "", x) for x in a.apologies]
    rows += [_note("actions", "", t, d.isoformat()) for d, t in a.last_actions]
    for p in a.previous:
        note = f"{p.notes[-1][0].isoformat()}: {p.notes[-1][1]}" if p.notes else ""
        status = f"{p.status} (overdue)" if p.overdue else p.status
        rows.append(["previous", p.area, p.category, status, "", "", "", "", p.owner or "", note])
        rows += [_note("report back moved", p.area, p.category, move) for move in p.moves]
    for u in a.updates:
        rows += [_note("updates", p.area, p.category, u.owner) for p in u.items]
    for ar in a.areas:
        rows += [_cand("results", ar.code, c, f"sample {ar.respondents}") for c in ar.candidates]
        rows += [_note("thin", ar.code, "", t) for t in ar.thin]
        rows += [_note("recorded crime", ar.code, "", t) for t in ar.crime]
    rows += [_note("concerns", c.area, c.text, mentions=c.people) for c in a.concerns]
    rows += [_cand("shortlist", c.area, c, f"score {c.issue.score}") for c in a.shortlist]
    rows += [_note("aob", "", x) for x in a.aob]
    rows.append(_note("next", "", a.next_date.isoformat() if a.next_date else ""))
    return csv_text(CSV_COLUMNS, rows)


CSV_COLUMNS = (
    "section",
    "area",
    "item",
    "status",
    "mentions",
    "share",
    "severity",
    "trend",
    "by_method",
    "note",
)
_RENDERERS = {"md": render_md, "html": render_html, "csv": render_csv, "json": render_json}


def render(a: Agenda, fmt: str) -> str:
    """Return the agenda in ``fmt`` (one of :data:`FORMATS`)."""
    if fmt not in _RENDERERS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    return _RENDERERS[fmt](a)
