"""Template helpers of the review feature: masking, return reasons next to fields, the reviewer's summary."""

from __future__ import annotations

from django import template

from filings.masking import mask_value
from filings.models import FieldReturn, FilingOrder

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


class LabelledReturn:
    def __init__(self, item: FieldReturn, label: str, url: str = "") -> None:
        self.item = item
        self.label = label
        self.url = url  # the applicant's step page where the field is edited
        self.field = item.field
        self.reason = item.reason
        self.suggestion = item.suggestion
        self.source = item.source

    def get_source_display(self) -> str:
        return self.item.get_source_display()


def labelled_current_returns(order: FilingOrder) -> list[LabelledReturn]:
    """The reasons the applicant must act on now, with field labels (cached on the order object)."""
    cached = getattr(order, "_labelled_current_returns", None)
    if cached is not None:
        return cached
    from filings.review_selectors import current_returns
    from filings.snapshots import field_label

    items = current_returns(order=order)
    sites = list(order.websites.all()) if items else []
    out = [
        LabelledReturn(r, field_label(order, r.field, sites=sites), _step_url(order, r.field, sites))
        for r in items
    ]
    order._labelled_current_returns = out
    return out


def _step_url(order: FilingOrder, key: str, sites: list) -> str:
    from django.urls import reverse

    from filings.snapshots import WEBSITE_KEY

    if key.startswith("entity."):
        return reverse("filings:order_entity", args=[order.pk])
    if key.startswith("materials."):
        return reverse("filings:materials", args=[order.pk])
    m = WEBSITE_KEY.match(key)
    if m and int(m.group(1)) < len(sites):
        return reverse("filings:order_website_edit", args=[order.pk, sites[int(m.group(1))].pk])
    return reverse("filings:order_websites", args=[order.pk])


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
    from filings.review_selectors import reviewer_summary as summary

    return summary(tenant_id=tenant.pk, user_id=user.pk)
