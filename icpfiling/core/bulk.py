"""Plain multi-row INSERTs for sweeps that write tens of thousands of rows.

Django's ``bulk_create`` builds a model instance and prepares every field of
every row in Python; for a sweep over 100,000 deadlines that was most of the
time. Here the caller gives column values already in database form and the
rows go out in pages of multi-row VALUES (psycopg2's ``execute_values`` on
PostgreSQL, ``executemany`` on SQLite), skipping rows that conflict with a
unique constraint.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection


def insert_rows(
    table: str, columns: Sequence[str], rows: Sequence[Sequence], *, on_conflict_ignore: bool = False
) -> None:
    if not rows:
        return
    # Table and column names come from model metadata in code, never from input, and
    # are quoted; every value travels as a query parameter.
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    tail = " ON CONFLICT DO NOTHING" if on_conflict_ignore else ""
    head = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) VALUES "  # noqa: S608
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            from psycopg2.extras import execute_values

            execute_values(
                cur.cursor if hasattr(cur, "cursor") else cur,
                head + "%s" + tail,
                rows,
                page_size=1000,
            )
        else:
            marks = ", ".join(["%s"] * len(columns))
            cur.executemany(head + f"({marks})" + tail, rows)


def insert_select(
    table: str,
    columns: Sequence[str],
    select_sql: str,
    params: Sequence,
    ids: Sequence[int],
    *,
    on_conflict_ignore: bool = False,
) -> int:
    """``INSERT INTO table (columns) <select_sql>`` where ``{ids}`` in the SELECT becomes the id list.

    The rows are built by the database from rows it already holds, so a batch
    of a thousand orders costs one statement and no Python per row. Returns
    the number of rows inserted.
    """
    if not ids:
        return 0
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    marks = ", ".join(["%s"] * len(ids))
    # SQLite needs a WHERE before ON CONFLICT in INSERT … SELECT; the SELECT has one.
    tail = " ON CONFLICT DO NOTHING" if on_conflict_ignore else ""
    # Names and SQL shape come from code; every value is a parameter.
    sql = f"INSERT INTO {connection.ops.quote_name(table)} ({cols}) " + select_sql.format(ids=marks) + tail
    with connection.cursor() as cur:
        cur.execute(sql, [*params, *ids])
        return cur.rowcount
