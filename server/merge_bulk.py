"""Write many merge-table rows with one statement: plain inserts, or upserts that add counters.

On PostgreSQL the rows travel as one array per column through ``unnest``: the SQL text is the
same whatever the batch size, so psycopg prepares it once per connection and the server plans
it once per batch, where an ``executemany`` sends and runs it once per row. SQLite (one process,
no round trips) keeps :func:`server.ingest.insert_many`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, Table, Text, all_, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from .ingest import insert_many

Write = tuple[Table, Sequence[Mapping[str, Any]], Sequence[str]]  # table, rows, counters


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
    order. On PostgreSQL every row must have all its table's columns unless it is alone.
    """
    if not any(rows for _, rows, _ in writes):
        return
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name != "postgresql":
        for table, rows, add in writes:
            if rows:
                stmt = _sqlite_upsert(table, tuple(add)) if add else table.insert()
                insert_many(session, stmt, rows, key=("write_rows", table.name, tuple(add)))
        return
    # One table alone: the rows' own columns (the others keep their defaults). Several: every
    # column, so empty tables still fill their slot and the text is the same for every batch.
    shapes = tuple(
        (table, tuple(rows[0]) if len(writes) == 1 else tuple(table.c.keys()), tuple(add))
        for table, rows, add in writes
    )
    sql, procs = _unnest_sql(shapes, dialect)
    columns = []
    for (_, names, _), (_, rows, _), table_procs in zip(shapes, writes, procs, strict=True):
        for name, proc in zip(names, table_procs, strict=True):
            values = [row[name] for row in rows]
            columns.append([proc(v) for v in values] if proc is not None else values)
    conn.exec_driver_sql(sql, tuple(columns))


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
def _unnest_sql(
    shapes: tuple[tuple[Table, tuple[str, ...], tuple[str, ...]], ...], dialect: Dialect
) -> tuple[str, tuple[tuple[Any, ...], ...]]:
    """Return the ``INSERT … SELECT FROM unnest(…)`` of each (table, columns, counters), chained.

    Several inserts become data-modifying CTEs of one statement, in the given order, the last
    one the main statement; also return each table's per-column bind processors.
    """
    inserts = [_unnest_insert(table, names, add, dialect) for table, names, add in shapes]
    procs = tuple(
        tuple(table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names)
        for table, names, _ in shapes
    )
    ctes = ", ".join(f"w{i} AS ({sql})" for i, sql in enumerate(inserts[:-1]))
    return (f"WITH {ctes} {inserts[-1]}" if ctes else inserts[-1]), procs


def _unnest_insert(
    table: Table, names: tuple[str, ...], add: tuple[str, ...], dialect: Dialect
) -> str:
    """Return one table's insert (or counter-adding upsert) of rows given as column arrays."""
    quote = dialect.identifier_preparer.quote
    # String arrays go as text[]: a cast to varchar(n) would silently cut a long value, while
    # the insert's own assignment to the column refuses it, as a plain INSERT would.
    arrays = ", ".join(
        f"%s::{'TEXT' if isinstance(c.type, String) else c.type.compile(dialect=dialect)}[]"
        for c in (table.c[n] for n in names)
    )
    quoted = ", ".join(quote(n) for n in names)
    target = dialect.identifier_preparer.format_table(table)
    # ORDER BY the array position: rows are written (and their keys locked) in the caller's
    # order, which is what keeps concurrent upserts from deadlocking.
    sql = (
        f"INSERT INTO {target} ({quoted}) SELECT {quoted} FROM unnest({arrays}) "
        f"WITH ORDINALITY AS u ({quoted}, ord_) ORDER BY ord_"
    )
    if add:
        keys = ", ".join(quote(c.name) for c in table.primary_key.columns)
        sets = ", ".join(f"{quote(n)} = {target}.{quote(n)} + excluded.{quote(n)}" for n in add)
        sql += f" ON CONFLICT ({keys}) DO UPDATE SET {sets}"
    return sql


@cache
def _sqlite_upsert(table: Table, add: tuple[str, ...]) -> Any:
    """Return the table's add-to-counters upsert (built once: ``excluded`` is slow to set up)."""
    keys = [c.name for c in table.primary_key.columns]
    stmt = sqlite_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={c: table.c[c] + stmt.excluded[c] for c in add}
    )
