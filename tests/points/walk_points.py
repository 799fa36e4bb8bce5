"""Tenant-walk recipes for the provider admin's point and statement pages (R-K4, R-T2).

Beta gets one operating point with future slots and one
settled statement; alpha's roles must see them exactly as missing objects and
change nothing about them.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from icpfiling.tenancy.context import tenant_scope
from verification_points.models import (
    AppointmentSlot,
    MonthlyStatement,
    VerificationPoint,
)
from verification_points.operations.settlement import due_date, first_of_month, previous_month
from verification_points.operations.slots import slots_generate

_MISSING = 987654


def _beta_objects(w) -> tuple[VerificationPoint, MonthlyStatement]:
    """Made once per world (recipes and the snapshot all call this)."""
    cached = getattr(w, "_points_beta", None)
    if cached:
        return cached
    with tenant_scope(w.beta.provider):
        point = VerificationPoint.objects.create(
            tenant=w.beta.provider, name="SECRET-BETA 核验点", address="SECRET-BETA 地址"
        )
        slots_generate(point=point, start=timezone.localdate() + timedelta(days=1), days=7)
        month = previous_month(first_of_month(timezone.localdate()))
        statement = MonthlyStatement.objects.create(
            tenant=w.beta.provider,
            point=point,
            month=month,
            checks=0,
            tier="low",
            unit_price=point.price_low,
            amount=0,
            due_on=due_date(month),
        )
    w._points_beta = (point, statement)
    return w._points_beta


def _point(w):
    point, _statement = _beta_objects(w)
    return {"point_id": point.pk}, {"point_id": _MISSING}


def _statement(w):
    _point_obj, statement = _beta_objects(w)
    return {"statement_id": statement.pk}, {"statement_id": _MISSING}


FOREIGN = {
    "points:point_detail": _point,
    "points:statement_detail": _statement,
    "points:statement_csv": _statement,
    "points:statement_pdf": _statement,
    "points:statement_paid": _statement,
}

NO_OBJECT = {"points:point_list", "points:statement_list"}


def snapshot(w) -> object:
    """Beta's point, its slots and its statement: what the point pages could change.

    Only this recipe's own rows: other recipes create beta points lazily, after the
    walk's first snapshot, and those must not count as a change.
    """
    point, _statement = _beta_objects(w)
    with tenant_scope(w.beta.provider):
        return (
            list(
                VerificationPoint.objects.filter(pk=point.pk).values_list(
                    "pk", "name", "status", "status_reason", "opening_hours", "slot_capacity", "price_low"
                )
            ),
            list(
                AppointmentSlot.objects.filter(point=point)
                .order_by("pk")
                .values_list("pk", "starts_at", "capacity", "booked")
            ),
            list(
                MonthlyStatement.objects.filter(point=point)
                .order_by("pk")
                .values_list("pk", "status", "paid_at", "amount")
            ),
        )
