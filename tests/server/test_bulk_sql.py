"""The merge tables' bulk writer: plain inserts and counter-adding upserts, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from server.db import db
from server.db.bulk import among, insert_new, write_rows, write_tables
from server.models import Response
from server.models.merge import (
    EqualityDay,
    MentionDay,
    RespondentDay,
    ResponseMention,
    TriageItem,
)

COUNTERS = ("mentions", "severity_sum", "severity_count")
DAY = date(2026, 11, 30)


def _mention_day(day: date, category: str, mentions: int, severity: int) -> dict[str, Any]:
    return {
        "area": "abbey",
        "day": day,
        "category": category,
        "method": "doorstep",
        "mentions": mentions,
        "severity_sum": severity,
        "severity_count": mentions,
    }


@contextmanager
def _statements() -> Iterator[list[str]]:
    """Collect the SQL text of every statement the app's engine sends while inside."""
    sent: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        sent.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)


def test_upserts_add_counters_and_keep_new_rows(app: Flask) -> None:
    with app.app_context():
        first = [_mention_day(DAY - timedelta(days=i), "speeding", i + 1, 3) for i in range(300)]
        write_rows(db.session, MentionDay.__table__, first, COUNTERS)
        again = [_mention_day(DAY, "speeding", 2, 9), _mention_day(DAY, "litter", 1, 0)]
        write_rows(db.session, MentionDay.__table__, again, COUNTERS)
        db.session.commit()
        got = {(r.day, r.category): r for r in db.session.scalars(sa.select(MentionDay))}
        assert len(got) == 301
        assert (got[DAY, "speeding"].mentions, got[DAY, "speeding"].severity_sum) == (3, 12)
        assert got[DAY, "speeding"].severity_count == 3
        assert (got[DAY, "litter"].mentions, got[DAY, "litter"].severity_sum) == (1, 0)
        last = DAY - timedelta(days=299)
        assert (got[last, "speeding"].mentions, got[last, "speeding"].severity_sum) == (300, 3)


def test_plain_inserts_keep_nulls_and_text(app: Flask) -> None:
    text = "<b>O'Brien's</b> \"café\" ;-- \\ 100% {NULL} ,}"
    triage = [
        {
            "response_id": f"r{i}",
            "question": "other",
            "area": "abbey",
            "day": DAY,
            "method": "doorstep",
            "text": text,
            "norm_hash": "h" * 64,
            "severity": None,  # a whole column of NULLs
            "status": "pending",
            "category": None,
        }
        for i in range(3)
    ]
    mentions = [
        {
            "response_id": "r0",
            "category": c,
            "area": "abbey",
            "day": DAY,
            "method": "kiosk",
            "severity": sev,
            "source": "text",
        }
        for c, sev in (("litter", None), ("speeding", 4))
    ]
    with app.app_context():
        write_rows(db.session, TriageItem.__table__, triage)
        write_rows(db.session, ResponseMention.__table__, mentions)
        db.session.commit()
        items = db.session.scalars(sa.select(TriageItem).order_by(TriageItem.id)).all()
        assert [t.response_id for t in items] == ["r0", "r1", "r2"]  # ids follow the row order
        assert {t.text for t in items} == {text}
        assert {t.severity for t in items} == {None} and {t.category for t in items} == {None}
        got = {m.category: m.severity for m in db.session.scalars(sa.select(ResponseMention))}
        assert got == {"litter": None, "speeding": 4}


def test_a_value_too_long_for_its_column_is_never_cut(app: Flask) -> None:
    long = "x" * 65  # category is VARCHAR(64)
    with app.app_context():
        try:
            write_rows(db.session, MentionDay.__table__, [_mention_day(DAY, long, 1, 1)], COUNTERS)
            db.session.commit()
        except sa.exc.DataError:  # PostgreSQL refuses it, as a plain INSERT would
            db.session.rollback()
            assert db.engine.dialect.name == "postgresql"
            assert db.session.scalars(sa.select(MentionDay)).all() == []
        else:  # SQLite does not enforce VARCHAR lengths: stored whole
            assert db.engine.dialect.name == "sqlite"
            assert db.session.scalars(sa.select(MentionDay.category)).all() == [long]


def test_one_statement_per_table_whatever_the_batch_size(app: Flask) -> None:
    with app.app_context():
        db.session.connection()  # begin first: only the writes themselves are collected
        with _statements() as sent:
            for count in (1, 500):
                rows = [
                    _mention_day(DAY - timedelta(days=i), "speeding", 1, 2) for i in range(count)
                ]
                write_rows(db.session, MentionDay.__table__, rows, COUNTERS)
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.sum(MentionDay.mentions))) == 501
        # one statement each, the same text for one row as for five hundred
        assert len(sent) == 2 and sent[0] == sent[1]
        if db.engine.dialect.name == "postgresql":
            assert "json_to_recordset(" in sent[0]  # the rows travel as one JSON array


def test_among_matches_in_and_not_in_with_one_statement_text(app: Flask) -> None:
    rows = [_mention_day(DAY, c, 1, 1) for c in ("litter", "noise", "speeding")]
    with app.app_context():
        write_rows(db.session, MentionDay.__table__, rows, COUNTERS)
        db.session.commit()

        def found(values: list[str], negate: bool = False) -> list[str]:
            cond = among(db.session, MentionDay.category, values, negate=negate)
            q = sa.select(MentionDay.category).where(cond).order_by(MentionDay.category)
            return list(db.session.scalars(q))

        with _statements() as sent:
            assert found(["noise", "speeding", "absent"]) == ["noise", "speeding"]
            assert found(["noise"], negate=True) == ["litter", "speeding"]
            assert found([]) == [] and found([], negate=True) == ["litter", "noise", "speeding"]
            # a value longer than the column is compared whole, never cut into a match
            assert found(["speeding" + "x" * 64]) == []
        if db.engine.dialect.name == "postgresql":
            assert len({s for s in sent if "ANY" in s}) == 1  # the same text for any count


def test_write_tables_writes_each_table_in_one_statement(app: Flask) -> None:
    respondents = {"area": "abbey", "day": DAY, "method": "doorstep", "respondents": 2}
    equality = {**respondents, "question": "age", "value": "25-34"}
    with app.app_context():
        db.session.connection()
        with _statements() as sent:
            # then one table empty, then rows in every table again
            for mentions in (
                [_mention_day(DAY, "litter", 1, 4)],
                [],
                [_mention_day(DAY, "x", 1, 0)],
            ):
                write_tables(
                    db.session,
                    [
                        (MentionDay.__table__, mentions, COUNTERS),
                        (RespondentDay.__table__, [respondents], ("respondents",)),
                        (EqualityDay.__table__, [equality], ("respondents",)),
                    ],
                )
        db.session.commit()
        got = db.session.scalars(sa.select(MentionDay).order_by(MentionDay.category))
        assert [(m.category, m.mentions) for m in got] == [("litter", 1), ("x", 1)]
        assert db.session.scalars(sa.select(RespondentDay.respondents)).all() == [6]
        assert db.session.scalars(sa.select(EqualityDay.respondents)).all() == [6]
        if db.engine.dialect.name == "postgresql":
            # one round trip each; the text names the tables with rows, whatever their count
            assert len(sent) == 3 and sent[0] == sent[2] != sent[1]
            assert "mention_days" not in sent[1]


def _response_row(rid: str, answers: dict[str, Any], when: datetime) -> dict[str, Any]:
    return {
        "id": rid,
        "survey_id": "test-safety",
        "survey_version": 1,
        "area": "abbey",
        "method": "doorstep",
        "collected_at": when,
        "received_at": when,
        "content_hash": "0" * 64,
        "answers": answers,
    }


def test_insert_new_stores_each_key_once_and_keeps_values_exactly(app: Flask) -> None:
    # orjson writes the rows; an integer beyond 64 bits goes the stdlib's way, and times in
    # any zone are stored as the same instant
    when = datetime(2025, 3, 1, 23, 30, tzinfo=timezone(timedelta(hours=-5)))
    answers = {"note": 'quote " backslash \\ é 😀 \u2028', "n": 10**30, "x": [1.5, True, None]}
    rows = [_response_row("r1", answers, when), _response_row("r2", {"n": 1}, when)]
    with app.app_context():
        assert insert_new(db.session, Response.__table__, rows) == {"r1", "r2"}
        again = [_response_row("r2", {}, when), _response_row("r3", {}, when)]
        assert insert_new(db.session, Response.__table__, again) == {"r3"}
        db.session.commit()
        stored = db.session.get(Response, "r1")
        assert stored.answers == answers
        assert stored.collected_at == when and stored.collected_at.hour == 4  # UTC
        assert db.session.get(Response, "r2").answers == {"n": 1}  # the first one stays


def test_a_naive_time_is_refused_not_guessed(app: Flask) -> None:
    with app.app_context():
        row = _response_row("r1", {}, datetime(2025, 3, 1, 12, 0))
        with pytest.raises((ValueError, sa.exc.StatementError), match="naive"):  # SQLite wraps it
            insert_new(db.session, Response.__table__, [row])
