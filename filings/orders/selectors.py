"""Reads for the applicant's journey."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from filings.models import OPEN_STATUSES, FilingOrder, OrderWebsite, Server
from icpfiling.registry.models import FiledWebsite, RegistryStatus
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.context import tenant_scopes_disabled
from icpfiling.tenancy.models import Provider


def order_list_for_applicant(*, tenant: Provider, applicant) -> QuerySet[FilingOrder]:
    return (
        FilingOrder.objects.filter(tenant=tenant, applicant=applicant)
        .select_related("province")
        # The list shows none of these; each would cost a decryption per row (R-X1).
        .defer("principal_id_number", "principal_mobile", "emergency_mobile")
        .annotate(website_count=Count("websites"))
        .order_by("-created_at")
    )


def access_order_website_by_id(*, order: FilingOrder, website_id: int, actor) -> OrderWebsite:
    return get_or_404(
        OrderWebsite.objects.filter(order=order, tenant_id=order.tenant_id), actor=actor, pk=website_id
    )


# R-W4 (seed 003): a website's server needs at least this many days of paid validity left.
SERVER_MIN_DAYS = 90


def server_list_for_applicant(
    *, tenant: Provider, applicant, keep_id: int | None = None, today: date | None = None
) -> QuerySet[Server]:
    """The applicant's own servers with >= 90 days left (R-M5, R-W4).

    ``keep_id`` keeps the server a website already names selectable even when it has since
    run short, so the form still shows it and the preview names the problem (renew it).
    """
    cutoff = (today or timezone.localdate()) + timedelta(days=SERVER_MIN_DAYS)
    usable = Q(paid_until__gte=cutoff)
    if keep_id:
        usable |= Q(pk=keep_id)
    return Server.objects.filter(usable, tenant=tenant, owner=applicant).order_by("label", "pk")


def server_shortfall_for_applicant(*, tenant: Provider, applicant) -> dict[str, int]:
    """Why the list above is empty: how many of the applicant's servers exist and run short."""
    cutoff = timezone.localdate() + timedelta(days=SERVER_MIN_DAYS)
    return Server.objects.filter(tenant=tenant, owner=applicant).aggregate(
        total=Count("pk"), short=Count("pk", filter=Q(paid_until__lt=cutoff))
    )


def orders_in_flight_anywhere(*, entity_key: str, domains: list[str]) -> list[tuple[int, str]]:
    """(provider id, what) for open orders of this entity or domain at ANY provider.

    R-O4 blocks a second order in flight for the same entity or domain across
    the whole country, so this read deliberately crosses tenants; it returns
    only ids and a kind, never another tenant's data.
    """
    with tenant_scopes_disabled():  # cross-provider conflict check, ids only (R-O4)
        by_entity = list(
            FilingOrder.objects.filter(entity_key=entity_key, status__in=OPEN_STATUSES).values_list(
                "tenant_id", flat=True
            )
        )
        by_domain = (
            list(
                OrderWebsite.objects.filter(domain__in=domains, order__status__in=OPEN_STATUSES).values_list(
                    "tenant_id", flat=True
                )
            )
            if domains
            else []
        )
    return [(t, "entity") for t in by_entity] + [(t, "domain") for t in by_domain]


def applicant_open_order_holding(
    *, tenant_id: int, applicant_id: int, entity_key: str, domains: list[str]
) -> FilingOrder | None:
    """The applicant's own open order at this provider holding the entity or a domain, if any.

    Tells "continue your order" apart from "someone else here holds it" (issue 12)
    without ever reading another applicant's order beyond its existence.
    """
    own = FilingOrder.objects.filter(tenant_id=tenant_id, applicant_id=applicant_id, status__in=OPEN_STATUSES)
    held = own.filter(entity_key=entity_key).first()
    if held is None and domains:
        held = own.filter(websites__domain__in=domains).distinct().first()
    return held


def applicant_filed_order_for_entity(*, order: FilingOrder, applicant, entity) -> FilingOrder | None:
    """The applicant's latest approved order for ``entity`` at the order's provider (prefill source)."""
    return (
        FilingOrder.objects.filter(
            tenant_id=order.tenant_id, applicant=applicant, registry_entity=entity, status="approved"
        )
        .exclude(pk=order.pk)
        .order_by("-status_changed_at")
        .first()
    )


def registry_basis_for_order(*, order: FilingOrder) -> dict | None:
    """What the registry holds for a 新增网站 / 新增接入 order's entity: the basis of its prefill."""
    entity = order.registry_entity
    if entity is None:
        return None
    own = applicant_filed_order_for_entity(order=order, applicant=order.applicant, entity=entity)
    return {
        "entity": entity,
        "websites": list(entity.websites.filter(status=RegistryStatus.ACTIVE).order_by("seq")),
        "own_order": own,
    }


def filed_websites_for_applicant(*, tenant: Provider, applicant) -> QuerySet[FiledWebsite]:
    """R-P2: the filed websites of the entities this applicant filed or connected here."""
    entity_ids = FilingOrder.objects.filter(
        tenant=tenant, applicant=applicant, registry_entity__isnull=False
    ).values_list("registry_entity_id", flat=True)
    return (
        FiledWebsite.objects.filter(entity_id__in=list(entity_ids), status=RegistryStatus.ACTIVE)
        .select_related("entity", "entity__province")
        .prefetch_related("access_records__provider")
        .order_by("entity_id", "seq")
    )
