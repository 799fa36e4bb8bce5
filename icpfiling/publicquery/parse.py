"""What the one search box was given (R-Q1): a domain, an entity number, a service number or a name piece."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from icpfiling.core.validators import registered_domain

# 浙ICP备2026000001号, 京ICP证030173号 style prefixes, then an optional -N (website), -NA (app),
# -NX (mini-program or quick app). Spaces, a missing 号 and lower-case "icp" are forgiven.
_NUMBER = re.compile(
    r"^(?P<entity>[\u4e00-\u9fff]ICP[备证]\d{6,12})号?(?:-(?P<seq>\d{1,4})(?P<kind>[AX])?)?$"
)
MIN_NAME_CHARS = 2
MAX_QUERY_CHARS = 100


@dataclass(frozen=True)
class Query:
    """``kind`` is one of: empty, too_short, too_long, domain, entity_number, service_number, name."""

    kind: str
    text: str
    value: str = ""


def parse_query(raw: str) -> Query:
    text = unicodedata.normalize("NFKC", raw or "").strip()
    if not text:
        return Query("empty", "")
    if len(text) > MAX_QUERY_CHARS:
        return Query("too_long", text[:MAX_QUERY_CHARS])
    compact = re.sub(r"\s+", "", text)
    number = _NUMBER.match(compact.replace("icp", "ICP").replace("Icp", "ICP"))
    if number:
        entity = number.group("entity") + "号"
        if number.group("seq"):
            return Query(
                "service_number", text, f"{entity}-{number.group('seq')}{number.group('kind') or ''}"
            )
        return Query("entity_number", text, entity)
    if "." in text or "。" in text:
        domain = registered_domain(text)
        if domain:
            return Query("domain", text, domain)
    if len(text) < MIN_NAME_CHARS:
        return Query("too_short", text)
    return Query("name", text, text.lower())
