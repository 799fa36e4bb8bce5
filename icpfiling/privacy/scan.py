"""Finds resident ID numbers and mainland mobiles written in clear (R-X1's dump check).

A hit is an 18-character run that passes the GB 11643 check digit, or an 11-digit
``1[3-9]…`` mobile, standing alone: not inside a longer run of letters or digits, so
hex digests and base64 ciphertext (which hold long digit runs by chance) are not hits.
Used by the tests that dump the database and by ``scripts/bench_field_crypto.py``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from stdnum.cn import ric

_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9A-Za-z])(1[3-9]\d{9})(?![0-9A-Za-z])")


def cleartext_hits(text: str) -> list[str]:
    """Every resident ID (valid check digit) and mainland mobile found in ``text``."""
    hits = [m for m in _RESIDENT_ID.findall(text) if m[-1].upper() == ric.calc_check_digit(m)]
    hits.extend(_MOBILE.findall(text))
    return hits


@dataclass
class ScanResult:
    bytes_scanned: int = 0
    # (where, masked value) for each hit: enough to find the leak, not a copy of it.
    hits: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, text: str) -> None:
        self.bytes_scanned += len(text.encode())
        self.hits.extend((where, f"{hit[:3]}…{hit[-2:]}") for hit in cleartext_hits(text))

    def by_place(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for where, _masked in self.hits:
            counts[where] = counts.get(where, 0) + 1
        return dict(sorted(counts.items()))


def scan_rows(result: ScanResult, where: str, rows: Iterable[Iterable[object]]) -> None:
    for row in rows:
        for value in row:
            if value is None:
                continue
            result.add(where, value.decode(errors="replace") if isinstance(value, bytes) else str(value))


def scan_database(connection) -> ScanResult:
    """Reads every column of every table through ``connection`` (SQLite or PostgreSQL)."""
    result = ScanResult()
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            for column in columns:
                quoted_table = connection.ops.quote_name(table)
                quoted = connection.ops.quote_name(column)
                # Identifiers come from the catalogue and are quoted, never from input.
                cursor.execute(f"SELECT {quoted} FROM {quoted_table}")  # noqa: S608
                scan_rows(result, f"{table}.{column}", cursor.fetchall())
    return result
