"""Demo data for the verification-point programme (idempotent; the lead's demo seeding calls it).

One operating point per provider, staffed by the demo's ``verifier@<slug>.demo``, and one
application in each review state. Every scan is a generated PDF saying "SAMPLE - DEMO ONLY".
Demo tracking links are deterministic so the demo can show them:
``/vp/track/demo-<slug>-<state>/`` (demo data only: real applications get random tokens).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from reportlab.pdfgen import canvas
from stdnum.cn import ric, uscc

from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.storage import tenant_file_name
from verification_points.applications.agreement import DEFAULT_SCOPE, agreement_pdf
from verification_points.applications.scans import storage
from verification_points.applications.tokens import token_hash
from verification_points.models import PointStaff, VerificationPoint
from verification_points.models.applications import (
    ApplicationEvent,
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
# (state, company, what happened last) — one application per review state.
DEMO_APPLICATIONS = [
    (A.MATERIAL_REVIEW, "示例材料初审信息服务有限公司", "submit"),
    (A.SUPPLEMENT, "示例补充材料网络科技有限公司", "request_supplement"),
    (A.INSPECTION, "示例待考察数据服务有限公司", "accept"),
    (A.RECTIFYING, "示例整改中信息技术有限公司", "inspection_fail"),
    (A.REINSPECTION, "示例待复查网络服务有限公司", "request_reinspection"),
    (A.AGREEMENT, "示例签约中科技有限公司", "inspection_pass"),
    (A.TRAINING, "示例培训中信息服务有限公司", "agreement_signed"),
    (A.ACTIVE, "示例已开通核验服务有限公司", "activate"),
    (A.WITHDRAWN, "示例逾期放弃网络有限公司", "supplement_late"),
    (A.LAPSED, "示例复查失效科技有限公司", "reinspection_fail"),
    (A.REFUSED, "示例虚假材料贸易有限公司", "refuse_false"),
]


def _sample_pdf(label: str) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("Helvetica-Bold", 28)
    c.drawString(72, 720, "SAMPLE - DEMO ONLY")
    c.setFont("Helvetica", 14)
    c.drawString(72, 690, label)
    c.showPage()
    c.save()
    return buf.getvalue()


_DEMO_ID = "33010619850101123" + ric.calc_check_digit("33010619850101123" + "0")


def _code(provider_pk: int, i: int) -> str:
    body = f"91330106MD{provider_pk % 100:02d}{i:05d}"
    return body + uscc.calc_check_digit(body)


def _scan(app: PointApplication, kind: str, *, staff: PlannedStaff | None = None) -> ApplicationScan:
    data = _sample_pdf(f"{kind} {app.company_name.encode('ascii', 'ignore').decode() or app.pk}")
    name = storage().save(
        tenant_file_name(tenant_id=app.tenant_id, kind=f"vp_{kind}", extension="pdf"), ContentFile(data)
    )
    return ApplicationScan.objects.create(
        tenant_id=app.tenant_id,
        application=app,
        kind=kind,
        staff=staff,
        storage_name=name,
        original_name=f"{kind}-sample.pdf",
        file_format="pdf",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _event(
    app: PointApplication, kind: str, actor, *, to: str, frm: str = "", actor_kind: str = "admin"
) -> None:
    ApplicationEvent.objects.create(
        tenant_id=app.tenant_id,
        application=app,
        actor=actor,
        actor_kind=actor_kind,
        kind=kind,
        from_status=frm,
        to_status=to,
    )


def _agreement(app: PointApplication, admin, now, *, signed: bool) -> PointAgreement:
    prices = (Decimal("20.00"), Decimal("25.00"), Decimal("30.00"))
    pdf = agreement_pdf(
        provider_name=app.tenant.name,
        company_name=app.company_name,
        credit_code=app.credit_code,
        premises_address=app.premises_address,
        legal_contact=f"{app.manager_name} {app.manager_mobile}",
        business_scope=DEFAULT_SCOPE,
        price_low=prices[0],
        price_mid=prices[1],
        price_high=prices[2],
        number=f"VP-{app.tenant_id}-{app.pk}",
        today=timezone.localdate(),
    )
    name = storage().save(
        tenant_file_name(tenant_id=app.tenant_id, kind="vp_agreement", extension="pdf"), ContentFile(pdf)
    )
    signed_scan = _scan(app, ScanKind.AGREEMENT_SIGNED) if signed else None
    return PointAgreement.objects.create(
        tenant_id=app.tenant_id,
        application=app,
        business_scope=DEFAULT_SCOPE,
        price_low=prices[0],
        price_mid=prices[1],
        price_high=prices[2],
        storage_name=name,
        generated_by=admin,
        generated_at=now,
        signed_scan=signed_scan,
        signed_at=now if signed else None,
    )


def demo_point_operating_since() -> dt.datetime:
    """Midnight on the 1st of the month three months before today's (Asia/Shanghai)."""
    month = timezone.localdate().replace(day=1)
    for _ in range(3):
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return timezone.make_aware(dt.datetime.combine(month, dt.time()))


@transaction.atomic
def demo_point_programme_seed(provider, *, verifier_user) -> VerificationPoint:
    """The provider's demo point (``verifier_user`` as its staff) and one application per state."""
    from icpfiling.accounts.models import Role, User

    now = timezone.now()
    # The demo point has operated for months, so the months before today's are settled
    # and /points/statements/ has statements whatever day the demo is started (issue 12).
    since = demo_point_operating_since()
    with tenant_scope(provider):
        point = VerificationPoint.objects.filter(name=f"{provider.name} 示例核验点").first()
        if point is None:
            point = VerificationPoint.objects.create(
                tenant=provider,
                name=f"{provider.name} 示例核验点",
                address="杭州市西湖区示例路 8 号 1 楼（演示）",
                phone="0571-88880000",
                activated_at=since,
            )
        elif point.activated_at is None or point.activated_at > since:
            VerificationPoint.objects.filter(pk=point.pk).update(activated_at=since)
        PointStaff.objects.get_or_create(user=verifier_user, defaults={"tenant": provider, "point": point})
        admin = (
            User.objects.filter(provider=provider, membership__role=Role.PROVIDER_ADMIN)
            .order_by("pk")
            .first()
            or verifier_user
        )
        for i, (state, company, last) in enumerate(DEMO_APPLICATIONS, start=1):
            code = _code(provider.pk, i)
            if PointApplication.objects.filter(credit_code=code).exists():
                continue
            _application(provider, point, admin, verifier_user, state, company, last, code, now)
    return point


def _application(provider, point, admin, verifier_user, state, company, last, code, now) -> None:
    app = PointApplication.objects.create(
        tenant=provider,
        status=state,
        company_name=company,
        credit_code=code,
        registered_address="杭州市西湖区示例路 8 号",
        business_scope="信息技术咨询服务；网络技术服务（演示数据）",
        premises_address="杭州市西湖区示例路 8 号 1 楼",
        premises_area=Decimal("60.0"),
        manager_name="演示负责人",
        manager_mobile="13905719000",
        manager_email=f"vp-{state}@{provider.slug}.demo",
        manager_id_number=_DEMO_ID,
        has_computer=True,
        has_printer=True,
        has_document_camera=True,
        has_reception_area=True,
        tracking_token_hash=token_hash(f"demo-{provider.slug}-{state}"),
        submitted_at=now - dt.timedelta(days=3),
        status_changed_at=now,
        review_due_at=now + dt.timedelta(days=4) if state == A.MATERIAL_REVIEW else None,
        inspection_due_at=now + dt.timedelta(days=9) if state in (A.INSPECTION, A.REINSPECTION) else None,
        supplement_due_at=now + dt.timedelta(days=5) if state == A.SUPPLEMENT else None,
        rectify_due_at=now + dt.timedelta(days=12) if state == A.RECTIFYING else None,
        closed_reason={A.REFUSED: "营业执照与登记信息不符（演示）"}.get(state, ""),
        point=point if state == A.ACTIVE else None,
    )
    staff = [
        PlannedStaff.objects.create(
            tenant=provider,
            application=app,
            position=n,
            name=f"演示员工{n}",
            experience="两年客服及备案代办经验",
            mobile=f"1390571900{n}",
            email=f"vp-{state}-{n}@{provider.slug}.demo",
            account=verifier_user if state == A.ACTIVE and n == 1 else None,
        )
        for n in (1, 2)
    ]
    for kind in (ScanKind.LICENCE, ScanKind.LEGAL_REP_ID, ScanKind.PREMISES_PROOF):
        _scan(app, kind)
    for s in staff:
        _scan(app, ScanKind.STAFF_ID, staff=s)
        _scan(app, ScanKind.STAFF_DIPLOMA, staff=s)
    _event(app, "submit", None, to=A.MATERIAL_REVIEW, actor_kind="company")
    if state in (A.SUPPLEMENT, A.WITHDRAWN):
        SupplementRequest.objects.create(
            tenant=provider,
            application=app,
            items="请补充场地租赁合同的签字页（演示）",
            due_at=now + dt.timedelta(days=5) if state == A.SUPPLEMENT else now - dt.timedelta(days=1),
            requested_by=admin,
        )
    failed_once = state in (A.RECTIFYING, A.REINSPECTION, A.LAPSED)
    if failed_once:
        Inspection.objects.create(
            tenant=provider,
            application=app,
            round=1,
            scheduled_for=now - dt.timedelta(days=2),
            premises_match=False,
            equipment_ok=True,
            staff_know_process=True,
            result=InspectionResult.FAILED,
            notes="接待区域未与办公区分隔（演示）",
            recorded_by=admin,
            recorded_at=now - dt.timedelta(days=2),
            rectify_due_at=now + dt.timedelta(days=12),
        )
    if state == A.LAPSED:
        Inspection.objects.create(
            tenant=provider,
            application=app,
            round=2,
            result=InspectionResult.FAILED,
            notes="复查仍不符合（演示）",
            recorded_by=admin,
            recorded_at=now,
        )
    if state in (A.INSPECTION, A.REINSPECTION):
        Inspection.objects.create(
            tenant=provider,
            application=app,
            round=2 if state == A.REINSPECTION else 1,
            scheduled_for=now + dt.timedelta(days=2),
        )
    if state in (A.AGREEMENT, A.TRAINING, A.ACTIVE):
        Inspection.objects.create(
            tenant=provider,
            application=app,
            round=1,
            premises_match=True,
            equipment_ok=True,
            staff_know_process=True,
            result=InspectionResult.PASSED,
            recorded_by=admin,
            recorded_at=now,
        )
        _agreement(app, admin, now, signed=state != A.AGREEMENT)
    if state == A.ACTIVE:
        session = TrainingSession.objects.create(
            tenant=provider,
            application=app,
            starts_on=timezone.localdate() - dt.timedelta(days=2),
            ends_on=timezone.localdate() - dt.timedelta(days=1),
            notes="核验系统操作、备案政策（演示）",
            recorded_by=admin,
        )
        for s in staff:
            TrainingResult.objects.create(tenant=provider, session=session, staff=s, passed=True)
    if state == A.REFUSED:
        Blacklist.objects.get_or_create(
            credit_code=app.credit_code,
            defaults={
                "tenant": provider,
                "company_name": company,
                "reason": app.closed_reason,
                "application": app,
                "created_by": admin,
            },
        )
    if last != "submit":
        _event(
            app, last, admin if last not in ("request_reinspection", "supplement_late") else None, to=state
        )
