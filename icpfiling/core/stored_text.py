"""Stored messages shown in the reader's language (R-L1, issue 12 item 7).

Order history lines, point-application history and inbox messages are stored as text,
rendered once by the code that wrote them: in Chinese (the source language) for most
rows, in English when the writer worked in English. ``reader_text`` shows such a text in
the active language by finding the catalogue entry it was rendered from: the text is
matched against every catalogue message with named placeholders (in Chinese and in its
English rendering), the placeholders' values are taken from the match, shown in the
reader's language themselves (a status label, a nested message), and the entry is
rendered again. Rows written before this existed need no migration: they were rendered
from the same catalogue.

What no catalogue entry produced (a reviewer's own words, a point's name) stays as
written: nobody can translate that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import get_language, gettext, trans_real

from icpfiling.core import text as sep

_CJK = re.compile(r"[\u4e00-\u9fff]")
_PLACEHOLDER = re.compile(r"%\((\w+)\)([sd])|%%")
_LETTERS = re.compile(r"[A-Za-z]")
# Catalogue entries this short would match almost any text ("%(a)s：%(b)s").
_MIN_LITERAL = 3
_MAX_DEPTH = 3
# A value holding these was more likely composed than a single placeholder's value ...
_STRUCTURE = re.compile(r"[：；（）]")
# ... unless the entry is specific enough to be sure of it.
_SURE_WEIGHT = 6
_BRACKETED = re.compile(r"(.+?)（([^（）]+)）")


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern
    msgid: str
    numeric: frozenset[str]
    weight: int  # literal characters: the most specific entry wins


def _compile(source: str, msgid: str) -> _Pattern | None:
    """A regex matching texts rendered from ``source`` (a msgid or its translation)."""
    parts, seen, numeric, literal = [], set(), set(), ""
    pos = 0
    for m in _PLACEHOLDER.finditer(source):
        chunk = source[pos : m.start()]
        parts.append(re.escape(chunk))
        literal += chunk
        pos = m.end()
        if m.group(0) == "%%":
            parts.append("%")
            literal += "%"
            continue
        name, kind = m.group(1), m.group(2)
        if name in seen:
            parts.append(f"(?P={name})")
        else:
            seen.add(name)
            parts.append(f"(?P<{name}>-?\\d+)" if kind == "d" else f"(?P<{name}>.+?)")
        if kind == "d":
            numeric.add(name)
    chunk = source[pos:]
    parts.append(re.escape(chunk))
    literal += chunk
    if not seen or len(literal.strip()) < _MIN_LITERAL:
        return None
    if not (_CJK.search(literal) or len(_LETTERS.findall(literal)) >= _MIN_LITERAL):
        return None
    return _Pattern(re.compile("".join(parts)), msgid, frozenset(numeric), len(literal))


@dataclass(frozen=True)
class _Index:
    exact: dict[str, str]  # rendered text without placeholders -> msgid
    first: dict[str, tuple[_Pattern, ...]]  # first literal character -> patterns
    anywhere: tuple[_Pattern, ...]  # patterns that start with a placeholder


@lru_cache(maxsize=1)
def _index() -> _Index:
    catalog = trans_real.translation("en")._catalog
    exact: dict[str, str] = {}
    patterns: list[_Pattern] = []
    for key, translated in catalog.items():
        # Plural entries (tuple keys) and entries with a context ("ctx\x04msgid") are not
        # how stored messages were written.
        if not isinstance(key, str) or "\x04" in key or not _CJK.search(key):
            continue
        for source in {key, translated} - {""}:
            if "%(" not in source:
                exact.setdefault(source, key)
                continue
            pattern = _compile(source, key)
            if pattern is not None:
                patterns.append(pattern)
    patterns.sort(key=lambda p: -p.weight)
    first: dict[str, list[_Pattern]] = {}
    anywhere = []
    for p in patterns:
        head = p.regex.pattern[:1]
        if head == "(":
            anywhere.append(p)
        else:
            first.setdefault(head, []).append(p)
    return _Index(exact, {k: tuple(v) for k, v in first.items()}, tuple(anywhere))


def _from_catalogue(text: str, depth: int) -> str | None:
    index = _index()
    msgid = index.exact.get(text)
    if msgid is not None:
        return gettext(msgid)
    candidates = sorted(
        (*index.first.get(re.escape(text[:1])[:1], ()), *index.anywhere), key=lambda p: -p.weight
    )
    for p in candidates:
        m = p.regex.fullmatch(text)
        if m is None:
            continue
        if p.weight < _SURE_WEIGHT and any(
            _STRUCTURE.search(v) and _from_catalogue(v, depth + 1) is None for v in m.groupdict().values()
        ):
            # A short entry swallowing a composed text ("网站 %(n)s：%(d)s" taking "1（a.cn）"):
            # the text was put together from several entries; the splits below read it.
            continue
        values: dict[str, object] = {}
        for name, value in m.groupdict().items():
            values[name] = int(value) if name in p.numeric else _reader_text(value, depth + 1)
        try:
            return gettext(p.msgid) % values
        except (KeyError, TypeError, ValueError):
            continue
    return None


def _reader_text(text: str, depth: int) -> str:
    if not text or depth > _MAX_DEPTH:
        return text
    # Texts the writer put together from several entries: lines first, then clauses.
    if "\n" in text:
        return "\n".join(_reader_text(line, depth) for line in text.split("\n"))
    found = _from_catalogue(text, depth)
    if found is not None:
        return found
    for chinese, rebuild in (("；", sep.clause_sep), ("：", sep.colon)):
        if chinese in text:
            head, tail = text.split(chinese, 1)
            labelled = _from_catalogue(head + chinese, depth)
            if labelled is not None:
                return labelled + _reader_text(tail, depth)
            if chinese == "；":
                return rebuild().join(_reader_text(part, depth) for part in text.split(chinese))
            return _reader_text(head, depth) + rebuild() + _reader_text(tail, depth)
    if "、" in text:
        return sep.list_join(_reader_text(part, depth) for part in text.split("、"))
    m = _BRACKETED.fullmatch(text)
    if m:
        return sep.bracketed(_reader_text(m.group(1), depth), _reader_text(m.group(2), depth))
    return text


def catalogue_index_build() -> None:
    """Build the catalogue index now (a web process does at start; see ``icpfiling.wsgi``)."""
    _index()


@lru_cache(maxsize=8192)
def _cached(language: str, text: str) -> str:
    return _reader_text(text, 0)


def reader_text(text: str) -> str:
    """``text`` (a stored message) in the active language, as far as the catalogue wrote it."""
    if not text:
        return text
    return _cached(get_language() or "", str(text))
