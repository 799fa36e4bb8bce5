"""Identity verification of an order (R-S4) and the point staff's desk (R-T4).

After the reviewer's first pass the order waits in ``verification``. The
applicant either books a slot at one of the provider's operating points or
chooses remote verification (a curtain photo taken with a phone). The point's
staff, or for remote checks the reviewer, record the check; either way the
order moves on to the reviewer's recheck through ``order_transition``, which
is the only way an order changes state. The reviewer may send it back
(seed 002's third return target).

Places in a slot are taken by one conditional UPDATE
(``booked = booked + 1 WHERE booked < capacity``): the database decides who
gets the last place, never a read followed by a write.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.materials.requirements import CURTAIN_MIN_SIZE
from filings.materials.services import material_store
from filings.models import FilingOrder, MaterialFile, MaterialKind, OrderStatus
from filings.workflow import order_transition
from icpfiling.core.text import list_join
from icpfiling.registry.models.rules import RuleKey
from icpfiling.registry.province_rules import province_rules_for
from icpfiling.tenancy.access import get_or_404
from icpfiling.uploads.images import UploadPolicy
from verification_points.models import (
    AppointmentSlot,
    Booking,
    BookingStatus,
    CheckResult,
    PointStaff,
    PointStatus,
    VerificationCheck,
    VerificationMode,
    VerificationPoint,
)

# The applicant's remote curtain photos answer the material slot the upload page lists;
# photos taken by point staff get their own slot, so that they never appear on the
# applicant's material list (where an editable order could delete them) and stay the
# check's evidence.
REMOTE_PHOTO_SLOT = "curtain_photo"
POINT_PHOTO_SLOT = "curtain_photo:point"
# How many remote photos one verification round accepts (the pipeline's per-material cap).
REMOTE_PHOTOS_PER_ROUND = 3
# Materials the point staff may open to compare with the originals in front of them.
DESK_MATERIAL_KINDS = (
    MaterialKind.LICENCE,
    MaterialKind.PRINCIPAL_ID_FRONT,
    MaterialKind.PRINCIPAL_ID_BACK,
    MaterialKind.WEBSITE_PRINCIPAL_ID,
    MaterialKind.AUTHORISATION_LETTER,
    MaterialKind.RESIDENCE_PROOF,
    MaterialKind.VERIFICATION_SHEET,
)
REASON_MAX = 500  # VerificationCheck.reason


# --- the originals checklist --------------------------------------------------------------


@dataclass(frozen=True)
class Original:
    code: str
    label: str


def originals_for(order: FilingOrder) -> list[Original]:
    """The originals the applicant brings and the checker ticks, derived from the order.

    Codes are stable (``licence``, ``principal_id``, ``website_principal_id:<site>``,
    ``principal_letter``, ``website_letter:<site>``, ``residence_proof``,
    ``verification_sheet``) and stored in ``VerificationCheck.originals_seen``.
    """
    from filings.materials.requirements import requirements_for

    items: list[Original] = []
    for req in requirements_for(order):
        if req.kind == MaterialKind.LICENCE:
            items.append(Original("licence", _("单位证件原件（%(t)s）") % {"t": str(order.certificate_type)}))
        elif req.slot == "principal_id_front":
            items.append(
                Original(
                    "principal_id",
                    _("主体负责人身份证件原件（%(name)s）") % {"name": order.principal_name or "—"},
                )
            )
        elif req.kind == MaterialKind.WEBSITE_PRINCIPAL_ID and req.website is not None:
            items.append(
                Original(
                    f"website_principal_id:{req.website.pk}",
                    _("网站负责人身份证件原件（%(name)s，%(site)s）")
                    % {
                        "name": req.website.principal_name or "—",
                        "site": req.website.domain_display or req.website.domain or req.website.position,
                    },
                )
            )
        elif req.kind == MaterialKind.AUTHORISATION_LETTER:
            items.append(Original(req.slot, _("授权书原件：%(t)s") % {"t": req.title}))
        elif req.kind == MaterialKind.RESIDENCE_PROOF:
            items.append(Original("residence_proof", _("居住证明原件")))
    items.append(Original("verification_sheet", _("真实性核验单（负责人签字的原件）")))
    return items


def originals_labels(order: FilingOrder, codes: list[str]) -> list[str]:
    """Labels of ``codes`` for display; a code the order no longer has is shown as stored."""
    labels = {o.code: o.label for o in originals_for(order)}
    return [labels.get(code, code) for code in codes]


def _check_fields(
    *, order: FilingOrder, originals_seen: list[str], result: str, reason: str
) -> tuple[list[str], str, dict[str, list[str]]]:
    """Normalised (originals, reason) and the field errors of a check record."""
    errors: dict[str, list[str]] = {}
    originals = originals_for(order)  # once: each call reads the order's items and files
    known = [o.code for o in originals]
    seen = [c for c in known if c in set(originals_seen)]  # checklist order, no duplicates
    unknown = sorted(set(originals_seen) - set(known))
    if unknown:
        errors.setdefault("originals_seen", []).append(
            _("核对清单中没有这些项目：%(c)s。请刷新页面后重试。") % {"c": list_join(unknown)}
        )
    if result not in CheckResult.values:
        errors.setdefault("result", []).append(_("请选择核验结果：通过或不通过。"))
    reason = (reason or "").strip()
    if result == CheckResult.FAILED and not reason:
        errors.setdefault("reason", []).append(_("核验不通过时必须填写原因。"))
    if len(reason) > REASON_MAX:
        errors.setdefault("reason", []).append(
            _("原因最多 %(n)d 个字，当前 %(m)d 个字。") % {"n": REASON_MAX, "m": len(reason)}
        )
    if result == CheckResult.PASSED and not unknown:
        missing = [o.label for o in originals if o.code not in seen]
        if missing:
            errors.setdefault("originals_seen", []).append(
                _("核验通过前必须核对全部原件，尚未勾选：%(m)s。") % {"m": list_join(missing)}
            )
    return seen, reason, errors


# --- reads ----------------------------------------------------------------------------------


def live_booking(*, order: FilingOrder) -> Booking | None:
    return (
        Booking.objects.filter(order=order, tenant_id=order.tenant_id, status=BookingStatus.BOOKED)
        .select_related("point", "slot")
        .first()
    )


def order_checks(*, order: FilingOrder) -> QuerySet[VerificationCheck]:
    """The order's checks, newest first, with what the pages show."""
    return (
        VerificationCheck.objects.filter(order=order, tenant_id=order.tenant_id)
        .select_related("point", "checked_by", "curtain_photo", "booking__slot")
        .order_by("-recorded_at", "-pk")
    )


def remote_photos(*, order: FilingOrder) -> list[MaterialFile]:
    """The applicant's curtain photos of this verification round (newest first)."""
    return list(
        MaterialFile.objects.filter(
            order=order,
            tenant_id=order.tenant_id,
            kind=MaterialKind.CURTAIN_PHOTO,
            slot=REMOTE_PHOTO_SLOT,
            created_at__gte=order.status_changed_at,
        ).order_by("-created_at", "-pk")
    )


def booking_options(*, order: FilingOrder, days: int = 14) -> list[tuple[VerificationPoint, list]]:
    """(point, open slots not yet over, full ones included) for the order's provider's operating points.

    Points in the order's province come first; a point with no free slot is
    still listed (with an empty list) so the applicant sees where it is.
    """
    now = timezone.now()
    points = list(
        VerificationPoint.objects.filter(tenant_id=order.tenant_id, status=PointStatus.OPERATING).order_by(
            "name", "pk"
        )
    )
    points.sort(key=lambda p: p.province_id != order.province_id)  # stable: own province first
    by_point: dict[int, list[AppointmentSlot]] = {p.pk: [] for p in points}
    slots = AppointmentSlot.objects.filter(
        tenant_id=order.tenant_id,
        point_id__in=list(by_point),
        # A slot in progress is still offered: an applicant who walks in books it at the
        # counter (the check rule below only accepts checks on the booked slot's day).
        ends_at__gt=now,
        starts_at__lt=now + dt.timedelta(days=days),
        # Full slots are listed as full (issue 12): hiding them made a busy point look closed.
        # Closed slots (capacity 0) are not offered at all.
        capacity__gt=0,
    ).order_by("starts_at", "pk")
    for slot in slots:
        by_point[slot.point_id].append(slot)
    return [(p, by_point[p.pk]) for p in points]


def staff_point(*, staff_user) -> PointStaff | None:
    """The staff user's point within the current tenant scope, or None (sees nothing)."""
    if not getattr(staff_user, "pk", None):
        return None
    return PointStaff.objects.filter(user_id=staff_user.pk).select_related("point").first()


def desk_bookings(*, staff_user, day: dt.date | None = None) -> list[Booking]:
    """In-person bookings at the staff user's own point only (R-T4).

    Without ``day``: today's and the upcoming ones; with it: that local day.
    Cancelled bookings are not shown: the applicant went elsewhere.
    """
    staff = staff_point(staff_user=staff_user)
    if staff is None:
        return []
    qs = Booking.objects.filter(
        tenant_id=staff.tenant_id,
        point_id=staff.point_id,
        mode=VerificationMode.IN_PERSON,
        status__in=[BookingStatus.BOOKED, BookingStatus.DONE],
    )
    tz = timezone.get_current_timezone()
    start_day = day or timezone.localdate()
    start = dt.datetime.combine(start_day, dt.time.min, tzinfo=tz)
    qs = qs.filter(slot__starts_at__gte=start)
    if day is not None:
        qs = qs.filter(slot__starts_at__lt=start + dt.timedelta(days=1))
    return list(qs.select_related("slot", "order", "order__applicant").order_by("slot__starts_at", "pk"))


def desk_booking(*, staff_user, booking_id: int) -> Booking:
    """A live or done booking at the staff user's point, or 404 exactly like a missing one."""
    staff = staff_point(staff_user=staff_user)
    qs = Booking.objects.none()
    if staff is not None:
        qs = Booking.objects.filter(
            tenant_id=staff.tenant_id,
            point_id=staff.point_id,
            mode=VerificationMode.IN_PERSON,
            status__in=[BookingStatus.BOOKED, BookingStatus.DONE],
        ).select_related(
            "point",
            "slot",
            "order",
            "order__applicant",
            "order__province",
            "order__certificate_type",
            "order__nature",
        )
    return get_or_404(qs, actor=staff_user, pk=booking_id)


def desk_materials(*, booking: Booking) -> list[MaterialFile]:
    """The identity materials of a booked order that the staff compare with the originals."""
    files = MaterialFile.objects.filter(
        order_id=booking.order_id, tenant_id=booking.tenant_id, kind__in=DESK_MATERIAL_KINDS
    ).order_by("created_at", "pk")
    return sorted(files, key=lambda f: DESK_MATERIAL_KINDS.index(f.kind))  # the upload page's order


# --- writes ---------------------------------------------------------------------------------


def _locked_order(order: FilingOrder) -> FilingOrder:
    """The order row, locked: one booking change or check per order at a time."""
    return (
        FilingOrder.objects.select_for_update(of=("self",))
        .select_related("tenant", "province", "certificate_type")
        .get(pk=order.pk, tenant_id=order.tenant_id)
    )


def _require_verification(order: FilingOrder) -> None:
    if order.status != OrderStatus.VERIFICATION:
        raise ValidationError(
            _("订单当前状态为“%(s)s”，不在等待核验阶段。") % {"s": order.get_status_display()}
        )


def _require_applicant(order: FilingOrder, applicant) -> None:
    if order.applicant_id != getattr(applicant, "pk", None):
        raise ValidationError(_("只有订单的申请人可以预约或取消核验。"))


def _release(booking: Booking) -> None:
    """Cancel a live booking and give its place back, in the caller's transaction."""
    changed = Booking.objects.filter(pk=booking.pk, status=BookingStatus.BOOKED).update(
        status=BookingStatus.CANCELLED, cancelled_at=timezone.now()
    )
    if changed and booking.slot_id:
        AppointmentSlot.objects.filter(pk=booking.slot_id, booked__gt=0).update(booked=F("booked") - 1)
    booking.status = BookingStatus.CANCELLED


def remote_verification_available(*, order: FilingOrder) -> bool:
    """Whether the order's province accepts remote (phone) verification today (province rule
    ``app_verification_available``). No row: not offered, since an on-site check is what
    every 管局 accepts and no source says this province takes a remote one."""
    rules = province_rules_for(
        province_code=order.province_id,
        scope="personal" if order.is_individual else "unit",
        on=timezone.localdate(),
    )
    return (rules.raw.get(RuleKey.APP_VERIFICATION_AVAILABLE) or {}).get("value") is True


@transaction.atomic
def booking_make(
    *, order: FilingOrder, applicant, slot_id: int | None = None, remote: bool = False
) -> Booking:
    """Book ``slot_id`` (or remote verification) for ``order``; re-booking replaces the old one.

    Raises ValidationError (field ``slot`` when the slot is unknown, over or full).
    """
    order = _locked_order(order)
    _require_applicant(order, applicant)
    _require_verification(order)
    current = live_booking(order=order)
    if remote:
        if not remote_verification_available(order=order):
            raise ValidationError(
                {
                    "remote": [
                        _("%(p)s目前不支持远程核验，请预约核验点当面核验。") % {"p": order.province.full_name}
                    ]
                }
            )
        if current is not None and current.mode == VerificationMode.REMOTE:
            return current
        if current is not None:
            _release(current)
        return Booking.objects.create(
            tenant_id=order.tenant_id, order=order, mode=VerificationMode.REMOTE, created_by=applicant
        )
    if not slot_id:
        raise ValidationError({"slot": [_("请选择核验点和预约时段，或选择远程核验。")]})
    slot = (
        AppointmentSlot.objects.filter(
            pk=slot_id,
            tenant_id=order.tenant_id,
            point__status=PointStatus.OPERATING,
            ends_at__gt=timezone.now(),  # not yet over: a slot in progress takes walk-ins
        )
        .select_related("point")
        .first()
    )
    if slot is None:
        raise ValidationError({"slot": [_("该时段不存在或已过期，请重新选择。")]})
    if current is not None and current.slot_id == slot.pk:
        return current
    if current is not None:
        # Frees the old place first: moving within a full slot's point still works, and
        # if the new slot turns out full the whole transaction (this release too) rolls back.
        _release(current)
    taken = AppointmentSlot.objects.filter(pk=slot.pk, booked__lt=F("capacity")).update(
        booked=F("booked") + 1
    )
    if taken != 1:
        raise ValidationError({"slot": [_("该时段已约满，请选择其他时段。")]})
    booking = Booking.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        mode=VerificationMode.IN_PERSON,
        point=slot.point,
        slot=slot,
        created_by=applicant,
    )
    _booking_notify(order=order, booking=booking, event="booked")
    return booking


@transaction.atomic
def booking_cancel(*, order: FilingOrder, applicant) -> Booking:
    """Cancel the order's live booking and free its place. Raises ValidationError when none."""
    order = _locked_order(order)
    _require_applicant(order, applicant)
    _require_verification(order)
    current = live_booking(order=order)
    if current is None:
        raise ValidationError(_("没有可以取消的预约。"))
    _release(current)
    if current.mode == VerificationMode.IN_PERSON:
        _booking_notify(order=order, booking=current, event="cancelled")
    return current


def _booking_notify(*, order: FilingOrder, booking: Booking, event: str) -> None:
    """Email and inbox for an on-site appointment made or cancelled, through the outbox (R-B2)."""
    from filings.notifications import order_url
    from icpfiling.notifications.models import Channel
    from icpfiling.notifications.services import outbox_enqueue

    slot, point = booking.slot, booking.point
    when = timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M")
    values = {"pk": order.pk, "point": point.name, "when": when, "address": point.address}
    if event == "booked":
        subject = _("备案订单 #%(pk)s 已预约现场核验：%(when)s") % values
        body = (
            _(
                "您已预约 %(when)s 在“%(point)s”（%(address)s）现场核验，请按时携带所列证件原件前往。"
                "如需改期，请在订单的核验页面重新预约。"
            )
            % values
        )
    else:
        subject = _("备案订单 #%(pk)s 的现场核验预约已取消") % values
        body = _("您在“%(point)s”%(when)s 的现场核验预约已取消，请在订单的核验页面重新预约。") % values
    for channel, recipient in (
        (Channel.EMAIL, order.applicant.email),
        (Channel.INBOX, str(order.applicant_id)),
    ):
        outbox_enqueue(
            channel=channel,
            recipient=recipient,
            subject=subject,
            body=body,
            url=order_url(order),
            tenant_id=order.tenant_id,
            dedupe_key=f"booking:{booking.pk}:{event}:{channel}",
        )


def _store_curtain_photo(*, order: FilingOrder, uploaded: UploadedFile, actor, slot: str, existing: int):
    """Run the materials pipeline on a curtain photo (R-D3: colour, ≥ 800×600, re-encoded).

    Returns (MaterialFile, stored name); the caller deletes the stored bytes if its
    transaction fails afterwards.
    """
    tenant = order.tenant
    policy = UploadPolicy(
        max_bytes=tenant.upload_max_bytes,
        allowed_formats=frozenset(tenant.upload_formats),
        min_size=CURTAIN_MIN_SIZE,
        max_files=REMOTE_PHOTOS_PER_ROUND,
    )
    material = material_store(
        order=order,
        uploaded=uploaded,
        policy=policy,
        existing=existing,
        kind=MaterialKind.CURTAIN_PHOTO,
        slot=slot,
        actor=actor,
    )
    return material, material.storage_name


def _photo_error(exc: ValidationError) -> ValidationError:
    return ValidationError({"curtain_photo": exc.messages})


@transaction.atomic
def remote_photo_upload(*, order: FilingOrder, applicant, uploaded: UploadedFile) -> MaterialFile:
    """The applicant's curtain photo for remote verification, through the materials pipeline."""
    order = _locked_order(order)
    _require_applicant(order, applicant)
    _require_verification(order)
    current = live_booking(order=order)
    if current is None or current.mode != VerificationMode.REMOTE:
        raise ValidationError(_("请先选择远程核验，再上传幕布照片。"))
    try:
        material, _stored = _store_curtain_photo(
            order=order,
            uploaded=uploaded,
            actor=applicant,
            slot=REMOTE_PHOTO_SLOT,
            existing=len(remote_photos(order=order)),
        )
    except ValidationError as exc:
        raise _photo_error(exc) from None
    return material


def check_window(slot: AppointmentSlot) -> tuple[dt.datetime, dt.datetime]:
    """When a check of a booking in ``slot`` may be recorded: the slot's whole day (Asia/Shanghai).

    R-S4 (issue 12): the person must stand at the counter with the originals, so the check
    is recorded while they are there, and on the day they booked. Earlier on that day is
    accepted, so someone who comes early is served when a counter is free (turning them away
    for an hour helps nobody; the check's time and the curtain photo show when it was
    done). Another day is refused: a check a day ahead would leave the booked day's place
    taken and put the check on the wrong day in the point's punctuality figures and monthly
    statement; the applicant moves the booking to a slot of today instead (a slot in
    progress can be booked, for walk-ins), which frees the old place. After the booked day
    the appointment was missed and the applicant books again.
    """
    day = timezone.localtime(slot.starts_at).date()
    start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
    return start, timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))


def check_window_error(*, booking: Booking, now: dt.datetime | None = None) -> str:
    """Why a check of ``booking`` cannot be recorded now ("" when it can), naming the slot."""
    if booking.slot is None:
        return ""
    now = now or timezone.now()
    start, end = check_window(booking.slot)
    values = {
        "when": timezone.localtime(booking.slot.starts_at).strftime("%Y-%m-%d %H:%M"),
        "end": timezone.localtime(booking.slot.ends_at).strftime("%H:%M"),
        "point": booking.point.name if booking.point else "",
    }
    if now < start:
        return (
            _(
                "该预约的时段是 %(when)s–%(end)s（%(point)s），核验结果只能在预约当天记录。"
                "申请人今天已到场时，请其在订单的核验页面改约今天的时段后再记录。"
            )
            % values
        )
    if now >= end:
        return (
            _("预约时段 %(when)s–%(end)s（%(point)s）已过，申请人未在当天核验；请其重新预约后再记录。")
            % values
        )
    return ""


def _result_message(*, result: str, reason: str, where: str) -> str:
    if result == CheckResult.PASSED:
        return _("%(where)s：核验通过") % {"where": where}
    return _("%(where)s：核验不通过（%(reason)s）") % {"where": where, "reason": reason}


@transaction.atomic
def check_record(
    *,
    order: FilingOrder,
    staff_user,
    originals_seen: list[str],
    curtain_photo: UploadedFile | None,
    result: str,
    reason: str = "",
) -> VerificationCheck:
    """Point staff record an in-person check at their point; the order moves to the recheck.

    A failed check moves on too: the reviewer decides whether to return the order or
    send it back to verification. Raises ValidationError with field errors
    (``originals_seen``, ``curtain_photo``, ``result``, ``reason``) and nothing written.
    """
    order = _locked_order(order)
    _require_verification(order)
    staff = staff_point(staff_user=staff_user)
    booking = live_booking(order=order)
    if (
        staff is None
        or booking is None
        or booking.mode != VerificationMode.IN_PERSON
        or booking.point_id != staff.point_id
    ):
        raise ValidationError(_("该订单没有在本核验点的有效预约。"))
    too_early_or_late = check_window_error(booking=booking)
    if too_early_or_late:
        raise ValidationError(too_early_or_late)
    seen, reason, errors = _check_fields(
        order=order, originals_seen=originals_seen, result=result, reason=reason
    )
    if curtain_photo is None:
        errors.setdefault("curtain_photo", []).append(_("请上传在幕布前拍摄的照片（至少 800×600 像素）。"))
    if errors:
        raise ValidationError(errors)
    try:
        photo, stored = _store_curtain_photo(
            order=order, uploaded=curtain_photo, actor=staff_user, slot=POINT_PHOTO_SLOT, existing=0
        )
    except ValidationError as exc:
        raise _photo_error(exc) from None
    try:
        check = _check_complete(
            order=order,
            booking=booking,
            by=staff_user,
            actor_kind="point_staff",
            seen=seen,
            photo=photo,
            result=result,
            reason=reason,
            where=_("现场核验（%(p)s）") % {"p": booking.point.name},
        )
    except Exception:
        storages["default"].delete(stored)
        raise
    return check


@transaction.atomic
def remote_check_record(
    *, order: FilingOrder, reviewer, originals_seen: list[str], result: str, reason: str = ""
) -> VerificationCheck:
    """The reviewer records a remote check from the applicant's curtain photo (actor "reviewer")."""
    order = _locked_order(order)
    _require_verification(order)
    booking = live_booking(order=order)
    if booking is None or booking.mode != VerificationMode.REMOTE:
        raise ValidationError(_("申请人没有选择远程核验，不能记录远程核验结果。"))
    photos = remote_photos(order=order)
    if not photos:
        raise ValidationError(_("申请人还没有上传幕布照片。"))
    seen, reason, errors = _check_fields(
        order=order, originals_seen=originals_seen, result=result, reason=reason
    )
    if errors:
        raise ValidationError(errors)
    return _check_complete(
        order=order,
        booking=booking,
        by=reviewer,
        actor_kind="reviewer",
        seen=seen,
        photo=photos[0],
        result=result,
        reason=reason,
        where=_("远程核验"),
    )


def _check_complete(
    *, order: FilingOrder, booking: Booking, by, actor_kind: str, seen, photo, result: str, reason: str, where
) -> VerificationCheck:
    """Record a check (on site or remote), close its booking and move the order to the recheck."""
    check = VerificationCheck.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        booking=booking,
        point=booking.point,  # None for a remote booking
        mode=booking.mode,
        checked_by=by,
        originals_seen=seen,
        curtain_photo=photo,
        result=result,
        reason=reason,
    )
    Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.DONE)
    order_transition(
        order=order,
        action="verified",
        actor=by,
        actor_kind=actor_kind,
        message=_result_message(result=result, reason=reason, where=where),
    )
    return check


@transaction.atomic
def order_back_to_verification(
    *, order: FilingOrder, reviewer, reason: str, check_wrong: bool = False
) -> FilingOrder:
    """Seed 002's third return target: the reviewer sends the order back to verification.

    With ``check_wrong`` the latest check is marked as later found wrong (it counts
    against its point's assessment). Any live booking is cancelled and its place freed:
    the applicant books again. Raises ValidationError (field ``reason``) or the
    workflow's TransitionError / TransitionConflict; nothing is written then.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请填写退回重新核验的原因。")]})
    if len(reason) > 300:
        raise ValidationError({"reason": [_("原因最多 300 个字。")]})
    latest = order_checks(order=order).first() if check_wrong else None
    if check_wrong and latest is None:
        raise ValidationError({"check_wrong": [_("该订单还没有核验记录，无法标记为核验有误。")]})
    # The conditional transition decides first: a second reviewer clicking at once
    # gets TransitionConflict and none of the changes below.
    order = order_transition(
        order=order,
        action="back_to_verification",
        actor=reviewer,
        actor_kind="reviewer",
        message=reason,
    )
    if latest is not None:
        VerificationCheck.objects.filter(pk=latest.pk, found_wrong_at__isnull=True).update(
            found_wrong_at=timezone.now(), found_wrong_reason=reason
        )
    for booking in Booking.objects.filter(order=order, status=BookingStatus.BOOKED):
        _release(booking)
    return order
