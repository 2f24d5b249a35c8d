"""Format ranked priorities as a table, Markdown, CSV or JSON, and write safe CSV."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any

from server.issues.priorities import AreaPriorities, RankedIssue

FORMATS = ("table", "md", "csv", "json")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Return ``value`` so a spreadsheet shows it as text, never runs it as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """Return CSV with a header row; text cells that look like formulas are neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for row in rows:
        w.writerow([safe_cell(v) for v in row])
    return buf.getvalue()


COLUMNS = (
    "rank",
    "category",
    "label",
    "mentions",
    "share",
    "mean_severity",
    "score",
    "trend",
    "doorstep",
    "event",
    "kiosk",
    "meeting",
    "status",
)


def _rows(items: Sequence[RankedIssue]) -> list[list[Any]]:
    out = []
    for i, p in enumerate(items, 1):
        m = p.by_method
        out.append(
            [
                i,
                p.category,
                p.label,
                p.mentions,
                p.share,
                p.mean_severity,
                p.score,
                p.trend,
                m.get("doorstep", 0),
                m.get("event", 0),
                m.get("kiosk", 0),
                m.get("meeting", 0),
                p.status,
            ]
        )
    return out


def _show(v: Any) -> str:
    if v is None:
        return "–"
    if isinstance(v, float):
        return f"{v:.2f}"
    return str(v)


def format_priorities(doc: AreaPriorities, fmt: str) -> str:
    """Return an area's priorities in ``fmt`` (JSON is the API's shape)."""
    items = doc.issues
    if fmt == "json":
        return json.dumps(doc.as_dict(), indent=2, ensure_ascii=False)
    if fmt == "csv":
        return csv_text(COLUMNS, _rows(items))
    rows = [[_show(v) for v in r] for r in _rows(items)]
    head = (
        f"{doc.area_name} ({doc.area_code}), {doc.period.since} to {doc.period.until}"
        f"{' — ' + doc.method if doc.method else ''}: "
        f"{doc.respondents} respondents"
    )
    if fmt == "md":
        lines = [f"**{head}**", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows]
        return "\n".join(lines) + "\n"
    if fmt == "table":
        widths = [
            max(len(c), *(len(r[i]) for r in rows)) if rows else len(c)
            for i, c in enumerate(COLUMNS)
        ]
        fmt_row = "  ".join(f"{{:{w}}}" for w in widths)
        lines = [head, fmt_row.format(*COLUMNS), fmt_row.format(*("-" * w for w in widths))]
        lines += [fmt_row.format(*r) for r in rows]
        return "\n".join(lines) + "\n"
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
