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
