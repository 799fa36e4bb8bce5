"""Separators that follow the reader's language (R-L1, issue 12 item 7).

Chinese text joins list items with "、", clauses with "；" and puts "：" after a label;
English uses ", ", "; " and ": ". The separators are catalogue entries (with a context,
so they never clash with a sentence that happens to be one character), so they follow
the active language wherever text is built: views, template tags, services rendering a
message for the reader.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import pgettext


def list_sep() -> str:
    return pgettext("list separator", "、")


def clause_sep() -> str:
    return pgettext("clause separator", "；")


def open_bracket() -> str:
    return pgettext("opening bracket", "（")


def close_bracket() -> str:
    return pgettext("closing bracket", "）")


def list_join(items: Iterable[object]) -> str:
    """Items of one list: "甲、乙" / "A, B"."""
    return list_sep().join(str(i) for i in items)


def clause_join(items: Iterable[object]) -> str:
    """Clauses that may hold commas themselves: "甲；乙" / "A; B"."""
    return clause_sep().join(str(i) for i in items)


def colon() -> str:
    """What follows a label before its value: "：" / ": "."""
    return pgettext("after a label", "：")


def labelled(label: object, value: object) -> str:
    """A label and its value: "域名：a.cn" / "Domain: a.cn"."""
    return f"{label}{colon()}{value}"


def bracketed(text: object, note: object) -> str:
    """A note in brackets after a text: "甲（乙）" / "A (B)"."""
    return f"{text}{open_bracket()}{note}{close_bracket()}"
