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


@register.simple_tag
def order_steps_ok(order: FilingOrder, submission_errors: dict | None = None) -> dict:
    """Which wizard steps are complete, so the bar shows ✓ only where nothing is left to fix (issue 12).

    ``submission_errors``: what the preview already found (``order_submission_errors``), so that
    page does not validate the whole order a second time (half its queries, issue 17's load test).
    """
    from django.utils import timezone

    from filings.materials.requirements import missing_materials
    from filings.orders.validation import order_errors

    if isinstance(submission_errors, dict):  # an unset template variable arrives as ""
        errors, materials_ok = submission_errors, "materials" not in submission_errors
    else:
        errors = order_errors(order, today=timezone.localdate())
        materials_ok = not missing_materials(order)
    return {
        "entity": not any(k.startswith("entity.") for k in errors),
        "websites": not any(k.startswith("websites[") for k in errors) and "order" not in errors,
        "materials": materials_ok,
    }
