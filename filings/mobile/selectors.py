"""Reads of an order's apps."""

from __future__ import annotations

from django.db.models import QuerySet

from filings.models import FilingOrder, OrderApp
from icpfiling.tenancy.access import get_or_404


def access_order_app_by_id(*, order: FilingOrder, app_id: int, actor) -> OrderApp:
    """One app of this order, or 404 (another order's or tenant's id alike)."""
    return get_or_404(
        OrderApp.objects.filter(order=order, tenant_id=order.tenant_id).prefetch_related("platforms"),
        actor=actor,
        pk=app_id,
    )


def order_app_list(*, order: FilingOrder) -> QuerySet[OrderApp]:
    """The order's apps with their platforms and filed records, in position order."""
    return (
        OrderApp.objects.filter(order=order, tenant_id=order.tenant_id)
        .select_related("registry_app")
        .prefetch_related("platforms")
        .order_by("position")
    )
