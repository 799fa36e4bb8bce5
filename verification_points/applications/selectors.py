"""Reads of the application programme. Every query runs inside the request's tenant scope."""

from __future__ import annotations

from django.db.models import Case, Count, F, QuerySet, When

from icpfiling.tenancy.access import get_or_404
from verification_points.applications.tokens import token_hash
from verification_points.models.applications import (
    ApplicationScan,
    ApplicationStatus,
    Blacklist,
    PointAgreement,
    PointApplication,
)

A = ApplicationStatus


def application_list_for_admin(*, tenant, status: str = "") -> QuerySet[PointApplication]:
    """The provider admin's list in one evident order: the current step's deadline, soonest
    (and overdue) first; applications with no running deadline after them, newest first."""
    qs = PointApplication.objects.filter(tenant=tenant)
    if status:
        qs = qs.filter(status=status)
    due = Case(
        When(status=A.MATERIAL_REVIEW, then=F("review_due_at")),
        When(status=A.SUPPLEMENT, then=F("supplement_due_at")),
        When(status__in=[A.INSPECTION, A.REINSPECTION], then=F("inspection_due_at")),
        When(status=A.RECTIFYING, then=F("rectify_due_at")),
        default=None,
    )
    return qs.annotate(due=due).order_by(F("due").asc(nulls_last=True), F("submitted_at").desc(), "-pk")


def application_counts_for_admin(*, tenant) -> list[tuple[str, object, int]]:
    """(status, label, count) for every state, in workflow order."""
    counts = dict(
        PointApplication.objects.filter(tenant=tenant)
        .values_list("status")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return [(value, label, counts.get(value, 0)) for value, label in ApplicationStatus.choices]


def access_application_by_id(*, actor, tenant, application_id: int) -> PointApplication:
    """The application of this tenant, or the same 404 for missing and foreign ones (R-T2)."""
    return get_or_404(
        PointApplication.objects.filter(tenant=tenant).select_related("tenant", "point"),
        actor=actor,
        pk=application_id,
    )


def application_by_token(*, token: str) -> PointApplication | None:
    """The application a tracking link opens, within the current tenant scope, or None."""
    if not token or len(token) > 100:
        return None
    return (
        PointApplication.objects.filter(tracking_token_hash=token_hash(token))
        .select_related("tenant")
        .first()
    )


def access_scan(*, application: PointApplication, actor, scan_id: int) -> ApplicationScan:
    return get_or_404(ApplicationScan.objects.filter(application=application), actor=actor, pk=scan_id)


def agreement_for(application: PointApplication) -> PointAgreement | None:
    return PointAgreement.objects.filter(application=application).select_related("signed_scan").first()


def blacklist_list(*, tenant) -> QuerySet[Blacklist]:
    return Blacklist.objects.filter(tenant=tenant).order_by("-created_at", "-pk")
