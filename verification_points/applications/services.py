"""Writes of the verification-point application programme (R-K1..R-K3).

Each function is one step: keyword-only, one transaction, validating before
saving, and changing state only through ``application_workflow.application_transition``.
All of them need the provider's tenant scope, except ``applications_sweep``,
which finds due rows across providers and then enters each one's scope.
Files are written to storage only after everything else is valid and are
removed again when the transaction fails, so nothing half-written remains.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from decimal import Decimal

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.core.text import list_join
from icpfiling.registry.models import Province
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from icpfiling.tenancy.models import Provider
from icpfiling.tenancy.storage import tenant_file_name
from verification_points import states
from verification_points.applications import workflow as wf
from verification_points.applications.notifications import application_status_notify, staff_account_notify
from verification_points.applications.scans import CheckedScan, files_delete, scan_store, storage
from verification_points.applications.tokens import token_hash
from verification_points.models import PointStaff, VerificationPoint
from verification_points.models.applications import (
    ApplicationFileAccess,
    ApplicationScan,
    ApplicationStatus,
    Blacklist,
    Inspection,
    InspectionResult,
    PlannedStaff,
    PointAgreement,
    PointApplication,
    ScanKind,
    SupplementRequest,
    TrainingResult,
    TrainingSession,
)

A = ApplicationStatus
MIN_STAFF = 2
EQUIPMENT_FIELDS = ("has_computer", "has_printer", "has_document_camera", "has_reception_area")
REQUIRED_SCANS = (ScanKind.LICENCE, ScanKind.LEGAL_REP_ID, ScanKind.PREMISES_PROOF)
MAX_SUPPLEMENT_DAYS = 30
MAX_PRICE = Decimal("10000")


def tracking_url(*, site_url: str, token: str) -> str:
    return site_url.rstrip("/") + reverse("vp:track", kwargs={"token": token})


def _blacklisted(code: str) -> bool:
    return Blacklist.objects.filter(credit_code=code).exists()


def blacklist_message() -> str:
    return _("该统一社会信用代码已被列入本接入商的合作黑名单（曾提交虚假材料），不能申请成为核验点。")


def open_application_message() -> str:
    return _(
        "该统一社会信用代码已有一份正在办理的核验点申请，请通过申请时邮件中的跟踪链接查看进度，不要重复申请。"
    )


def equipment_missing_message(label: str) -> str:
    return _("核验点必须具备“%(item)s”（核验点条件：电脑、打印机、高拍仪和独立接待区域缺一不可）。") % {
        "item": label
    }


class _FileBatch:
    """Stored names written in one step; removed when the step fails."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def store(self, *, tenant_id: int, kind: str, scan: CheckedScan) -> str:
        name = scan_store(tenant_id=tenant_id, kind=kind, scan=scan)
        self.names.append(name)
        return name

    def __enter__(self) -> _FileBatch:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        # An exception inside the step rolls its rows back; the bytes must go too.
        # (Django has no on-rollback hook, so callers keep this the outermost
        # transaction for the step: a view calls the service directly.)
        if exc_type is not None:
            files_delete(self.names)


def _scan_row(
    *,
    application: PointApplication,
    kind: str,
    scan: CheckedScan,
    stored: str,
    staff: PlannedStaff | None = None,
    supplement: SupplementRequest | None = None,
    actor=None,
) -> ApplicationScan:
    row = ApplicationScan.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        kind=kind,
        staff=staff,
        supplement=supplement,
        storage_name=stored,
        original_name=scan.original_name,
        file_format=scan.file_format,
        size=len(scan.data),
        sha256=scan.sha256,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    ApplicationFileAccess.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        scan=row,
        actor=row.uploaded_by,
        via_link=actor is None,
        kind=kind,
        action="upload",
    )
    return row


# --- R-K1, R-K2: the company applies ------------------------------------------------------


@transaction.atomic
def application_submit(
    *,
    tenant: Provider,
    values: dict,
    staff: Sequence[dict],
    scans: dict[str, list[CheckedScan]],
    site_url: str,
    now: dt.datetime | None = None,
) -> tuple[PointApplication, str]:
    """Create the application with its staff and scans; return it and the secret tracking token.

    ``values`` holds the checked application fields (credit code normalised),
    ``staff`` one dict per planned staff member (name, experience, mobile,
    email, id_scans, diploma_scans), ``scans`` the company's scans by kind.
    Raises ValidationError keyed by field: blacklisted or already-open credit
    code, missing equipment, fewer than two staff, a missing scan.
    """
    now = now or timezone.now()
    code = values["credit_code"]
    errors: dict[str, list[str]] = {}
    if _blacklisted(code):
        errors["credit_code"] = [blacklist_message()]
    for field in EQUIPMENT_FIELDS:
        if not values.get(field):
            label = str(PointApplication._meta.get_field(field).verbose_name)
            errors[field] = [equipment_missing_message(label)]
    if len(staff) < MIN_STAFF:
        errors["staff"] = [_("至少需要配备 %(n)s 名专职工作人员。") % {"n": MIN_STAFF}]
    for kind in REQUIRED_SCANS:
        if not scans.get(kind):
            errors[kind] = [_("请上传%(kind)s。") % {"kind": ScanKind(kind).label}]
    for i, person in enumerate(staff):
        for key, kind in (("id_scans", ScanKind.STAFF_ID), ("diploma_scans", ScanKind.STAFF_DIPLOMA)):
            if not person.get(key):
                errors[f"staff-{i}-{key}"] = [_("请上传%(kind)s。") % {"kind": ScanKind(kind).label}]
    if errors:
        raise ValidationError(errors)

    token = secrets.token_urlsafe(32)
    fields = {k: values[k] for k in _APPLICATION_FIELDS}
    try:
        with transaction.atomic():  # a savepoint: the constraint's answer becomes a field error
            application = PointApplication.objects.create(
                tenant=tenant,
                tracking_token_hash=token_hash(token),
                status=A.MATERIAL_REVIEW,
                submitted_at=now,
                status_changed_at=now,
                review_due_at=wf.add_working_days_at(now, wf.MATERIAL_REVIEW_DAYS),
                **fields,
            )
    except IntegrityError:
        raise ValidationError({"credit_code": [open_application_message()]}) from None
    with _FileBatch() as batch:
        for kind in REQUIRED_SCANS:
            for scan in scans[kind]:
                stored = batch.store(tenant_id=tenant.pk, kind=kind, scan=scan)
                _scan_row(application=application, kind=kind, scan=scan, stored=stored)
        for i, person in enumerate(staff):
            row = PlannedStaff.objects.create(
                tenant=tenant,
                application=application,
                position=i + 1,
                name=person["name"],
                experience=person["experience"],
                mobile=person["mobile"],
                email=person["email"].lower(),
            )
            for key, kind in (("id_scans", ScanKind.STAFF_ID), ("diploma_scans", ScanKind.STAFF_DIPLOMA)):
                for scan in person[key]:
                    stored = batch.store(tenant_id=tenant.pk, kind=kind, scan=scan)
                    _scan_row(application=application, kind=kind, scan=scan, stored=stored, staff=row)
        wf.event_add(application=application, kind="submit", actor_kind=states.COMPANY)
        application_status_notify(
            application=application, action="submit", link=tracking_url(site_url=site_url, token=token)
        )
    return application, token


_APPLICATION_FIELDS = (
    "company_name",
    "credit_code",
    "registered_address",
    "business_scope",
    "premises_address",
    "premises_area",
    "manager_name",
    "manager_mobile",
    "manager_email",
    "manager_id_number",
    *EQUIPMENT_FIELDS,
)


def _locked(application: PointApplication) -> PointApplication:
    """The row again, locked for this transaction (PostgreSQL; SQLite serialises writers anyway)."""
    return (
        PointApplication.objects.select_for_update(of=("self",))
        .select_related("tenant")
        .get(pk=application.pk)
    )


def _require(application: PointApplication, *statuses: str) -> None:
    if application.status not in statuses:
        raise ValidationError(
            _("申请当前状态为“%(s)s”，不能进行这一步。请刷新页面查看最新状态。")
            % {"s": application.get_status_display()},
            code="wrong_status",
        )


# --- R-K3: material review ------------------------------------------------------------------


@transaction.atomic
def application_accept(*, application: PointApplication, actor, now=None) -> PointApplication:
    application = _locked(application)
    _require(application, A.MATERIAL_REVIEW)
    return wf.application_transition(
        application=application, action="accept", actor=actor, actor_kind=states.ADMIN, now=now
    )


@transaction.atomic
def application_request_supplement(
    *, application: PointApplication, actor, items: str, due_on: dt.date, now=None
) -> SupplementRequest:
    """Ask for more material by ``due_on`` (the whole day counts); a late answer withdraws."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    items = (items or "").strip()
    errors = {}
    if not items:
        errors["items"] = [_("请写明需要补充或修改的材料。")]
    if due_on is None or due_on <= today:
        errors["due_on"] = [_("补充截止日期必须晚于今天。")]
    elif due_on > today + dt.timedelta(days=MAX_SUPPLEMENT_DAYS):
        errors["due_on"] = [_("补充截止日期不能晚于 %(n)s 天之后。") % {"n": MAX_SUPPLEMENT_DAYS}]
    if errors:
        raise ValidationError(errors)
    application = _locked(application)
    _require(application, A.MATERIAL_REVIEW)
    due_at = wf.end_of_local_day(due_on)
    request = SupplementRequest.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        items=items,
        due_at=due_at,
        requested_by=actor,
    )
    wf.application_transition(
        application=application,
        action="request_supplement",
        actor=actor,
        actor_kind=states.ADMIN,
        message=items,
        extra={"supplement_due_at": due_at},
        now=now,
    )
    return request


@transaction.atomic
def application_answer_supplement(
    *, application: PointApplication, note: str, scans: Sequence[CheckedScan], now=None
) -> bool:
    """The company's answer through its tracking link. False when it came too late.

    A late answer counts as withdrawal (seed 000): the application is withdrawn
    here and now (the sweep would do the same) and nothing is stored.
    """
    now = now or timezone.now()
    application = _locked(application)
    _require(application, A.SUPPLEMENT)
    if now >= application.supplement_due_at:
        wf.application_transition(
            application=application,
            action="supplement_late",
            actor_kind=states.COMPANY,
            message=_("补充材料晚于截止时间提交。"),
            now=now,
        )
        return False
    note = (note or "").strip()
    if not note and not scans:
        raise ValidationError({"note": [_("请填写补充说明或上传补充材料。")]})
    request = (
        application.supplements.filter(answered_at__isnull=True).order_by("-requested_at", "-pk").first()
    )
    with _FileBatch() as batch:
        for scan in scans:
            stored = batch.store(tenant_id=application.tenant_id, kind=ScanKind.SUPPLEMENT, scan=scan)
            _scan_row(
                application=application,
                kind=ScanKind.SUPPLEMENT,
                scan=scan,
                stored=stored,
                supplement=request,
            )
        if request is not None:
            SupplementRequest.objects.filter(pk=request.pk).update(answered_at=now, answer_note=note)
        wf.application_transition(
            application=application,
            action="answer_supplement",
            actor_kind=states.COMPANY,
            message=note,
            now=now,
        )
    return True


# --- R-K3: on-site inspection -------------------------------------------------------------


def _inspection_round(application: PointApplication) -> int:
    return 2 if application.status == A.REINSPECTION else 1


@transaction.atomic
def application_schedule_inspection(
    *, application: PointApplication, actor, when: dt.datetime, now=None
) -> Inspection:
    now = now or timezone.now()
    if when is None or when <= now:
        raise ValidationError({"scheduled_for": [_("考察时间必须晚于现在。")]})
    application = _locked(application)
    _require(application, A.INSPECTION, A.REINSPECTION)
    inspection, _created = Inspection.objects.get_or_create(
        application=application,
        round=_inspection_round(application),
        defaults={"tenant_id": application.tenant_id},
    )
    Inspection.objects.filter(pk=inspection.pk).update(scheduled_for=when)
    PointApplication.objects.filter(pk=application.pk).update(inspection_scheduled_for=when)
    application.inspection_scheduled_for = when
    text = _("考察时间：%(when)s") % {"when": timezone.localtime(when).strftime("%Y-%m-%d %H:%M")}
    wf.event_add(
        application=application,
        kind="inspection_scheduled",
        actor=actor,
        actor_kind=states.ADMIN,
        message=text,
    )
    application_status_notify(application=application, action="inspection_scheduled", message=text)
    inspection.scheduled_for = when
    return inspection


@transaction.atomic
def application_record_inspection(
    *,
    application: PointApplication,
    actor,
    premises_match: bool,
    equipment_ok: bool,
    staff_know_process: bool,
    passed: bool,
    notes: str = "",
    now=None,
) -> Inspection:
    """Record the inspection's findings and result: pass → agreement; fail → rectify (15 days)
    after the first inspection, lapsed after the re-inspection."""
    now = now or timezone.now()
    if passed and not (premises_match and equipment_ok and staff_know_process):
        raise ValidationError(
            {"result": [_("有考察项目不符合要求时不能记为“通过”。请记为“不通过”并写明整改要求。")]}
        )
    if not passed and not (notes or "").strip():
        raise ValidationError({"notes": [_("考察不通过时请写明问题和整改要求。")]})
    application = _locked(application)
    _require(application, A.INSPECTION, A.REINSPECTION)
    round_no = _inspection_round(application)
    rectify_due = None if passed or round_no == 2 else wf.rectify_deadline(now)
    inspection, _created = Inspection.objects.get_or_create(
        application=application, round=round_no, defaults={"tenant_id": application.tenant_id}
    )
    inspection.premises_match = premises_match
    inspection.equipment_ok = equipment_ok
    inspection.staff_know_process = staff_know_process
    inspection.result = InspectionResult.PASSED if passed else InspectionResult.FAILED
    inspection.notes = (notes or "").strip()
    inspection.recorded_by = actor
    inspection.recorded_at = now
    inspection.rectify_due_at = rectify_due
    inspection.save()
    if passed:
        action = "inspection_pass"
    elif round_no == 1:
        action = "inspection_fail"
    else:
        action = "reinspection_fail"
    wf.application_transition(
        application=application,
        action=action,
        actor=actor,
        actor_kind=states.ADMIN,
        message=inspection.notes,
        extra={"rectify_due_at": rectify_due} if rectify_due else None,
        now=now,
    )
    return inspection


@transaction.atomic
def application_request_reinspection(*, application: PointApplication, now=None) -> bool:
    """The company has rectified and asks again. False (and lapsed) when past day 15."""
    now = now or timezone.now()
    application = _locked(application)
    _require(application, A.RECTIFYING)
    if now >= application.rectify_due_at:
        wf.application_transition(
            application=application,
            action="rectify_late",
            actor_kind=states.COMPANY,
            message=_("整改期满后才申请复查。"),
            now=now,
        )
        return False
    wf.application_transition(
        application=application, action="request_reinspection", actor_kind=states.COMPANY, now=now
    )
    return True


# --- R-K3: agreement ------------------------------------------------------------------------


def _check_prices(prices: dict[str, Decimal | None]) -> None:
    errors = {}
    for key, value in prices.items():
        if value is None or value <= 0:
            errors[key] = [_("请填写大于 0 的单价（元/单）。")]
        elif value > MAX_PRICE:
            errors[key] = [_("单价不能超过 %(max)s 元。") % {"max": MAX_PRICE}]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def application_agreement_generate(
    *,
    application: PointApplication,
    actor,
    business_scope: str,
    price_low: Decimal,
    price_mid: Decimal,
    price_high: Decimal,
    now=None,
) -> PointAgreement:
    """Generate (or, before it is signed, regenerate) the agreement PDF with the tier prices."""
    from verification_points.applications.agreement import agreement_pdf

    now = now or timezone.now()
    _check_prices({"price_low": price_low, "price_mid": price_mid, "price_high": price_high})
    business_scope = (business_scope or "").strip()
    if not business_scope:
        raise ValidationError({"business_scope": [_("请填写合作业务范围。")]})
    application = _locked(application)
    _require(application, A.AGREEMENT)
    pdf = agreement_pdf(
        provider_name=application.tenant.name,
        company_name=application.company_name,
        credit_code=application.credit_code,
        premises_address=application.premises_address,
        legal_contact=f"{application.manager_name} {application.manager_mobile}",
        business_scope=business_scope,
        price_low=price_low,
        price_mid=price_mid,
        price_high=price_high,
        number=f"VP-{application.tenant_id}-{application.pk}",
        today=timezone.localtime(now).date(),
    )
    name = storage().save(
        tenant_file_name(tenant_id=application.tenant_id, kind="vp_agreement", extension="pdf"),
        ContentFile(pdf),
    )
    try:
        old = PointAgreement.objects.filter(application=application).first()
        values = {
            "business_scope": business_scope,
            "price_low": price_low,
            "price_mid": price_mid,
            "price_high": price_high,
            "storage_name": name,
            "generated_by": actor,
            "generated_at": now,
        }
        if old is None:
            agreement = PointAgreement.objects.create(
                tenant_id=application.tenant_id, application=application, **values
            )
        else:
            old_name = old.storage_name
            PointAgreement.objects.filter(pk=old.pk).update(**values)
            agreement = PointAgreement.objects.get(pk=old.pk)
            transaction.on_commit(lambda: files_delete([old_name]))
        text = _("单价 X/Y/Z：%(x)s / %(y)s / %(z)s 元") % {"x": price_low, "y": price_mid, "z": price_high}
        wf.event_add(
            application=application,
            kind="agreement_generated",
            actor=actor,
            actor_kind=states.ADMIN,
            message=text,
        )
        application_status_notify(
            application=application,
            action="agreement_generated",
            message=_("请通过跟踪链接下载协议，由法定代表人签字并加盖公章后回传扫描件。"),
        )
    except Exception:
        files_delete([name])
        raise
    return agreement


@transaction.atomic
def application_agreement_signed(
    *, application: PointApplication, actor, scan: CheckedScan, now=None
) -> PointAgreement:
    """Store the signed and stamped scan of the agreement and move on to training."""
    now = now or timezone.now()
    application = _locked(application)
    _require(application, A.AGREEMENT)
    agreement = PointAgreement.objects.filter(application=application).first()
    if agreement is None:
        raise ValidationError({"file": [_("请先生成合作协议，再上传签字盖章的扫描件。")]})
    with _FileBatch() as batch:
        stored = batch.store(tenant_id=application.tenant_id, kind=ScanKind.AGREEMENT_SIGNED, scan=scan)
        row = _scan_row(
            application=application, kind=ScanKind.AGREEMENT_SIGNED, scan=scan, stored=stored, actor=actor
        )
        PointAgreement.objects.filter(pk=agreement.pk).update(signed_scan=row, signed_at=now)
        wf.application_transition(
            application=application, action="agreement_signed", actor=actor, actor_kind=states.ADMIN, now=now
        )
    agreement.refresh_from_db()
    return agreement


# --- R-K3: training -------------------------------------------------------------------------


@transaction.atomic
def application_training_record(
    *,
    application: PointApplication,
    actor,
    starts_on: dt.date,
    ends_on: dt.date,
    passed_staff_ids: set[int],
    notes: str = "",
    now=None,
) -> TrainingSession:
    """One 2-3 day training with a pass/fail record for every planned staff member."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        errors["starts_on"] = [_("请填写培训开始日期。")]
    if ends_on is None:
        errors["ends_on"] = [_("请填写培训结束日期。")]
    if not errors:
        days = (ends_on - starts_on).days + 1
        if days not in (2, 3):
            errors["ends_on"] = [_("培训为期 2 至 3 天（含首尾两天），当前为 %(n)s 天。") % {"n": days}]
        elif ends_on > today:
            errors["ends_on"] = [_("培训结束后才能记录结果，结束日期不能晚于今天。")]
    if errors:
        raise ValidationError(errors)
    application = _locked(application)
    _require(application, A.TRAINING)
    staff = list(application.staff.all())
    unknown = set(passed_staff_ids) - {s.pk for s in staff}
    if unknown:
        raise ValidationError({"passed": [_("所选人员不属于本申请。")]})
    session = TrainingSession.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        starts_on=starts_on,
        ends_on=ends_on,
        notes=(notes or "").strip()[:500],
        recorded_by=actor,
    )
    TrainingResult.objects.bulk_create(
        [
            TrainingResult(
                tenant_id=application.tenant_id, session=session, staff=s, passed=s.pk in passed_staff_ids
            )
            for s in staff
        ]
    )
    passed_names = [s.name for s in staff if s.pk in passed_staff_ids]
    text = _("%(start)s 至 %(end)s；通过：%(names)s") % {
        "start": starts_on,
        "end": ends_on,
        "names": list_join(passed_names) or _("无"),
    }
    wf.event_add(
        application=application, kind="training_recorded", actor=actor, actor_kind=states.ADMIN, message=text
    )
    application_status_notify(application=application, action="training_recorded", message=text)
    return session


def training_missing(application: PointApplication) -> list[PlannedStaff]:
    """Planned staff without a passed training result yet."""
    passed = set(
        TrainingResult.objects.filter(session__application=application, passed=True).values_list(
            "staff_id", flat=True
        )
    )
    return [s for s in application.staff.all() if s.pk not in passed]


# --- R-K3: activation -----------------------------------------------------------------------


def _province_of(credit_code: str) -> Province | None:
    # Characters 3-4 of a credit code are the registering province's administrative code.
    return Province.objects.filter(admin_code=f"{credit_code[2:4]}0000").first()


def _password_link(*, user: User, site_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return site_url.rstrip("/") + reverse(
        "accounts:password_reset_confirm", kwargs={"uidb64": uid, "token": token}
    )


@transaction.atomic
def application_activate(
    *, application: PointApplication, actor, site_url: str, now=None
) -> VerificationPoint:
    """Open the point: the VerificationPoint (prices from the agreement, address from the premises)
    and one point-staff account per planned staff member, each emailed a password-set link."""
    now = now or timezone.now()
    application = _locked(application)
    _require(application, A.TRAINING)
    agreement = PointAgreement.objects.filter(application=application, signed_scan__isnull=False).first()
    staff = list(application.staff.all())
    errors: list[str] = []
    if agreement is None:
        errors.append(_("还没有签字盖章的合作协议。"))
    if len(staff) < MIN_STAFF:
        errors.append(_("至少需要 %(n)s 名工作人员。") % {"n": MIN_STAFF})
    missing = training_missing(application)
    if missing:
        errors.append(
            _("以下人员还没有通过培训：%(names)s。") % {"names": list_join(s.name for s in missing)}
        )
    taken = set(
        User.objects.filter(
            provider_id=application.tenant_id, email__in=[s.email for s in staff]
        ).values_list("email", flat=True)
    )
    for s in staff:
        if s.email.lower() in {e.lower() for e in taken}:
            errors.append(
                _("工作人员 %(name)s 的邮箱 %(email)s 已在本接入商注册过账户，请联系该人员更换邮箱。")
                % {"name": s.name, "email": s.email}
            )
    if errors:
        raise ValidationError(errors)
    point = VerificationPoint.objects.create(
        tenant_id=application.tenant_id,
        name=application.company_name[:100],
        province=_province_of(application.credit_code),
        address=application.premises_address,
        phone=application.manager_mobile,
        price_low=agreement.price_low,
        price_mid=agreement.price_mid,
        price_high=agreement.price_high,
        activated_at=now,
    )
    links = []
    for s in staff:
        user = User.objects.create_user(
            s.email, None, provider_id=application.tenant_id, full_name=s.name, email_confirmed_at=now
        )
        Membership.objects.create(
            tenant_id=application.tenant_id,
            user=user,
            role=Role.POINT_STAFF,
            approved_at=now,
            approved_by=actor,
        )
        PointStaff.objects.create(tenant_id=application.tenant_id, point=point, user=user)
        PlannedStaff.objects.filter(pk=s.pk).update(account=user)
        links.append((user, _password_link(user=user, site_url=site_url)))
    wf.application_transition(
        application=application,
        action="activate",
        actor=actor,
        actor_kind=states.ADMIN,
        message=_("核验点：%(name)s") % {"name": point.name},
        extra={"point": point},
        now=now,
    )
    for user, link in links:
        staff_account_notify(user=user, point_name=point.name, link=link)
    return point


# --- R-K3: false material -------------------------------------------------------------------


@transaction.atomic
def application_refuse_false(*, application: PointApplication, actor, reason: str, now=None) -> Blacklist:
    """Refuse for false material and blacklist the credit code at this provider (seed 000)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("请写明发现的虚假材料。")]})
    application = _locked(application)
    _require(application, *states.TRANSITIONS["refuse_false"].sources)
    wf.application_transition(
        application=application,
        action="refuse_false",
        actor=actor,
        actor_kind=states.ADMIN,
        message=reason,
        extra={"closed_reason": reason[:500]},
        now=now,
    )
    entry, _created = Blacklist.objects.get_or_create(
        credit_code=application.credit_code,
        defaults={
            "tenant_id": application.tenant_id,
            "company_name": application.company_name,
            "reason": reason[:500],
            "application": application,
            "created_by": actor,
        },
    )
    return entry


# --- R-B1: the sweep ------------------------------------------------------------------------


def applications_sweep(*, now: dt.datetime | None = None) -> int:
    """Withdraw applications past their supplement deadline and lapse failed inspections past
    their rectify deadline. Idempotent: each row moves once (conditional update), reruns do nothing.

    Runs with no tenant: finds due rows across providers, then handles each in its own scope.
    """
    now = now or timezone.now()
    # Deliberately cross-tenant, read-only: only ids and tenant ids leave this block.
    with tenant_scopes_disabled():
        due = list(
            PointApplication.objects.filter(status=A.SUPPLEMENT, supplement_due_at__lte=now).values_list(
                "pk", "tenant_id", "status"
            )
        ) + list(
            PointApplication.objects.filter(status=A.RECTIFYING, rectify_due_at__lte=now).values_list(
                "pk", "tenant_id", "status"
            )
        )
    moved = 0
    for pk, tenant_id, status in due:
        action = "supplement_late" if status == A.SUPPLEMENT else "rectify_late"
        with tenant_scope(tenant_id):
            application = (
                PointApplication.objects.filter(pk=pk, status=status).select_related("tenant").first()
            )
            if application is None:
                continue
            try:
                wf.application_transition(
                    application=application,
                    action=action,
                    actor_kind=states.SYSTEM,
                    message=str(states.TRANSITIONS[action].label),
                    now=now,
                )
            except wf.ApplicationConflict:
                continue  # the company answered, or another sweep ran, in the meantime
            moved += 1
    return moved


# --- files ----------------------------------------------------------------------------------


def scan_open(*, scan: ApplicationScan, actor=None, via_link: bool = False):
    """Open a stored scan for a permission-checked view, writing the audit row (R-D4)."""
    ApplicationFileAccess.objects.create(
        tenant_id=scan.tenant_id,
        application_id=scan.application_id,
        scan=scan,
        actor=actor if getattr(actor, "pk", None) else None,
        via_link=via_link,
        kind=scan.kind,
        action="view",
    )
    return storage().open(scan.storage_name, "rb")


def agreement_open(*, agreement: PointAgreement, actor=None, via_link: bool = False):
    ApplicationFileAccess.objects.create(
        tenant_id=agreement.tenant_id,
        application_id=agreement.application_id,
        actor=actor if getattr(actor, "pk", None) else None,
        via_link=via_link,
        kind="agreement",
        action="view",
    )
    return storage().open(agreement.storage_name, "rb")


# --- masked personal data (finding 4, R-D4) ---------------------------------------------------

# Keys the admin page may reveal: the manager's resident ID and mobile, a planned staff member's
# mobile by position. Everything else is refused.
REVEAL_MANAGER_FIELDS = ("manager_id_number", "manager_mobile")


def application_sensitive_value(application: PointApplication, key: str) -> str | None:
    """The full value behind a revealable ``key``, or None for an unknown key."""
    if key in REVEAL_MANAGER_FIELDS:
        return getattr(application, key) or ""
    prefix, _sep, position = key.partition(".")
    if prefix == "staff_mobile" and position.isdigit() and len(position) <= 3:
        staff = application.staff.filter(position=int(position)).first()
        return staff.mobile if staff is not None else None
    return None


@transaction.atomic
def application_field_reveal(*, application: PointApplication, actor: User, key: str) -> str:
    """Show one masked resident ID or mobile in full, writing the audit row first (R-D4)."""
    is_admin = Membership.objects.filter(
        tenant_id=application.tenant_id, user_id=actor.pk, role=Role.PROVIDER_ADMIN, approved_at__isnull=False
    ).exists()
    if not is_admin:
        raise PermissionDenied
    value = application_sensitive_value(application, key)
    if value is None:
        raise ValidationError({"field": [_("这个字段不能显示。")]})
    ApplicationFileAccess.objects.create(
        tenant_id=application.tenant_id,
        application_id=application.pk,
        actor=actor,
        kind=key.partition(".")[0],
        action="reveal",
    )
    return value
