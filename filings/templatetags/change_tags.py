"""Template helpers for change and cancel orders: the before → after diff (R-C1…R-C3), the type's rules."""

from __future__ import annotations

from dataclasses import replace

from django import template

from filings.changes.selectors import order_change_of, order_diff
from filings.ordertypes import TYPE_SPECS, first_step
from icpfiling.core.text import clause_join, labelled, list_join
from icpfiling.registry.labels import CERTIFICATE_TYPE_NAMES

register = template.Library()


@register.simple_tag
def change_rows(order) -> list:
    """The order's diff against the registry baseline, or [] for the first filing types."""
    rows = order_diff(order)
    # The certificate type is kept as its code; reviewer and authority read its name (R-C1).
    names = CERTIFICATE_TYPE_NAMES
    return [
        replace(r, before=names.get(r.before, r.before), after=names.get(r.after, r.after))
        if r.key == "entity.certificate_type"
        else r
        for r in rows
    ]


@register.simple_tag
def change_of(order):
    return order_change_of(order)


@register.filter
def type_withdrawable(order_type: str) -> bool:
    """R-S7: a submitted 注销 cannot be withdrawn."""
    spec = TYPE_SPECS.get(order_type)
    return spec.withdrawable if spec else True


@register.filter
def type_cancels(order_type: str) -> bool:
    """The type ends a filing or an access record (``ordertypes``), whatever the service's kind."""
    spec = TYPE_SPECS.get(order_type)
    return bool(spec and spec.cancels)


@register.filter
def plain_value(value) -> str:
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, list):
        return list_join(plain_value(v) if isinstance(v, dict) else str(v) for v in value)
    if isinstance(value, dict):
        return clause_join(labelled(k, v) for k, v in value.items())
    if value is True:
        return "✓"
    if value is False:
        return "✗"
    return str(value)


@register.filter
def first_step_name(order_type: str) -> str:
    """The URL name of the first step the applicant fills for this type."""
    return first_step(order_type)
