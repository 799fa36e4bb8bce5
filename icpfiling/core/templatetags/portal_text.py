"""Template forms of icpfiling/core/text.py: ``{{ items|list_join }}``, ``{% colon %}``."""

from __future__ import annotations

from django import template

from icpfiling.core import stored_text, text

register = template.Library()


@register.filter
def list_join(items) -> str:
    return text.list_join(items or [])


@register.filter
def clause_join(items) -> str:
    return text.clause_join(items or [])


@register.simple_tag
def colon() -> str:
    return text.colon()


@register.filter
def bracketed(value, note) -> str:
    return text.bracketed(value, note)


@register.simple_tag
def list_sep() -> str:
    return text.list_sep()


@register.simple_tag
def clause_sep() -> str:
    return text.clause_sep()


@register.simple_tag
def open_bracket() -> str:
    return text.open_bracket()


@register.simple_tag
def close_bracket() -> str:
    return text.close_bracket()


@register.filter
def reader_text(value) -> str:
    """A stored message (history line, inbox message) in the reader's language."""
    return stored_text.reader_text(value or "")
