"""Stream stored responses as a spreadsheet: CSV, XLSX (openpyxl write-only) or JSON.

One row per response, one column per question across every version of each survey exported,
so a column keeps its place whichever version a response was collected with (a version that
lacked a question leaves its cells empty). Single choices give their value and label, multiple
choices one 1/0 column per choice plus the chosen labels, yes/no "yes"/"no". Personal data is
never read: contact details live in their own table, questions marked ``personal`` get no
column, the volunteer and device are left out, and free text is scrubbed as triage quotes are.
Text that a spreadsheet would run as a formula is neutralised. Rows are read in batches from a
server-side cursor, so memory stays flat however many responses there are. No Flask.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import IO, Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from server.catalogue.surveys import registry_for
from server.issues.formats import safe_cell
from server.issues.scrub import scrub
from server.models import Response
from survey_schemas import Survey, SurveyRegistry

FORMATS = ("csv", "xlsx", "json")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}
BATCH = 2000
FIXED = (
    "id",
    "survey_id",
    "survey_version",
    "area",
    "method",
    "collected_at",
    "received_at",
    "language",
    "street",
    "replaces",
    "conflict",
)
# The answers come as JSON text decoded here: psycopg's own JSON loader is about three times
# slower per row than json.loads on the text (bench/export.py).
_READ = [getattr(Response, name) for name in FIXED] + [cast(Response.answers, Text)]

Cells = Callable[[dict[str, Any]], list[Any]]


@dataclass(frozen=True)
class Columns:
    """The columns one question gives, and how to read their cells from a response's answers."""

    names: tuple[str, ...]
    cells: Cells


def _text(qid: str) -> Cells:
    def cells(a: dict[str, Any]) -> list[Any]:
        v = a.get(qid)
        return [safe_cell(scrub(v)) if isinstance(v, str) else v]

    return cells


def _plain(qid: str) -> Cells:
    def cells(a: dict[str, Any]) -> list[Any]:
        v = a.get(qid)
        if v is None or isinstance(v, int | float) and not isinstance(v, bool):
            return [v]
        if isinstance(v, bool):
            return ["yes" if v else "no"]
        return [safe_cell(v if isinstance(v, str) else json.dumps(v))]

    return cells


def _single(qid: str, labels: dict[str, str]) -> Cells:
    def cells(a: dict[str, Any]) -> list[Any]:
        v = a.get(qid)
        if v is None:
            return [None, None]
        v = str(v)
        return [safe_cell(v), safe_cell(labels.get(v, v))]

    return cells


def _multiple(qid: str, labels: dict[str, str]) -> Cells:
    values = tuple(labels)
    empty = [None] * (len(values) + 1)

    def cells(a: dict[str, Any]) -> list[Any]:
        v = a.get(qid)
        if not isinstance(v, list):
            return empty
        chosen = set(v)
        out: list[Any] = [1 if x in chosen else 0 for x in values]
        out.append(safe_cell("; ".join(labels.get(x, str(x)) for x in v)))
        return out

    return cells


def columns_for(surveys: Sequence[Survey]) -> list[Columns]:
    """Return the columns of ``surveys`` (every version, oldest first), each question once."""
    order: list[str] = []
    kinds: dict[str, str] = {}
    choices: dict[str, dict[str, str]] = {}
    for s in surveys:
        for q in s.questions:
            if q.personal:
                continue
            if q.id not in kinds:
                order.append(q.id)
                kinds[q.id] = q.type
                choices[q.id] = {}
            for c in q.choices:
                choices[q.id].setdefault(c.value, c.label.get("en") or c.value)
    out = []
    for qid in order:
        kind, labels = kinds[qid], choices[qid]
        if kind == "multiple_choice":
            names = (*(f"{qid}.{v}" for v in labels), f"{qid}.labels")
            out.append(Columns(names, _multiple(qid, labels)))
        elif kind == "single_choice":
            out.append(Columns((qid, f"{qid}.label"), _single(qid, labels)))
        elif kind in ("text", "street"):
            out.append(Columns((qid,), _text(qid)))
        else:
            out.append(Columns((qid,), _plain(qid)))
    return out


@dataclass(frozen=True)
class Export:
    """What to export: areas, an inclusive range of collection days, and the columns."""

    areas: tuple[str, ...]
    since: date | None
    until: date | None
    questions: tuple[Columns, ...]

    @property
    def header(self) -> list[str]:
        """Return the column names."""
        return [*FIXED, *(name for q in self.questions for name in q.names)]


def plan_export(
    session: Session,
    areas: Collection[str],
    since: date | None = None,
    until: date | None = None,
    registry: SurveyRegistry | None = None,
) -> Export:
    """Return the export of the responses of ``areas`` collected between the two days."""
    registry = registry or registry_for(session)
    used = {
        (sid, v)
        for sid, v in session.execute(
            _filtered(
                select(Response.survey_id, Response.survey_version), areas, since, until
            ).distinct()
        )
    }
    ids = sorted({sid for sid, _ in used})
    # every version of each survey exported, so columns never depend on which rows are there
    surveys = [s for s in registry if s.id in ids]
    return Export(tuple(sorted(areas)), since, until, tuple(columns_for(surveys)))


def _filtered(q: Any, areas: Collection[str], since: date | None, until: date | None) -> Any:
    q = q.where(Response.area.in_(sorted(areas)))
    if since:
        q = q.where(Response.collected_at >= datetime.combine(since, time(), UTC))
    if until:
        q = q.where(
            Response.collected_at < datetime.combine(until + timedelta(days=1), time(), UTC)
        )
    return q


def rows(session: Session, export: Export) -> Iterator[list[Any]]:
    """Yield each exported response as a list of cells, oldest collected first."""
    q = _filtered(select(*_READ), export.areas, export.since, export.until).order_by(
        Response.collected_at, Response.id
    )
    readers = [q.cells for q in export.questions]
    result = session.execute(q.execution_options(yield_per=BATCH, stream_results=True))
    for rid, sid, version, area, method, collected, received, lang, street, rep, conf, a in result:
        row = [rid, sid, version, area, method, collected.isoformat(), received.isoformat()]
        row += [safe_cell(lang), safe_cell(street), rep, conf]
        a = json.loads(a) if a else {}
        for read in readers:
            row += read(a)
        yield row


def write_csv(session: Session, export: Export) -> Iterator[str]:
    """Yield the export as CSV text in chunks of about :data:`BATCH` rows."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(export.header)
    for i, row in enumerate(rows(session, export), 1):
        w.writerow(row)
        if i % BATCH == 0:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def write_json(session: Session, export: Export) -> Iterator[str]:
    """Yield one JSON object ``{"columns": [...], "responses": [{column: cell}, ...]}``."""
    header = export.header
    yield json.dumps({"columns": header})[:-1] + ', "responses": ['
    parts: list[str] = []
    for i, row in enumerate(rows(session, export)):
        parts.append(("," if i else "") + json.dumps(dict(zip(header, row, strict=True))))
        if len(parts) >= BATCH:
            yield "".join(parts)
            parts = []
    yield "".join(parts) + "]}\n"


def write_xlsx(session: Session, export: Export, out: IO[bytes]) -> int:
    """Write the export as an XLSX workbook (openpyxl write-only) to ``out``; return its rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("responses")
    ws.append(export.header)
    n = 0
    for row in rows(session, export):
        ws.append(row)
        n += 1
    wb.save(out)
    return n
