"""Who may open an applicant's order: the decorator and the one lookup every applicant page uses.

The order pages, the materials pages, the booking pages and the SMS pages all
open the applicant's own order the same way; the lookup lives in the spine so
that none of those sub-packages imports another for it.
"""

from __future__ import annotations

from django.db.models import Prefetch

from filings.models import FilingOrder, OrderApp, OrderEvent, OrderWebsite
from icpfiling.accounts.decorators import provider_role_required
from icpfiling.accounts.models import Role
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.models import Provider

applicant_required = provider_role_required(Role.APPLICANT)


def apps_prefetch() -> Prefetch:
    """An order's apps as every page shows them (the apps card, the material list): one query
    with their platforms, where the card, the requirements and the facts each asked again."""
    return Prefetch(
        "apps",
        queryset=OrderApp.objects.select_related("registry_app")
        .prefetch_related("platforms")
        .order_by("position"),
    )


def access_order_by_id(*, actor, tenant: Provider, order_id: int, with_history: bool = False) -> FilingOrder:
    """The applicant's own order at this provider, or 404 (missing and foreign alike).

    ``with_history`` also reads the order's events with their actors, for the one page that
    shows the history; every other page and action skips that query (an order gathers dozens
    of events over its rounds).
    """
    prefetch = [
        Prefetch("websites", queryset=OrderWebsite.objects.select_related("server").order_by("position"))
    ]
    if with_history:
        prefetch.append(
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("at", "pk"))
        )
    qs = (
        FilingOrder.objects.filter(tenant=tenant, applicant=actor)
        .select_related("province", "nature", "certificate_type", "registry_entity", "applicant")
        .prefetch_related(*prefetch)
    )
    return get_or_404(qs, actor=actor, pk=order_id)
