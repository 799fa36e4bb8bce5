"""Tenant-walk recipes for the verification pages (R-S4) and the point staff's desk (R-T4).

Merged into ``tests/platform/test_url_walk.py``. Beta gets a point, a slot and a booking
for its order (created once per world, the first time any hook asks), so the
desk's URLs are probed with a real beta booking and one of its files.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from icpfiling.tenancy.context import tenant_scope
from verification_points.models import (
    AppointmentSlot,
    Booking,
    PointStaff,
    VerificationCheck,
    VerificationPoint,
)

_MISSING = 987654


def _beta_booking(w) -> Booking:
    """Beta's point (staffed by beta's point_staff), a slot and a live booking for beta's order."""
    cached = getattr(w, "_verify_beta_booking", None)
    if cached is not None:
        return cached
    start = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    with tenant_scope(w.beta.provider):
        point = VerificationPoint.objects.create(
            tenant=w.beta.provider, name="SECRET-BETA 核验点", address="SECRET-BETA 地址"
        )
        PointStaff.objects.create(tenant=w.beta.provider, point=point, user=w.beta.users["point_staff"])
        slot = AppointmentSlot.objects.create(
            tenant=w.beta.provider,
            point=point,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            capacity=2,
            booked=1,
        )
        booking = Booking.objects.create(
            tenant=w.beta.provider,
            order=w.beta_order,
            mode="in_person",
            point=point,
            slot=slot,
            created_by=w.beta.users["applicant"],
        )
    w._verify_beta_booking = booking
    return booking


def _order_kwargs(w) -> tuple[dict, dict]:
    return {"order_id": w.beta_order.pk}, {"order_id": _MISSING}


FOREIGN = {
    "verify:booking": _order_kwargs,
    "verify:book": _order_kwargs,
    "verify:cancel": _order_kwargs,
    "verify:photo_upload": _order_kwargs,
    "verify:remote_check": _order_kwargs,
    "desk:check": lambda w: ({"booking_id": _beta_booking(w).pk}, {"booking_id": _MISSING}),
    "desk:material_file": lambda w: (
        {"booking_id": _beta_booking(w).pk, "file_id": w.beta_file_id},
        {"booking_id": _MISSING, "file_id": _MISSING},
    ),
}

NO_OBJECT = {"desk:bookings"}


def snapshot(w) -> tuple:
    """Beta's order's bookings and checks and its point's places: what a leaking view could change.

    Only this recipe's rows: other recipes create beta points and slots lazily,
    possibly after the walk's first snapshot, and those must not count as a change.
    """
    booking = _beta_booking(w)
    with tenant_scope(w.beta.provider):
        return (
            list(
                Booking.objects.filter(order=w.beta_order)
                .order_by("pk")
                .values_list("pk", "status", "slot_id", "mode")
            ),
            list(
                AppointmentSlot.objects.filter(point_id=booking.point_id)
                .order_by("pk")
                .values_list("pk", "booked")
            ),
            list(
                VerificationCheck.objects.filter(order=w.beta_order)
                .order_by("pk")
                .values_list("pk", "result", "found_wrong_at")
            ),
        )
