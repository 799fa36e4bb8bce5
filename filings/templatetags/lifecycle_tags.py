"""Template helpers for the applicant's view of an approved order (R-P1)."""

from __future__ import annotations

from django import template

from filings.models import FilingOrder, OrderStatus
from filings.notifications import approval_numbers, footer_numbers, footer_snippet

register = template.Library()


@register.simple_tag
def approval_info(order: FilingOrder) -> dict | None:
    """The numbers and the footer snippets once approved; None before."""
    if order.status != OrderStatus.APPROVED:
        return None
    numbers = approval_numbers(order)
    return {
        "entity_number": numbers["entity_number"],
        "websites": [
            {"domain": domain, "number": number, "snippet": footer_snippet(shown)}
            for (domain, number), (_d, shown) in zip(
                numbers["websites"], footer_numbers(order, numbers), strict=True
            )
        ],
    }
