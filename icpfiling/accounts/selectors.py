"""Account reads."""

from __future__ import annotations

from django.db.models import QuerySet

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.models import Provider


def membership_list_pending_for_admin(*, tenant: Provider) -> QuerySet[Membership]:
    """Applicants who confirmed their email and wait for this provider's approval."""
    return (
        Membership.objects.filter(
            tenant=tenant,
            role=Role.APPLICANT,
            approved_at__isnull=True,
            user__email_confirmed_at__isnull=False,
        )
        .select_related("user")
        .order_by("created_at")
    )


def membership_list_staff(*, tenant: Provider) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(tenant=tenant)
        .exclude(role=Role.APPLICANT)
        .select_related("user")
        .order_by("role", "user__email")
    )


def access_membership_by_id(*, actor: User, tenant: Provider, membership_id: int) -> Membership:
    """A membership of the actor's own provider, or 404 (missing and foreign look alike)."""
    return get_or_404(
        Membership.objects.filter(tenant=tenant).select_related("user", "tenant"),
        actor=actor,
        pk=membership_id,
    )


def access_user_by_id(*, actor: User, tenant: Provider, user_id: int) -> User:
    return get_or_404(User.objects.filter(provider=tenant), actor=actor, pk=user_id)
