"""Write and look up many rows with one statement each: the bulk SQL of ingest and merge.

On PostgreSQL each table's rows travel as one JSON document (``json_to_recordset``), and
looked-up keys as one array (``= ANY``): the SQL text is the same whatever the batch size, so
psycopg prepares it once per connection and the server plans it once per batch. A multi-row
``VALUES`` or an ``IN`` list is a new text for every batch, which psycopg splits with a regular
expression and the server parses and plans again; at 200 responses a push that cost more than
storing them. SQLite (one process, no round trips) takes the rows through :func:`insert_many`,
the driver's own ``executemany`` with little SQLAlchemy in between.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
from sqlalchemy import (
    ColumnElement,
    Insert,
    String,
    Table,
    Text,
    all_,
    any_,
    bindparam,
    literal,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

Write = tuple[Table, Sequence[Mapping[str, Any]], Sequence[str]]  # table, rows, counters


@dataclass(frozen=True)
class _Plan:
    """How to hand one INSERT's rows to the driver: its SQL, value order and bind processors."""

    sql: str
    names: tuple[str, ...]
    procs: tuple[tuple[int, str, Callable[[Any], Any]], ...]
    positional: bool
    direct: bool


_PLANS: dict[Hashable, _Plan] = {}


def _plan(stmt: Insert, dialect: Any, keys: tuple[str, ...]) -> _Plan:
    """Compile ``stmt`` for rows with ``keys``; say whether the driver can take them as they are."""
    compiled = stmt.compile(dialect=dialect, column_keys=list(keys))
    names = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.binds)
    direct = not (
        compiled.insert_prefetch
        or compiled.returning
        or compiled.literal_execute_params
        or compiled.post_compile_params
        or set(names) != set(keys)
    )
    procs = []
    for i, name in enumerate(names if direct else ()):
        proc = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        if proc is not None:
            procs.append((i, name, proc))
    return _Plan(compiled.string, names, tuple(procs), bool(compiled.positional), direct)


def insert_many(
    session: Session,
    stmt: Insert,
    rows: Sequence[Mapping[str, Any]],
    *,
    key: Hashable | None = None,
) -> None:
    """Run an INSERT for many rows (all with the same keys) through the driver's executemany.

    SQLAlchemy's executemany rebuilds every row's parameters and costs more per row than the
    database does; here each value only passes its column type's bind processor, and the
    compiled statement is kept under ``key`` (which must name the statement's shape). A
    statement that needs more (defaults filled in, RETURNING, expanding parameters) goes
    through ``session.execute`` as usual.
    """
    if not rows:
        return
    conn = session.connection()
    plan = _cached_plan(stmt, conn.dialect, tuple(rows[0]), key)
    if not plan.direct:
        session.execute(stmt, rows)
        return
    conn.exec_driver_sql(plan.sql, _params(plan, rows))


def _cached_plan(stmt: Insert, dialect: Any, keys: tuple[str, ...], key: Hashable | None) -> _Plan:
    """Return the plan of ``stmt`` for rows with ``keys``, kept under ``key`` when one is given."""
    cache = (type(dialect), dialect.paramstyle, key, keys) if key is not None else None
    plan = _PLANS.get(cache) if cache is not None else None
    if plan is None:
        plan = _plan(stmt, dialect, keys)
        if cache is not None:
            _PLANS[cache] = plan
    return plan


def _params(plan: _Plan, rows: Sequence[Mapping[str, Any]]) -> list[Any]:
    """Return the driver's parameters for ``rows``: each value through its bind processor."""
    params: list[Any]
    if plan.positional:
        get = itemgetter(*plan.names)
        params = [get(row) for row in rows] if len(plan.names) > 1 else [(get(r),) for r in rows]
        if plan.procs:
            params = [_processed(list(values), plan) for values in params]
    else:
        params = [{n: row[n] for n in plan.names} for row in rows]
        for values in params:
            for _, name, proc in plan.procs:
                values[name] = proc(values[name])
    return params


def _processed(values: list[Any], plan: _Plan) -> tuple[Any, ...]:
    for i, _, proc in plan.procs:
        values[i] = proc(values[i])
    return tuple(values)


def write_rows(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], add: Sequence[str] = ()
) -> None:
    """Insert ``rows`` in their order; with ``add``, a row whose key exists adds those counters.

    Every row has the same keys; with ``add`` no key may occur twice (sum them first).
    """
    if rows:
        write_tables(session, [(table, rows, add)])


def write_tables(session: Session, writes: Sequence[Write]) -> None:
    """Do several :func:`write_rows` at once: on PostgreSQL, one statement in one round trip.

    Row locks are taken table by table in the order given, then row by row in each table's
    order. Each table's rows all have the same keys; the table's other columns take their
    model defaults (a computed default, such as a time, must be given).
    """
    writes = [(table, rows, add) for table, rows, add in writes if rows]
    if not writes:
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql":
        for table, rows, add in writes:
            stmt = _sqlite_upsert(table, tuple(add)) if add else table.insert()
            insert_many(session, stmt, rows, key=("write_rows", table.name, tuple(add)))
        return
    # The text depends on which tables have rows, never on how many: a handful of texts.
    shapes = tuple((table, tuple(rows[0]), tuple(add)) for table, rows, add in writes)
    sql = _recordset_sql(shapes, dialect)
    conn.exec_driver_sql(sql, tuple(_as_json(rows) for _, rows, _ in writes))


def insert_new(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> set[Any]:
    """Insert the rows whose primary key is not stored yet; return the keys that went in.

    One ``INSERT … ON CONFLICT DO NOTHING RETURNING`` key: two pushes of the same rows racing
    on two connections store each row once. Every row has the same keys; the table has a
    one-column primary key.
    """
    if not rows:
        return set()
    (pk,) = table.primary_key.columns
    dialect = session.get_bind().dialect
    names = tuple(rows[0])
    if dialect.name != "postgresql":
        return _insert_new_sqlite(session, table, pk.name, rows)
    sql = _recordset_sql(((table, names, ()),), dialect, "new")
    return {key for (key,) in session.connection().exec_driver_sql(sql, (_as_json(rows),))}


def _insert_new_sqlite(
    session: Session, table: Table, key: str, rows: Sequence[Mapping[str, Any]]
) -> set[Any]:
    """Insert row by row on the driver's cursor, keeping the key of each row that went in.

    One prepared statement run per row (SQLite has no round trips) costs about half of one
    multi-row ``VALUES … RETURNING``, which SQLite builds and fills anew for every batch, and
    each row's change count says exactly whether it went in.
    """
    stmt = sqlite_insert(table).on_conflict_do_nothing(index_elements=[key])
    conn = session.connection()
    plan = _cached_plan(stmt, conn.dialect, tuple(rows[0]), ("insert_new", table.name))
    if not plan.direct or not plan.positional:
        return set(session.scalars(stmt.returning(table.c[key]), rows))
    cursor = conn.connection.cursor()  # the transaction's own connection
    inserted = set()
    values: Any = None
    try:
        for row, values in zip(rows, _params(plan, rows), strict=True):
            cursor.execute(plan.sql, values)
            if cursor.rowcount == 1:
                inserted.add(row[key])
    except conn.dialect.loaded_dbapi.Error as error:
        # the driver's error as SQLAlchemy's, as any other statement of the session raises it
        raise DBAPIError.instance(
            plan.sql, values, error, conn.dialect.loaded_dbapi.Error
        ) from error
    finally:
        cursor.close()
    return inserted


def among(session: Session, column: Any, values: Sequence[Any], *, negate: bool = False) -> Any:
    """Return ``column IN values`` (``NOT IN`` with ``negate``) for a query on ``session``.

    On PostgreSQL the values go as one array (``= ANY``), so the SQL text stays the same for
    any number of them; an ``IN`` list is rendered, sent and parsed again for every batch.
    """
    if session.get_bind().dialect.name != "postgresql":
        return column.not_in(values) if negate else column.in_(values)
    # text[]: a cast to the column's varchar(n) would cut a longer value into a false match
    array: ColumnElement[Any] = bindparam(None, list(values), type_=ARRAY(Text))
    return column != all_(array) if negate else column == any_(array)


@cache
def _recordset_sql(
    shapes: tuple[tuple[Table, tuple[str, ...], tuple[str, ...]], ...],
    dialect: Dialect,
    conflict: str = "add",
) -> str:
    """Return the ``INSERT … SELECT FROM json_to_recordset(…)`` of each (table, columns, counters).

    Several inserts become data-modifying CTEs of one statement, in the given order, the last
    one the main statement. ``conflict`` ``"new"`` (one table) skips rows whose key is stored
    and returns the keys inserted.
    """
    inserts = [_recordset_insert(table, names, add, dialect) for table, names, add in shapes]
    if conflict == "new":
        ((table, _, _),) = shapes
        key = dialect.identifier_preparer.quote(next(iter(table.primary_key.columns)).name)
        inserts[-1] += f" ON CONFLICT ({key}) DO NOTHING RETURNING {key}"
    ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1]))
    return f"WITH {ctes} {inserts[-1]}" if ctes else inserts[-1]


def _recordset_insert(
    table: Table, names: tuple[str, ...], add: tuple[str, ...], dialect: Dialect
) -> str:
    """Return one table's insert (or counter-adding upsert) of rows given as a JSON array."""
    quote = dialect.identifier_preparer.quote
    # Strings are read as text: a cast to varchar(n) would silently cut a long value, while
    # the insert's own assignment to the column refuses it, as a plain INSERT would.
    columns = ", ".join(
        f"{quote(c.name)} {'TEXT' if isinstance(c.type, String) else c.type.compile(dialect)}"
        for c in (table.c[n] for n in names)
    )
    quoted = ", ".join(quote(n) for n in names)
    # A column the rows leave out takes its model default, as SQLAlchemy's own insert would
    # give it: a constant is written into the statement; a computed one must be in the rows.
    defaults = {}
    for column in table.c:
        if column.key in names or column.default is None:
            continue
        if not column.default.is_scalar:
            raise ValueError(f"bulk rows for {table.name} must give {column.key}")
        value = literal(column.default.arg, column.type)
        defaults[quote(column.name)] = str(
            value.compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        )
    into = ", ".join([quoted, *defaults])
    values = ", ".join([quoted, *defaults.values()])
    target = dialect.identifier_preparer.format_table(table)
    # ORDER BY the row's place in the document: rows are written (and their keys locked) in the
    # caller's order, which is what keeps concurrent upserts from deadlocking.
    sql = (
        f"INSERT INTO {target} ({into}) SELECT {values} FROM ROWS FROM "
        f"(json_to_recordset(%s::json) AS ({columns})) WITH ORDINALITY AS u ({quoted}, ord_) "
        "ORDER BY ord_"
    )
    if add:
        keys = ", ".join(quote(c.name) for c in table.primary_key.columns)
        sets = ", ".join(f"{quote(n)} = {target}.{quote(n)} + excluded.{quote(n)}" for n in add)
        sql += f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    return sql


def _as_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """Return ``rows`` as one JSON array, times in UTC as the columns store them.

    orjson writes it (a tenth of the stdlib's time); what orjson cannot write as the stdlib
    would (an integer beyond 64 bits, a non-dict mapping) goes the stdlib's way instead.
    """
    try:
        data = rows if isinstance(rows, list) else list(rows)
        return orjson.dumps(data, default=_json_value, option=_ORJSON).decode()
    except orjson.JSONEncodeError:
        return json.dumps(list(rows), default=_json_value, allow_nan=False, separators=(",", ":"))


# Every date and time goes through _json_value, which refuses a naive time as UTCDateTime
# does. orjson would write a NaN as null: none reaches here (survey answers are checked
# finite, and the other numbers are counts).
_ORJSON = orjson.OPT_PASSTHROUGH_DATETIME


def _json_value(value: Any) -> str:
    """Encode what JSON has no type for: dates, and aware times (in UTC, as UTCDateTime does)."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} cannot be written in bulk")


@cache
def _sqlite_upsert(table: Table, add: tuple[str, ...]) -> Any:
    """Return the table's add-to-counters upsert (built once: ``excluded`` is slow to set up)."""
    keys = [c.name for c in table.primary_key.columns]
    stmt = sqlite_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c: table.c[c] + stmt.excluded[c] for c in add}
    )
