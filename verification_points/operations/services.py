"""Provider admins' writes on operating verification points (R-K4).

Every service runs inside the request's tenant scope and in one transaction.
Status changes are conditional updates on the expected current status, so two
admins acting at once cannot both succeed (the loser gets a clear error).
"""

from __future__ import annotations

import logging
from decimal import Decimal, InvalidOperation
from itertools import pairwise
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from icpfiling.accounts.models import User
from icpfiling.notifications.services import outbox_enqueue
from verification_points.models import AppointmentSlot, PointStatus, VerificationPoint
from verification_points.operations.selectors import point_future_bookings
from verification_points.operations.slots import (
    ROLL_FORWARD_DAYS,
    parse_hhmm,
    slots_generate,
    slots_regenerate_future,
)

log = logging.getLogger("icpfiling.points")

SLOT_MINUTES_RANGE = (10, 240)
SLOT_CAPACITY_RANGE = (1, 50)
PRICE_MAX = Decimal("999999.99")
WEEKDAY_NAMES = (
    gettext_lazy("周一"),
    gettext_lazy("周二"),
    gettext_lazy("周三"),
    gettext_lazy("周四"),
    gettext_lazy("周五"),
    gettext_lazy("周六"),
    gettext_lazy("周日"),
)


def weekday_label(weekday: int) -> str:
    return str(WEEKDAY_NAMES[weekday])


def opening_hours_clean(value: Any) -> dict[str, list[list[str]]]:
    """Validate and normalise opening hours; errors name the weekday at fault.

    Accepts {"0".."6": [[open, close], ...]}. Each range is "HH:MM"–"HH:MM"
    with open < close; the ranges of one day must not overlap. Days without
    ranges are dropped (closed).
    """
    if not isinstance(value, dict):
        raise ValidationError({"opening_hours": _("营业时间格式不正确。")})
    errors: list[str] = []
    clean: dict[str, list[list[str]]] = {}
    for key, ranges in value.items():
        if key not in {str(d) for d in range(7)}:
            errors.append(_("营业时间中的星期“%(key)s”不存在。") % {"key": key})
            continue
        day = weekday_label(int(key))
        if not isinstance(ranges, list):
            errors.append(_("%(day)s的营业时间格式不正确。") % {"day": day})
            continue
        parsed = []
        for rng in ranges:
            try:
                open_, close = rng
                start, end = parse_hhmm(open_), parse_hhmm(close)
            except (TypeError, ValueError):
                errors.append(
                    _("%(day)s的时段“%(range)s”不是 HH:MM-HH:MM 格式。") % {"day": day, "range": rng}
                )
                continue
            if start >= end:
                errors.append(
                    _("%(day)s的时段 %(open)s-%(close)s：开始时间必须早于结束时间。")
                    % {"day": day, "open": open_, "close": close}
                )
                continue
            parsed.append((start, end, open_, close))
        parsed.sort()
        for (_s1, e1, o1, c1), (s2, _e2, o2, c2) in pairwise(parsed):
            if s2 < e1:
                errors.append(
                    _("%(day)s的时段 %(a)s 与 %(b)s 重叠。")
                    % {"day": day, "a": f"{o1}-{c1}", "b": f"{o2}-{c2}"}
                )
        if parsed:
            clean[key] = [[o, c] for _s, _e, o, c in parsed]
    if errors:
        raise ValidationError({"opening_hours": errors})
    return dict(sorted(clean.items()))


def _int_in_range(errors: dict, field: str, value: Any, bounds: tuple[int, int], label: str) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        errors[field] = [_("%(label)s必须是整数。") % {"label": label}]
        return None
    if not bounds[0] <= number <= bounds[1]:
        errors[field] = [
            _("%(label)s必须在 %(min)s 到 %(max)s 之间。")
            % {"label": label, "min": bounds[0], "max": bounds[1]}
        ]
        return None
    return number


def _price(errors: dict, field: str, value: Any, label: str) -> Decimal | None:
    try:
        price = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors[field] = [_("%(label)s必须是金额。") % {"label": label}]
        return None
    if not price.is_finite() or price < 0 or price > PRICE_MAX or price != price.quantize(Decimal("0.01")):
        errors[field] = [_("%(label)s必须在 0 到 999999.99 之间，最多两位小数。") % {"label": label}]
        return None
    return price.quantize(Decimal("0.01"))


def _text(errors: dict, field: str, value: Any, *, max_length: int, required: bool, label: str) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors[field] = [_("请填写%(label)s。") % {"label": label}]
    elif len(text) > max_length:
        errors[field] = [_("%(label)s最多 %(n)s 个字。") % {"label": label, "n": max_length}]
    return text


@transaction.atomic
def point_update(
    *,
    point: VerificationPoint,
    actor: User,
    name: str,
    address: str,
    phone: str,
    opening_hours: dict,
    slot_minutes: int,
    slot_capacity: int,
    price_low: Decimal,
    price_mid: Decimal,
    price_high: Decimal,
) -> dict[str, int]:
    """Edit a point's details, schedule and tier prices (R-K4).

    Raises ValidationError keyed by field and saves nothing when any value is
    bad. A terminated point is final and cannot be edited. When the schedule
    changed, the future empty slots are regenerated (booked ones stay); the
    returned dict says what happened to the slots. New prices apply to
    statements not yet produced; produced ones keep the price they were made with.
    """
    errors: dict[str, list[str]] = {}
    values = {
        "name": _text(errors, "name", name, max_length=100, required=True, label=_("核验点名称")),
        "address": _text(errors, "address", address, max_length=300, required=True, label=_("地址")),
        "phone": _text(errors, "phone", phone, max_length=30, required=False, label=_("联系电话")),
        "slot_minutes": _int_in_range(
            errors, "slot_minutes", slot_minutes, SLOT_MINUTES_RANGE, _("每个时段分钟数")
        ),
        "slot_capacity": _int_in_range(
            errors, "slot_capacity", slot_capacity, SLOT_CAPACITY_RANGE, _("每个时段可预约人数")
        ),
        "price_low": _price(errors, "price_low", price_low, _("单价（<50 次）")),
        "price_mid": _price(errors, "price_mid", price_mid, _("单价（50–100 次）")),
        "price_high": _price(errors, "price_high", price_high, _("单价（>100 次）")),
    }
    try:
        values["opening_hours"] = opening_hours_clean(opening_hours)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if point.status == PointStatus.TERMINATED:
        errors.setdefault("__all__", []).append(_("核验点已终止，不能再修改。"))
    if errors:
        raise ValidationError(errors)
    schedule_changed = (
        values["opening_hours"] != point.opening_hours
        or values["slot_minutes"] != point.slot_minutes
        or values["slot_capacity"] != point.slot_capacity
    )
    for field, value in values.items():
        setattr(point, field, value)
    point.save(update_fields=list(values))
    log.info("point %s updated by user %s (schedule changed: %s)", point.pk, actor.pk, schedule_changed)
    if schedule_changed:
        return slots_regenerate_future(point=point)
    return {}


def _set_status(*, point: VerificationPoint, expected: set[str], status: str, reason: str) -> None:
    updated = VerificationPoint.objects.filter(pk=point.pk, status__in=expected).update(
        status=status, status_reason=reason
    )
    if updated != 1:
        point.refresh_from_db(fields=["status", "status_reason"])
        raise ValidationError(
            _("核验点当前状态为“%(status)s”，不能执行此操作。") % {"status": point.get_status_display()}
        )
    point.status, point.status_reason = status, reason


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写原因。")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("原因最多 300 个字。")]})
    return reason


def _notify_staff(point: VerificationPoint, subject: str, body: str, key: str) -> None:
    for user_id in point.staff.values_list("user_id", flat=True):
        outbox_enqueue(
            channel="inbox",
            recipient=str(user_id),
            subject=subject,
            body=body,
            dedupe_key=f"point:{point.pk}:{key}:{user_id}",
        )


@transaction.atomic
def point_suspend(*, point: VerificationPoint, actor: User, reason: str) -> None:
    """Operating -> suspended: the point takes no new bookings; existing ones stay and may be moved."""
    reason = _reason(reason)
    _set_status(point=point, expected={PointStatus.OPERATING}, status=PointStatus.SUSPENDED, reason=reason)
    log.info("point %s suspended by user %s", point.pk, actor.pk)
    stamp = timezone.now().isoformat()
    _notify_staff(
        point,
        _("核验点已暂停"),
        _("核验点“%(name)s”已被接入商暂停，暂停期间不接受新的预约。原因：%(reason)s")
        % {"name": point.name, "reason": reason},
        f"suspend:{stamp}",
    )


@transaction.atomic
def point_resume(*, point: VerificationPoint, actor: User) -> int:
    """Suspended -> operating; the booking window is refilled at once. Returns slots created."""
    _set_status(point=point, expected={PointStatus.SUSPENDED}, status=PointStatus.OPERATING, reason="")
    log.info("point %s resumed by user %s", point.pk, actor.pk)
    _notify_staff(
        point,
        _("核验点已恢复运营"),
        _("核验点“%(name)s”已恢复运营，可以接受新的预约。") % {"name": point.name},
        f"resume:{timezone.now().isoformat()}",
    )
    return slots_generate(point=point, start=timezone.localdate(), days=ROLL_FORWARD_DAYS)


@transaction.atomic
def point_terminate(*, point: VerificationPoint, actor: User, reason: str) -> int:
    """Operating or suspended -> terminated (final).

    Future empty slots that nobody ever booked are removed, the other empty
    ones are closed (capacity 0), so nothing new can be booked. Booked slots
    and their bookings stay, listed on the point's page, so the provider can
    move the applicants to another point. Returns how many future bookings remain.
    """
    reason = _reason(reason)
    _set_status(
        point=point,
        expected={PointStatus.OPERATING, PointStatus.SUSPENDED},
        status=PointStatus.TERMINATED,
        reason=reason,
    )
    now = timezone.now()
    future = AppointmentSlot.objects.filter(point=point, starts_at__gte=now, booked=0)
    future.filter(bookings__isnull=True).delete()
    future.update(capacity=0)
    log.info("point %s terminated by user %s", point.pk, actor.pk)
    _notify_staff(
        point,
        _("核验点已终止"),
        _("核验点“%(name)s”已终止合作。原因：%(reason)s") % {"name": point.name, "reason": reason},
        "terminate",
    )
    return point_future_bookings(point=point).count()
