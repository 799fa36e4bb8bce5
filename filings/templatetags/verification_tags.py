"""Template data for the verification partials (applicant order page, reviewer page, staff home)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.models import FilingOrder, MaterialFile, OrderStatus
from filings.verification import services as vf
from icpfiling.core.text import clause_join, list_join
from verification_points.models import Booking, VerificationCheck, VerificationMode
from verification_points.operations.services import WEEKDAY_NAMES

register = template.Library()


@dataclass
class VerificationState:
    order: FilingOrder
    booking: Booking | None
    last_check: VerificationCheck | None
    originals: list = field(default_factory=list)
    photos: list[MaterialFile] = field(default_factory=list)

    @property
    def in_verification(self) -> bool:
        return self.order.status == OrderStatus.VERIFICATION

    @property
    def remote(self) -> bool:
        return self.booking is not None and self.booking.mode == VerificationMode.REMOTE


@register.simple_tag
def verification_state(order: FilingOrder) -> VerificationState:
    """The order's live booking, last check and (remote) photos: ``{% verification_state order as vs %}``."""
    booking = vf.live_booking(order=order)
    state = VerificationState(order=order, booking=booking, last_check=vf.order_checks(order=order).first())
    if state.in_verification:
        state.originals = vf.originals_for(order)
        if state.remote:
            state.photos = vf.remote_photos(order=order)
    return state


@register.simple_tag
def remote_check_form(order: FilingOrder):
    """The reviewer's remote-check form for ``order`` (unbound)."""
    from filings.verification.views import RemoteCheckForm

    return RemoteCheckForm(order=order, auto_id="rc_%s")  # ids unique beside the review forms


@register.simple_tag
def originals_labels(order: FilingOrder, codes: list) -> list[str]:
    return vf.originals_labels(order, list(codes or []))


@register.simple_tag
def desk_summary(user) -> dict:
    """For the point staff's home: their point and how many bookings are left today."""
    staff = vf.staff_point(staff_user=user)
    if staff is None:
        return {"point": None, "today": 0}
    today = timezone.localdate()
    rows = vf.desk_bookings(staff_user=user, day=today)
    return {"point": staff.point, "today": sum(1 for b in rows if b.status == "booked")}


_WEEKDAYS = WEEKDAY_NAMES  # one list of weekday names, with the point settings


@register.filter
def opening_hours(value) -> str:
    """``{"0": [["09:00","12:00"]], ...}`` -> ``周一至周五 09:00–12:00``; consecutive equal days grouped."""
    if not isinstance(value, dict):
        return ""
    days = [list_join(f"{a}–{b}" for a, b in (value.get(str(d)) or []) if a and b) for d in range(7)]
    parts: list[str] = []
    d = 0
    while d < 7:
        end = d
        while end + 1 < 7 and days[end + 1] == days[d]:
            end += 1
        if days[d]:
            name = (
                str(_WEEKDAYS[d])
                if end == d
                else _("%(a)s至%(b)s") % {"a": _WEEKDAYS[d], "b": _WEEKDAYS[end]}
            )
            parts.append(f"{name} {days[d]}")
        d = end + 1
    return clause_join(parts) or _("暂无营业时间")
