"""Reads for the provider's server inventory (R-M5)."""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from filings.models import Server
from icpfiling.accounts.models import Role, User
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.models import Provider

# R-M5: servers this close to expiry are flagged to the admin and their owner is reminded.
EXPIRY_WARNING_DAYS = 30


def expiry_warning_date(today: date | None = None) -> date:
    return (today or timezone.localdate()) + timedelta(days=EXPIRY_WARNING_DAYS)


def server_list_for_admin(*, tenant: Provider, query: str = "", expiring: bool = False) -> QuerySet[Server]:
    qs = Server.objects.filter(tenant=tenant).select_related("owner")
    if query:
        qs = qs.filter(
            Q(instance_id__icontains=query)
            | Q(label__icontains=query)
            | Q(ip_address__startswith=query)
            | Q(region__icontains=query)
            | Q(owner__email__icontains=query)
        )
    if expiring:
        qs = qs.filter(paid_until__lte=expiry_warning_date())
    return qs.order_by("paid_until", "pk")


def server_expiring_count(*, tenant: Provider) -> int:
    return Server.objects.filter(tenant=tenant, paid_until__lte=expiry_warning_date()).count()


def access_server_by_id(*, actor: User, tenant: Provider, server_id: int) -> Server:
    """A server of the actor's provider, or 404 (missing and foreign look alike)."""
    return get_or_404(Server.objects.filter(tenant=tenant).select_related("owner"), actor=actor, pk=server_id)


def applicant_find_by_email(*, tenant: Provider, email: str) -> User | None:
    """An applicant account of this provider with this login email."""
    return User.objects.filter(
        provider=tenant, email__iexact=email.strip(), membership__role=Role.APPLICANT
    ).first()


def applicant_ids_by_email(*, tenant: Provider, emails: set[str]) -> dict[str, int]:
    """Lower-cased email -> user id for this provider's applicants, in one query (CSV import)."""
    rows = User.objects.filter(provider=tenant, membership__role=Role.APPLICANT).values_list("email", "pk")
    if len(emails) < 500:
        rows = rows.filter(email__in=list(emails))
    return {email.lower(): pk for email, pk in rows if email.lower() in emails}


def server_keys(*, tenant: Provider) -> tuple[dict[str, Server], dict[str, str]]:
    """Every server by instance id, and every primary IP -> the instance id holding it (CSV import)."""
    by_instance: dict[str, Server] = {}
    ip_owner: dict[str, str] = {}
    for s in Server.objects.filter(tenant=tenant).only(
        "pk",
        "tenant_id",
        "instance_id",
        "label",
        "ip_address",
        "additional_ips",
        "region",
        "owner_id",
        "paid_until",
        "capacity",
    ):
        if s.instance_id:
            by_instance[s.instance_id] = s
        ip_owner[s.ip_address] = s.instance_id
    return by_instance, ip_owner
