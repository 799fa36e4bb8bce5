"""Reads for a provider's own administration (R-M1, R-M2)."""

from __future__ import annotations

from django.db.models import QuerySet

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.providers.models import AdminChange
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.models import Provider
from verification_points.models import PointStaff, VerificationPoint

STAFF_ROLES = (Role.PROVIDER_ADMIN, Role.REVIEWER, Role.POINT_STAFF)


def staff_list(*, tenant: Provider) -> list[Membership]:
    """Staff memberships with their user and (for point staff) their point, in two queries."""
    members = list(
        Membership.objects.filter(tenant=tenant, role__in=STAFF_ROLES)
        .select_related("user")
        .order_by("role", "user__email")
    )
    points = {
        ps.user_id: ps.point
        for ps in PointStaff.objects.filter(
            tenant=tenant, user_id__in=[m.user_id for m in members]
        ).select_related("point")
    }
    for m in members:
        m.point = points.get(m.user_id)
    return members


def access_staff_membership_by_id(*, actor: User, tenant: Provider, membership_id: int) -> Membership:
    """A staff membership of the actor's provider, or 404 (missing, foreign and applicants alike)."""
    return get_or_404(
        Membership.objects.filter(tenant=tenant, role__in=STAFF_ROLES).select_related("user"),
        actor=actor,
        pk=membership_id,
    )


def point_choices(*, tenant: Provider) -> QuerySet[VerificationPoint]:
    return VerificationPoint.objects.filter(tenant=tenant).order_by("name")


def active_admin_count(*, tenant: Provider) -> int:
    return Membership.objects.filter(tenant=tenant, role=Role.PROVIDER_ADMIN, user__is_active=True).count()


def change_list(*, tenant: Provider, limit: int = 100) -> QuerySet[AdminChange]:
    return (
        AdminChange.objects.filter(tenant=tenant)
        .select_related("actor")
        .order_by("-changed_at", "-pk")[:limit]
    )
