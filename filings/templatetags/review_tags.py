"""Template helpers of the review feature: masking, return reasons next to fields, the reviewer's summary."""

from __future__ import annotations

from django import template

from filings.models import FilingOrder
from filings.returns import LabelledReturn, labelled_current_returns
from icpfiling.core.masking import mask_value

register = template.Library()


@register.filter
def mask(value) -> str:
    return mask_value(value)


@register.inclusion_tag("filings/review/_sensitive.html", takes_context=True)
def sensitive(context, key: str, value):
    """A masked value with a button that reveals it (POST, audited); shown in full once revealed."""
    revealed = context.get("revealed") or {}
    return {
        "key": key,
        "value": value,
        "masked": mask_value(value),
        "revealed": key in revealed,
        "order": context.get("order"),
        "can_reveal": context.get("can_reveal", False),
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def returns_for(field_returns, name: str) -> list:
    """The return reasons attached to one form field (``field_returns``: {field name: [FieldReturn]})."""
    if not field_returns:
        return []
    return field_returns.get(name, [])


@register.filter
def any_returns(field_returns, fields) -> bool:
    """Whether any field of a group has a return reason (so a collapsed group opens)."""
    if not field_returns:
        return False
    return any(field_returns.get(getattr(f, "name", f)) for f in fields)


@register.simple_tag
def current_returns(order) -> list[LabelledReturn]:
    """``{% current_returns order as returns %}``: the current round's reasons, when the order is returned."""
    if not isinstance(order, FilingOrder):
        return []
    return labelled_current_returns(order)


@register.simple_tag
def returns_under(order, prefix: str) -> list[LabelledReturn]:
    """The current reasons whose field key starts with ``prefix`` (e.g. "materials.licence")."""
    if not isinstance(order, FilingOrder):
        return []
    return [r for r in labelled_current_returns(order) if r.field == prefix or r.field.startswith(prefix)]


@register.simple_tag(takes_context=True)
def reviewer_summary(context) -> dict:
    """``{% reviewer_summary as s %}``: capped counts for the reviewer's home (mine, due soon, overdue)."""
    request = context.get("request")
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return {}
    from filings.review.selectors import reviewer_summary as summary

    return summary(tenant_id=tenant.pk, user_id=user.pk)
