"""The verification-point application programme (R-K1..R-K3, seed 000): every step and deadline."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django.test import TestCase
from django.utils import timezone
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject
from reportlab.pdfgen import canvas

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.core.sample_images import sample_image
from icpfiling.core.workdays import add_working_days_at
from icpfiling.notifications.models import OutboxMessage
from icpfiling.tenancy.context import tenant_scope
from icpfiling.uploads.pdf_check import check_pdf
from tests.factories import make_ric, make_uscc
from tests.services import requires_postgres
from verification_points.applications import services as svc
from verification_points.applications.scans import CheckedScan, scan_check
from verification_points.applications.tokens import token_hash
from verification_points.models import PointStaff, VerificationPoint
from verification_points.models.applications import (
    ApplicationEvent,
    ApplicationFileAccess,
    ApplicationScan,
    ApplicationStatus,
    Blacklist,
    PlannedStaff,
    PointApplication,
)

pytestmark = pytest.mark.django_db
S = ApplicationStatus
TZ = timezone.get_fixed_timezone(8 * 60)
# A Monday with no holiday around it: working-day arithmetic is plain here.
T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)


# --- builders -------------------------------------------------------------------------------


def good_pdf(text: str = "SAMPLE - DEMO ONLY") -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.drawString(100, 750, text)
    c.showPage()
    c.save()
    return buf.getvalue()


def _rewrite(mutate) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf())))
    mutate(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _js_action():
    return DictionaryObject(
        {NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1)")}
    )


def _name_tree_js(w):
    tree = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("x"), w._add_object(_js_action())])}
    )
    w._root_object[NameObject("/Names")] = DictionaryObject({NameObject("/JavaScript"): tree})


def _open_action_js(w):
    w._root_object[NameObject("/OpenAction")] = _js_action()


def _launch_link(w):
    action = DictionaryObject(
        {NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc")}
    )
    annot = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): action,
        }
    )
    w.pages[0][NameObject("/Annots")] = ArrayObject([w._add_object(annot)])


def _link_action(action: dict):
    def mutate(w):
        annot = DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/Link"),
                NameObject("/A"): DictionaryObject({NameObject(k): v for k, v in action.items()}),
            }
        )
        w.pages[0][NameObject("/Annots")] = ArrayObject([w._add_object(annot)])

    return mutate


def _uri(uri: str):
    return _rewrite(_link_action({"/S": NameObject("/URI"), "/URI": TextStringObject(uri)}))


def _page_aa(w):
    w.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): _js_action()})


def _xfa(w):
    w._root_object[NameObject("/AcroForm")] = DictionaryObject(
        {NameObject("/XFA"): TextStringObject("<xdp/>")}
    )


def _rich_media(w):
    annot = DictionaryObject(
        {NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/RichMedia")}
    )
    w.pages[0][NameObject("/Annots")] = ArrayObject([w._add_object(annot)])


def checked_pdf(label: str = "scan") -> CheckedScan:
    return scan_check(SimpleUploadedFile(f"{label}.pdf", good_pdf(label), "application/pdf"))


def values(code: str | None = None, **over) -> dict:
    base = {
        "company_name": "杭州示例核验服务有限公司",
        "credit_code": code or make_uscc(),
        "registered_address": "杭州市西湖区示例路 1 号",
        "business_scope": "信息技术咨询服务",
        "premises_address": "杭州市西湖区示例路 1 号 2 楼",
        "premises_area": Decimal("80.0"),
        "manager_name": "钱经理",
        "manager_mobile": "13905710021",
        "manager_email": "manager@company.test",
        "manager_id_number": make_ric("33010619850101123"),
        "has_computer": True,
        "has_printer": True,
        "has_document_camera": True,
        "has_reception_area": True,
    }
    base.update(over)
    return base


def people(n: int = 2) -> list[dict]:
    return [
        {
            "name": f"员工{i}",
            "experience": "三年备案代办经验",
            "mobile": f"1390571003{i}",
            "email": f"staff{i}@company.test",
            "id_scans": [checked_pdf(f"id{i}")],
            "diploma_scans": [checked_pdf(f"diploma{i}")],
        }
        for i in range(1, n + 1)
    ]


def submit(tenant, *, code=None, staff=2, now=T0) -> tuple[PointApplication, str]:
    with tenant_scope(tenant.provider):
        return svc.application_submit(
            tenant=tenant.provider,
            values=values(code),
            staff=people(staff),
            scans={k: [checked_pdf(k)] for k in ("licence", "legal_rep_id", "premises_proof")},
            site_url=f"http://{tenant.host}/",
            now=now,
        )


def reload(tenant, application) -> PointApplication:
    with tenant_scope(tenant.provider):
        return PointApplication.objects.get(pk=application.pk)


def events(tenant, application) -> list[str]:
    with tenant_scope(tenant.provider):
        return list(ApplicationEvent.objects.filter(application=application).values_list("kind", flat=True))


def admin(tenant):
    return tenant.users[Role.PROVIDER_ADMIN]


def to_inspection(tenant, application, now=T0):
    with tenant_scope(tenant.provider):
        return svc.application_accept(application=reload(tenant, application), actor=admin(tenant), now=now)


def record(tenant, application, *, passed: bool, now):
    with tenant_scope(tenant.provider):
        return svc.application_record_inspection(
            application=reload(tenant, application),
            actor=admin(tenant),
            premises_match=passed,
            equipment_ok=True,
            staff_know_process=True,
            passed=passed,
            notes="" if passed else "接待区域与办公区未分隔",
            now=now,
        )


@pytest.fixture
def private_root(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path), "base_url": None},
        },
    }
    return tmp_path


def stored_files(root) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def form_post(code: str, *, staff: int = 2, **over) -> dict:
    data = {
        **{k: str(v) for k, v in values(code).items() if not k.startswith("has_")},
        "has_computer": "on",
        "has_printer": "on",
        "has_document_camera": "on",
        "has_reception_area": "on",
        "licence": SimpleUploadedFile("licence.pdf", good_pdf("licence"), "application/pdf"),
        "legal_rep_id": SimpleUploadedFile("id.jpg", sample_image("legal rep id"), "image/jpeg"),
        "premises_proof": SimpleUploadedFile("lease.pdf", good_pdf("lease"), "application/pdf"),
        "staff-TOTAL_FORMS": "3",
        "staff-INITIAL_FORMS": "0",
        "staff-MIN_NUM_FORMS": "2",
        "staff-MAX_NUM_FORMS": "6",
    }
    for i in range(staff):
        data.update(
            {
                f"staff-{i}-name": f"员工{i}",
                f"staff-{i}-experience": "两年客服经验",
                f"staff-{i}-mobile": f"1390571004{i}",
                f"staff-{i}-email": f"p{i}@company.test",
                f"staff-{i}-id_scans": SimpleUploadedFile(
                    f"id{i}.pdf", good_pdf(f"id{i}"), "application/pdf"
                ),
                f"staff-{i}-diploma_scans": SimpleUploadedFile(
                    f"d{i}.jpg", sample_image(f"d{i}"), "image/jpeg"
                ),
            }
        )
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


# --- R-K1: applying -------------------------------------------------------------------------


def test_r_k1_company_applies_with_scans_and_gets_a_secret_tracking_link(
    alpha, beta, private_root, mailoutbox
):
    # given a company on alpha's public page (no login)
    code = make_uscc()
    client = alpha.client()
    assert client.get("/vp/apply/").status_code == 200
    # when it submits the form with PDF and JPG scans
    r = client.post("/vp/apply/", form_post(code))
    # then it lands on its tracking page, and the link went to the manager by email
    assert r.status_code == 302
    token = r["Location"].split("/vp/track/")[1].strip("/")
    with tenant_scope(alpha.provider):
        app = PointApplication.objects.get()
        assert app.credit_code == code
        assert app.status == S.MATERIAL_REVIEW
        assert app.tracking_token_hash == token_hash(token)
        assert token not in app.tracking_token_hash
        assert app.review_due_at == add_working_days_at(app.submitted_at, 5)
        assert list(app.staff.values_list("position", "email")) == [
            (1, "p0@company.test"),
            (2, "p1@company.test"),
        ]
        kinds = sorted(app.scans.values_list("kind", "file_format"))
        names = list(app.scans.values_list("storage_name", flat=True))
    assert kinds == sorted(
        [
            ("licence", "pdf"),
            ("legal_rep_id", "jpeg"),
            ("premises_proof", "pdf"),
            ("staff_id", "pdf"),
            ("staff_id", "pdf"),
            ("staff_diploma", "jpeg"),
            ("staff_diploma", "jpeg"),
        ]
    )
    # stored privately under tenant-prefixed generated names
    assert all(
        re.fullmatch(rf"t{alpha.provider.pk}/vp_[a-z_]+/\d{{4}}/[0-9a-f]{{32}}\.(pdf|jpg)", n) for n in names
    )
    assert stored_files(private_root) == sorted(names)
    company_mail = [m for m in mailoutbox if m.to == ["manager@company.test"]]
    assert len(company_mail) == 1
    assert f"http://alpha.localhost/vp/track/{token}/" in company_mail[0].body
    assert [m.to for m in mailoutbox if m.to != ["manager@company.test"]] == [["provider_admin@alpha.test"]]
    page = alpha.client().get(f"/vp/track/{token}/").content.decode()
    assert "材料初审中" in page
    # and the token opens nothing on beta's host
    assert beta.client().get(f"/vp/track/{token}/").status_code == 404


def test_r_k1_every_bad_input_is_named_and_nothing_is_written(alpha, private_root, mailoutbox):
    # given a form with a wrong credit code, a landline as mobile, a bad ID, no document camera,
    # one staff member only, and a script-bearing PDF
    data = form_post(
        "91330106MA0000001X",
        staff=1,
        manager_mobile="0571-87654321",
        manager_id_number="330106198501011230",
        has_document_camera=None,
        licence=SimpleUploadedFile("licence.pdf", _rewrite(_name_tree_js), "application/pdf"),
    )
    # when it is submitted
    r = alpha.client().post("/vp/apply/", data)
    # then every problem is named at once
    assert r.status_code == 400
    form, staff = r.context["form"], r.context["staff"]
    assert set(form.errors) == {
        "credit_code",
        "manager_mobile",
        "manager_id_number",
        "has_document_camera",
        "licence",
    }
    assert "高拍仪" in form.errors["has_document_camera"][0]
    assert "JavaScript" in form.errors["licence"][0]
    assert set(staff.forms[1].errors) == {
        "name",
        "experience",
        "mobile",
        "email",
        "id_scans",
        "diploma_scans",
    }
    body = r.content.decode()
    assert "请修改以下问题后再提交" in body
    # and nothing was written: no row, no file, no mail
    with tenant_scope(alpha.provider):
        assert PointApplication.objects.count() == 0
        assert ApplicationScan.objects.count() == 0
    assert stored_files(private_root) == []
    assert OutboxMessage.objects.count() == 0
    assert mailoutbox == []


def test_r_k2_two_staff_minimum(alpha, private_root):
    # given one planned staff member (the service itself, not only the form, refuses)
    with pytest.raises(ValidationError) as exc:
        submit(alpha, staff=1)
    # then the error names the staff and nothing was stored
    assert "staff" in exc.value.message_dict
    assert "至少需要配备 2 名" in exc.value.message_dict["staff"][0]
    with tenant_scope(alpha.provider):
        assert PointApplication.objects.count() == 0
    assert stored_files(private_root) == []


def test_r_k2_each_missing_equipment_is_named(alpha):
    # given a company without printer and reception area
    data = values(has_printer=False, has_reception_area=False)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        svc.application_submit(
            tenant=alpha.provider,
            values=data,
            staff=people(2),
            scans={k: [checked_pdf(k)] for k in ("licence", "legal_rep_id", "premises_proof")},
            site_url="http://alpha.localhost/",
        )
    # then exactly those two are named
    errors = exc.value.message_dict
    assert set(errors) == {"has_printer", "has_reception_area"}
    assert "打印机" in errors["has_printer"][0]
    assert "独立接待区域" in errors["has_reception_area"][0]


def test_r_k1_one_open_application_per_credit_code_by_database_constraint(alpha, beta):
    # given an open application for a credit code at alpha
    code = make_uscc()
    first, _token = submit(alpha, code=code)
    # when the same company applies again at alpha, the service refuses on the field
    with pytest.raises(ValidationError) as exc:
        submit(alpha, code=code)
    assert "正在办理" in exc.value.message_dict["credit_code"][0]
    # and the database itself refuses a second open row
    with tenant_scope(alpha.provider), pytest.raises(IntegrityError), transaction.atomic():
        PointApplication.objects.create(tenant=alpha.provider, tracking_token_hash="x" * 64, **values(code))
    # but another provider is a separate programme
    other, _ = submit(beta, code=code)
    assert other.status == S.MATERIAL_REVIEW
    with tenant_scope(alpha.provider):
        assert list(PointApplication.objects.values_list("pk", flat=True)) == [first.pk]


# --- PDF check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda: _rewrite(lambda w: w.encrypt("secret")), "pdf_encrypted"),
        (lambda: _rewrite(_name_tree_js), "pdf_javascript"),
        (lambda: _rewrite(_open_action_js), "pdf_open_action"),
        (lambda: _rewrite(_launch_link), "pdf_launch"),
        (lambda: _rewrite(lambda w: w.add_attachment("a.exe", b"MZ")), "pdf_embedded_file"),
        (lambda: _rewrite(_page_aa), "pdf_auto_action"),
        (lambda: _rewrite(_xfa), "pdf_xfa"),
        (lambda: _rewrite(_rich_media), "pdf_rich_media"),
        (
            lambda: good_pdf().replace(
                b"/Type /Catalog", b"/Type /Catalog /Names << /J#61vaScript 99 0 R >>"
            ),
            "pdf_javascript",
        ),
        (lambda: b"%PDF-1.7\nthis is not really a pdf\n%%EOF\n", "pdf_broken"),
        (lambda: b"just some text, renamed to .pdf", "not_pdf"),
        (lambda: b"", "empty"),
        (lambda: b"%PDF-1.4\n" + b"0" * (5 * 1024 * 1024), "too_large"),
        (lambda: _uri("javascript:alert(document.cookie)"), "pdf_uri_script"),
        (lambda: _uri("  JaVa\tScRiPt:alert(1)"), "pdf_uri_script"),
        (lambda: _uri("data:text/html,<script>alert(1)</script>"), "pdf_uri_script"),
        (lambda: _uri("file:///etc/passwd"), "pdf_uri_script"),
        (
            lambda: _rewrite(
                _link_action(
                    {"/S": NameObject("/SubmitForm"), "/F": TextStringObject("https://evil.example/")}
                )
            ),
            "pdf_form_action",
        ),
        (lambda: _rewrite(_link_action({"/S": NameObject("/ImportData")})), "pdf_form_action"),
        (
            lambda: _rewrite(_link_action({"/S": NameObject("/GoToR"), "/F": TextStringObject("x.pdf")})),
            "pdf_remote_action",
        ),
        (lambda: b"<html><script>alert(1)</script></html>\n" + good_pdf(), "pdf_leading_bytes"),
    ],
    ids=[
        "encrypted",
        "javascript",
        "open-action-js",
        "launch",
        "embedded-file",
        "additional-actions",
        "xfa",
        "rich-media",
        "escaped-name",
        "broken",
        "not-a-pdf",
        "empty",
        "too-large",
        "finding-5-uri-javascript",
        "finding-5-uri-javascript-obfuscated",
        "finding-5-uri-data",
        "finding-5-uri-file",
        "finding-5-submit-form",
        "finding-5-import-data",
        "finding-5-goto-remote",
        "finding-5-html-before-header",
    ],
)
def test_r_d2_pdf_check_refuses_with_a_clear_code(make, code):
    with pytest.raises(ValidationError) as exc:
        check_pdf(make(), name="scan.pdf")
    assert exc.value.code == code
    assert "scan.pdf" in exc.value.messages[0]


def test_r_d2_good_pdf_is_accepted_unchanged():
    data = good_pdf()
    checked = check_pdf(data, name="licence.pdf")
    assert checked.data == data
    assert checked.pages == 1


def test_r_d2_scan_type_comes_from_the_content_not_the_name():
    # a JPG named .pdf is a JPG (re-encoded through the image pipeline)
    jpg = scan_check(SimpleUploadedFile("licence.pdf", sample_image("x"), "application/pdf"))
    assert (jpg.file_format, jpg.extension) == ("jpeg", "jpg")
    # a text file named .pdf is refused, and so is a PNG (only PDF and JPG are taken)
    for name, data in (("licence.pdf", b"plain text"), ("licence.png", sample_image("x", fmt="PNG"))):
        with pytest.raises(ValidationError) as exc:
            scan_check(SimpleUploadedFile(name, data, "application/pdf"))
        assert exc.value.code == "scan_format"


# --- R-K3: material review and supplements ----------------------------------------------------


def test_r_k3_supplement_answered_in_time_returns_to_material_review(alpha, private_root, mailoutbox):
    app, _token = submit(alpha)
    with tenant_scope(alpha.provider):
        svc.application_request_supplement(
            application=reload(alpha, app),
            actor=admin(alpha),
            items="请补充场地租赁合同第 2 页",
            due_on=dt.date(2026, 3, 6),
            now=T0,
        )
    app = reload(alpha, app)
    assert app.status == S.SUPPLEMENT
    assert app.supplement_due_at == dt.datetime(2026, 3, 7, 0, 0, tzinfo=TZ)
    # when the company answers on the last day, through its link
    with tenant_scope(alpha.provider):
        ok = svc.application_answer_supplement(
            application=app,
            note="已补充",
            scans=[checked_pdf("lease p2")],
            now=dt.datetime(2026, 3, 6, 23, 59, tzinfo=TZ),
        )
    # then it is back in material review with a fresh 5-working-day clock
    assert ok is True
    app = reload(alpha, app)
    assert app.status == S.MATERIAL_REVIEW
    assert app.review_due_at == dt.datetime(2026, 3, 13, 23, 59, tzinfo=TZ)
    assert app.supplement_due_at is None
    with tenant_scope(alpha.provider):
        assert app.scans.filter(kind="supplement").count() == 1
        assert app.supplements.get().answered_at is not None
    assert events(alpha, app) == ["submit", "request_supplement", "answer_supplement"]


def test_r_k3_supplement_answered_late_counts_as_withdrawal(alpha, private_root):
    app, _token = submit(alpha)
    with tenant_scope(alpha.provider):
        svc.application_request_supplement(
            application=reload(alpha, app),
            actor=admin(alpha),
            items="补充",
            due_on=dt.date(2026, 3, 6),
            now=T0,
        )
    files_before = stored_files(private_root)
    # when the answer comes one minute after the deadline day
    with tenant_scope(alpha.provider):
        ok = svc.application_answer_supplement(
            application=reload(alpha, app),
            note="迟到的补充",
            scans=[checked_pdf("late")],
            now=dt.datetime(2026, 3, 7, 0, 1, tzinfo=TZ),
        )
    # then the application is withdrawn and nothing of the answer is stored
    assert ok is False
    app = reload(alpha, app)
    assert app.status == S.WITHDRAWN
    assert stored_files(private_root) == files_before
    with tenant_scope(alpha.provider):
        assert app.scans.filter(kind="supplement").count() == 0
        assert app.supplements.get().answered_at is None
    assert events(alpha, app)[-1] == "supplement_late"
    # and a second answer is refused as "wrong state", changing nothing
    with tenant_scope(alpha.provider), pytest.raises(ValidationError):
        svc.application_answer_supplement(
            application=app, note="x", scans=[], now=dt.datetime(2026, 3, 7, 1, 0, tzinfo=TZ)
        )
    assert events(alpha, app)[-1] == "supplement_late"


def test_r_k3_late_answer_through_the_tracking_page_withdraws(alpha, private_root):
    app, token = submit(alpha)
    with tenant_scope(alpha.provider):
        svc.application_request_supplement(
            application=reload(alpha, app),
            actor=admin(alpha),
            items="补充",
            due_on=timezone.localdate() + dt.timedelta(days=1),
        )
        PointApplication.objects.filter(pk=app.pk).update(
            supplement_due_at=timezone.now() - dt.timedelta(minutes=1)
        )
    r = alpha.client().post(f"/vp/track/{token}/supplement/", {"note": "补充"})
    assert r.status_code == 302
    assert reload(alpha, app).status == S.WITHDRAWN
    assert "视为放弃" in alpha.client().get(f"/vp/track/{token}/").content.decode()


def test_r_k3_sweep_withdraws_late_supplements_exactly_once(alpha, beta, private_root):
    # given one overdue application at each provider and one still in time at alpha
    late_a, _ = submit(alpha)
    late_b, _ = submit(beta)
    in_time, _ = submit(alpha)
    for tenant, app, due in (
        (alpha, late_a, dt.date(2026, 3, 6)),
        (beta, late_b, dt.date(2026, 3, 6)),
        (alpha, in_time, dt.date(2026, 3, 9)),
    ):
        with tenant_scope(tenant.provider):
            svc.application_request_supplement(
                application=reload(tenant, app), actor=admin(tenant), items="补充", due_on=due, now=T0
            )
    sweep_at = dt.datetime(2026, 3, 7, 8, 0, tzinfo=TZ)
    mails_before = OutboxMessage.objects.filter(subject__contains="视为放弃").count()
    # when the sweep runs twice
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = svc.applications_sweep(now=sweep_at)
    second = svc.applications_sweep(now=sweep_at)
    # then both overdue ones are withdrawn once, the other is untouched
    assert (first, second) == (2, 0)
    assert reload(alpha, late_a).status == S.WITHDRAWN
    assert reload(beta, late_b).status == S.WITHDRAWN
    assert reload(alpha, in_time).status == S.SUPPLEMENT
    assert events(alpha, late_a).count("supplement_late") == 1
    assert OutboxMessage.objects.filter(subject__contains="视为放弃").count() == mails_before + 2


# --- R-K3: inspection and rectification -------------------------------------------------------


def test_r_k3_inspection_pass_needs_every_finding(alpha):
    app, _ = submit(alpha)
    to_inspection(alpha, app)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        svc.application_record_inspection(
            application=reload(alpha, app),
            actor=admin(alpha),
            premises_match=True,
            equipment_ok=False,
            staff_know_process=True,
            passed=True,
            now=T0,
        )
    assert "result" in exc.value.message_dict
    assert reload(alpha, app).status == S.INSPECTION


def test_r_k3_failed_inspection_rectified_on_day_15_is_reinspected(alpha):
    app, _token = submit(alpha)
    to_inspection(alpha, app)
    record(alpha, app, passed=False, now=T0)
    app = reload(alpha, app)
    assert app.status == S.RECTIFYING
    assert app.rectify_due_at == dt.datetime(2026, 3, 18, 0, 0, tzinfo=TZ)  # the whole of day 15 (17 March)
    # when the company asks for re-inspection late on day 15
    with tenant_scope(alpha.provider):
        ok = svc.application_request_reinspection(
            application=app, now=dt.datetime(2026, 3, 17, 23, 30, tzinfo=TZ)
        )
    assert ok is True
    assert reload(alpha, app).status == S.REINSPECTION
    # and the sweep on day 16 leaves it alone
    assert svc.applications_sweep(now=dt.datetime(2026, 3, 18, 9, 0, tzinfo=TZ)) == 0
    # a passed re-inspection goes on to the agreement
    record(alpha, app, passed=True, now=dt.datetime(2026, 3, 20, 10, 0, tzinfo=TZ))
    assert reload(alpha, app).status == S.AGREEMENT
    assert events(alpha, app) == [
        "submit",
        "accept",
        "inspection_fail",
        "request_reinspection",
        "inspection_pass",
    ]


def test_r_k3_failed_inspection_rectified_on_day_16_lapses(alpha):
    app, _token = submit(alpha)
    to_inspection(alpha, app)
    record(alpha, app, passed=False, now=T0)
    # when the company asks on day 16, just after midnight
    with tenant_scope(alpha.provider):
        ok = svc.application_request_reinspection(
            application=reload(alpha, app), now=dt.datetime(2026, 3, 18, 0, 0, 1, tzinfo=TZ)
        )
    # then the application has lapsed
    assert ok is False
    assert reload(alpha, app).status == S.LAPSED
    assert events(alpha, app)[-1] == "rectify_late"


def test_r_k3_sweep_lapses_rectification_on_day_16_exactly_once(alpha):
    app, _ = submit(alpha)
    to_inspection(alpha, app)
    record(alpha, app, passed=False, now=T0)
    # on day 15 the sweep does nothing, on day 16 it lapses, a rerun does nothing
    assert svc.applications_sweep(now=dt.datetime(2026, 3, 17, 23, 59, tzinfo=TZ)) == 0
    assert reload(alpha, app).status == S.RECTIFYING
    assert svc.applications_sweep(now=dt.datetime(2026, 3, 18, 0, 0, tzinfo=TZ)) == 1
    assert svc.applications_sweep(now=dt.datetime(2026, 3, 19, 0, 0, tzinfo=TZ)) == 0
    assert reload(alpha, app).status == S.LAPSED
    assert events(alpha, app).count("rectify_late") == 1


def test_r_k3_failed_reinspection_lapses(alpha):
    app, _ = submit(alpha)
    to_inspection(alpha, app)
    record(alpha, app, passed=False, now=T0)
    with tenant_scope(alpha.provider):
        svc.application_request_reinspection(application=reload(alpha, app), now=T0 + dt.timedelta(days=3))
    record(alpha, app, passed=False, now=T0 + dt.timedelta(days=5))
    app = reload(alpha, app)
    assert app.status == S.LAPSED
    assert app.rectify_due_at is None
    assert events(alpha, app)[-1] == "reinspection_fail"


# --- R-K3: agreement, training, activation ----------------------------------------------------


def _to_training(tenant, app, *, x="18.00", y="22.00", z="26.00"):
    to_inspection(tenant, app)
    record(tenant, app, passed=True, now=T0)
    with tenant_scope(tenant.provider):
        svc.application_agreement_generate(
            application=reload(tenant, app),
            actor=admin(tenant),
            business_scope="身份核验与备案咨询",
            price_low=Decimal(x),
            price_mid=Decimal(y),
            price_high=Decimal(z),
        )
        svc.application_agreement_signed(
            application=reload(tenant, app), actor=admin(tenant), scan=checked_pdf("signed")
        )


def test_r_k3_agreement_pdf_carries_the_tier_prices(alpha, private_root):
    app, token = submit(alpha)
    to_inspection(alpha, app)
    record(alpha, app, passed=True, now=T0)
    with tenant_scope(alpha.provider):
        agreement = svc.application_agreement_generate(
            application=reload(alpha, app),
            actor=admin(alpha),
            business_scope="身份核验",
            price_low=Decimal("18.50"),
            price_mid=Decimal("22.00"),
            price_high=Decimal("26.00"),
        )
    pdf = (private_root / agreement.storage_name).read_bytes()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    for price in ("18.50", "22.00", "26.00"):
        assert price in text
    # the company downloads it through its link; an admin of alpha through the admin page
    r = alpha.client().get(f"/vp/track/{token}/agreement/")
    assert (r.status_code, r["Content-Type"]) == (200, "application/pdf")
    assert b"".join(r.streaming_content) == pdf
    # prices must be positive: nothing changes on a bad one
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        svc.application_agreement_generate(
            application=reload(alpha, app),
            actor=admin(alpha),
            business_scope="x",
            price_low=Decimal("0"),
            price_mid=Decimal("1"),
            price_high=Decimal("1"),
        )
    assert set(exc.value.message_dict) == {"price_low"}
    with tenant_scope(alpha.provider):
        assert reload(alpha, app).agreement.price_low == Decimal("18.50")


def test_r_k3_training_is_two_to_three_days_and_everyone_must_pass(alpha, private_root):
    app, _ = submit(alpha)
    _to_training(alpha, app)
    with tenant_scope(alpha.provider):
        staff = list(PlannedStaff.objects.filter(application=app))
        today = timezone.localdate()
        # one day is not a training; four days neither
        for start in (today, today - dt.timedelta(days=3)):
            with pytest.raises(ValidationError) as exc:
                svc.application_training_record(
                    application=reload(alpha, app),
                    actor=admin(alpha),
                    starts_on=start,
                    ends_on=today,
                    passed_staff_ids={s.pk for s in staff},
                )
            assert "ends_on" in exc.value.message_dict
        # one of two passed: activation is refused, naming who is missing
        svc.application_training_record(
            application=reload(alpha, app),
            actor=admin(alpha),
            starts_on=today - dt.timedelta(days=1),
            ends_on=today,
            passed_staff_ids={staff[0].pk},
        )
        with pytest.raises(ValidationError) as exc:
            svc.application_activate(
                application=reload(alpha, app), actor=admin(alpha), site_url="http://alpha.localhost/"
            )
        assert staff[1].name in exc.value.messages[0]
        assert VerificationPoint.objects.count() == 0
        assert not User.objects.filter(email__in=[s.email for s in staff]).exists()
    assert reload(alpha, app).status == S.TRAINING


def test_r_k3_activation_creates_exactly_the_point_and_the_staff_accounts(
    alpha, beta, private_root, mailoutbox
):
    app, _ = submit(alpha)
    _to_training(alpha, app)
    with tenant_scope(alpha.provider):
        staff = list(PlannedStaff.objects.filter(application=app))
        today = timezone.localdate()
        svc.application_training_record(
            application=reload(alpha, app),
            actor=admin(alpha),
            starts_on=today - dt.timedelta(days=2),
            ends_on=today,
            passed_staff_ids={s.pk for s in staff},
        )
        points_before = VerificationPoint.objects.count()
        users_before = User.objects.count()
        # when the admin activates
        with TestCase.captureOnCommitCallbacks(execute=True):
            point = svc.application_activate(
                application=reload(alpha, app), actor=admin(alpha), site_url="http://alpha.localhost/"
            )
        # then exactly one point, with the agreement's prices and the premises address
        assert VerificationPoint.objects.count() == points_before + 1
        assert (point.tenant_id, point.name, point.address) == (
            alpha.provider.pk,
            app.company_name,
            app.premises_address,
        )
        assert (point.price_low, point.price_mid, point.price_high) == (
            Decimal("18.00"),
            Decimal("22.00"),
            Decimal("26.00"),
        )
        assert point.province_id == "ZJ"
        # and one point-staff account per planned staff member, at this point only
        assert User.objects.count() == users_before + 2
        for s in staff:
            user = User.objects.get(provider=alpha.provider, email=s.email)
            assert user.full_name == s.name
            assert user.email_confirmed_at is not None
            assert not user.has_usable_password()
            m = Membership.objects.get(user=user)
            assert (m.role, m.approved_at is not None, m.tenant_id) == (
                Role.POINT_STAFF,
                True,
                alpha.provider.pk,
            )
            assert PointStaff.objects.get(user=user).point_id == point.pk
            assert PlannedStaff.objects.get(pk=s.pk).account_id == user.pk
        app = reload(alpha, app)
        assert (app.status, app.point_id) == (S.ACTIVE, point.pk)
    # each staff member got a working password-set link
    for s in staff:
        [msg] = [m for m in mailoutbox if m.to == [s.email]]
        link = re.search(r"http://alpha\.localhost(/accounts/reset/\S+)", msg.body).group(1)
        r = alpha.client().get(link, follow=True)
        assert r.context["validlink"] is True
    with tenant_scope(beta.provider):
        assert VerificationPoint.objects.count() == 0


# --- R-K3: false material and the blacklist ---------------------------------------------------


def test_r_k3_false_material_refuses_and_blacklist_blocks_a_new_application(alpha, beta, private_root):
    code = make_uscc()
    app, _token = submit(alpha, code=code)
    # when alpha's admin finds false material
    r = alpha.client(Role.PROVIDER_ADMIN).post(
        f"/vp/applications/{app.pk}/refuse/", {"reason": "营业执照系伪造"}
    )
    assert r.status_code == 302
    app = reload(alpha, app)
    assert app.status == S.REFUSED
    with tenant_scope(alpha.provider):
        entry = Blacklist.objects.get()
        assert (entry.credit_code, entry.reason, entry.application_id) == (code, "营业执照系伪造", app.pk)
    # then the same company cannot apply again at alpha, through the page or the service
    files_before = stored_files(private_root)
    r = alpha.client().post("/vp/apply/", form_post(code))
    assert r.status_code == 400
    assert "黑名单" in r.context["form"].errors["credit_code"][0]
    with pytest.raises(ValidationError) as exc:
        submit(alpha, code=code)
    assert "黑名单" in exc.value.message_dict["credit_code"][0]
    with tenant_scope(alpha.provider):
        assert PointApplication.objects.count() == 1
    assert stored_files(private_root) == files_before
    # while beta's programme is separate
    assert submit(beta, code=code)[0].status == S.MATERIAL_REVIEW


# --- the admin pages and tenancy ----------------------------------------------------------------


def test_r_k3_admin_walks_the_steps_through_the_pages(alpha, private_root):
    app, _ = submit(alpha)
    client = alpha.client(Role.PROVIDER_ADMIN)
    listing = client.get("/vp/applications/").content.decode()
    assert app.company_name in listing
    assert "材料初审中" in listing
    assert client.post(f"/vp/applications/{app.pk}/accept/").status_code == 302
    when = (timezone.localtime() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    assert client.post(f"/vp/applications/{app.pk}/schedule/", {"scheduled_for": when}).status_code == 302
    # a pass with a failed finding is refused on the page, naming the field
    r = client.post(f"/vp/applications/{app.pk}/inspection/", {"premises_match": "on", "result": "passed"})
    assert r.status_code == 400
    assert "result" in r.context["inspection_form"].errors
    assert reload(alpha, app).status == S.INSPECTION
    r = client.post(
        f"/vp/applications/{app.pk}/inspection/",
        {"premises_match": "on", "equipment_ok": "on", "staff_know_process": "on", "result": "passed"},
    )
    assert r.status_code == 302
    assert reload(alpha, app).status == S.AGREEMENT
    assert events(alpha, app) == ["submit", "accept", "inspection_scheduled", "inspection_pass"]


def test_r_t2_another_providers_admin_never_sees_the_application(alpha, beta, private_root):
    app, token = submit(alpha)
    with tenant_scope(alpha.provider):
        scan = app.scans.first()
    client = beta.client(Role.PROVIDER_ADMIN)
    # the detail, every step and every file answer exactly like a missing application
    for path in (
        "/vp/applications/{}/",
        f"/vp/applications/{{}}/scans/{scan.pk}/",
        "/vp/applications/{}/agreement.pdf",
    ):
        foreign = client.get(path.format(app.pk))
        missing = client.get(path.format(987654))
        assert (foreign.status_code, missing.status_code) == (404, 404), path
    r = client.post(f"/vp/applications/{app.pk}/accept/")
    assert r.status_code == 404
    assert app.company_name not in client.get("/vp/applications/").content.decode()
    assert client.get(f"/vp/track/{token}/").status_code == 404
    assert reload(alpha, app).status == S.MATERIAL_REVIEW
    # and alpha's other roles are not admins
    for role in (Role.APPLICANT, Role.REVIEWER, Role.POINT_STAFF):
        assert alpha.client(role).get(f"/vp/applications/{app.pk}/").status_code == 403


def test_r_d4_scan_views_are_audited_and_private(alpha, private_root):
    app, token = submit(alpha)
    with tenant_scope(alpha.provider):
        scan = app.scans.get(kind="licence")
    r = alpha.client(Role.PROVIDER_ADMIN).get(f"/vp/applications/{app.pk}/scans/{scan.pk}/")
    assert r.status_code == 200
    assert (r["Content-Type"], r["Cache-Control"], r["X-Content-Type-Options"]) == (
        "application/pdf",
        "no-store, private",
        "nosniff",
    )
    assert alpha.client().get(f"/vp/track/{token}/scans/{scan.pk}/").status_code == 200
    with tenant_scope(alpha.provider):
        views = list(
            ApplicationFileAccess.objects.filter(scan=scan, action="view")
            .order_by("at", "pk")
            .values_list("actor_id", "via_link")
        )
    assert views == [(admin(alpha).pk, False), (None, True)]


# --- demo -------------------------------------------------------------------------------------


def test_demo_point_programme_seed_is_idempotent_and_covers_every_state(alpha, beta, private_root):
    from icpfiling.demo.points import demo_point_programme_seed

    verifier = alpha.users[Role.POINT_STAFF]
    # when seeded twice
    point = demo_point_programme_seed(alpha.provider, verifier_user=verifier)
    files = stored_files(private_root)
    again = demo_point_programme_seed(alpha.provider, verifier_user=verifier)
    # then one operating point with the verifier as its staff, one application per state
    assert again.pk == point.pk
    assert stored_files(private_root) == files
    with tenant_scope(alpha.provider):
        assert VerificationPoint.objects.count() == 1
        assert PointStaff.objects.get(user=verifier).point_id == point.pk
        assert sorted(PointApplication.objects.values_list("status", flat=True)) == sorted(S.values)
        assert PointApplication.objects.get(status=S.ACTIVE).point_id == point.pk
        refused = PointApplication.objects.get(status=S.REFUSED)
        assert Blacklist.objects.filter(credit_code=refused.credit_code).count() == 1
    with tenant_scope(beta.provider):
        assert PointApplication.objects.count() == 0
    # and the demo tracking link opens the application on alpha's host only
    assert "待补充材料" in alpha.client().get("/vp/track/demo-alpha-supplement/").content.decode()
    # the admin's pages render for every state
    client = alpha.client(Role.PROVIDER_ADMIN)
    with tenant_scope(alpha.provider):
        ids = list(PointApplication.objects.values_list("pk", flat=True))
    for pk in ids:
        assert client.get(f"/vp/applications/{pk}/").status_code == 200


@pytest.mark.parametrize(
    "uri", ["https://beian.miit.gov.cn/", "http://example.com/a", "mailto:a@example.com", "#p2"]
)
def test_finding_5_pdf_with_ordinary_links_is_accepted(uri):
    # given a scan with an ordinary web or mail link / when checked / then accepted unchanged
    data = _uri(uri)
    assert check_pdf(data, name="scan.pdf").data == data


# --- finding 4: masked resident ID and mobiles, audited reveal ---------------------------------


def test_finding_4_admin_sees_application_ids_and_mobiles_masked(alpha, beta):
    # given an application on alpha
    application, _token = submit(alpha)
    full_id = application.manager_id_number
    # when alpha's admin opens it
    page = alpha.client("provider_admin").get(f"/vp/applications/{application.pk}/").content.decode()
    # then no resident ID or mobile is shown in full, each is masked
    for secret in (full_id, "13905710021", "13905710031", "13905710032"):
        assert secret not in page
    assert f"{full_id[:4]}**********{full_id[-4:]}" in page
    assert "139****0021" in page
    assert "139****0031" in page
    # and opening the page was no reveal
    with tenant_scope(alpha.provider):
        assert not ApplicationFileAccess.objects.filter(action="reveal").exists()


@pytest.mark.parametrize(
    ("key", "shown"),
    [("manager_id_number", None), ("manager_mobile", "13905710021"), ("staff_mobile.2", "13905710032")],
)
def test_finding_4_reveal_shows_one_value_and_is_audited(alpha, beta, key, shown):
    application, _token = submit(alpha)
    shown = shown or application.manager_id_number
    admin = alpha.client("provider_admin")
    # when the admin reveals one value
    response = admin.post(f"/vp/applications/{application.pk}/reveal/", {"field": key})
    # then that value (only) is on the page, and the reveal is recorded with who and what
    assert response.status_code == 200
    page = response.content.decode()
    assert shown in page
    assert sum(v in page for v in (application.manager_id_number, "13905710021", "13905710032")) == 1
    with tenant_scope(alpha.provider):
        rows = list(ApplicationFileAccess.objects.filter(action="reveal").values_list("actor_id", "kind"))
    assert rows == [(alpha.users["provider_admin"].pk, key.partition(".")[0])]
    # and the next plain view is masked again
    assert shown not in admin.get(f"/vp/applications/{application.pk}/").content.decode()


def test_finding_4_reveal_refuses_unknown_fields_other_roles_and_other_tenants(alpha, beta):
    application, _token = submit(alpha)
    url = f"/vp/applications/{application.pk}/reveal/"
    # an unknown field: refused, nothing shown, nothing logged
    bad = alpha.client("provider_admin").post(url, {"field": "credit_code"})
    assert bad.status_code == 400
    # a reviewer of alpha, beta's admin: no access at all
    assert alpha.client("reviewer").post(url, {"field": "manager_mobile"}).status_code in (403, 404)
    assert beta.client("provider_admin").post(url, {"field": "manager_mobile"}).status_code == 404
    with tenant_scope(alpha.provider):
        assert not ApplicationFileAccess.objects.filter(action="reveal").exists()


def test_r_k3_admin_list_shows_applications_in_one_evident_order(alpha, beta, private_root):
    # Given applications at alpha in different steps: two in material review, one sent to inspection
    first, _ = submit(alpha, now=T0)
    second, _ = submit(alpha, now=T0 + dt.timedelta(days=1))
    inspected, _ = submit(alpha, now=T0 + dt.timedelta(days=2))
    to_inspection(alpha, inspected, now=T0 + dt.timedelta(days=2))
    submit(beta, now=T0)
    apps = [reload(alpha, a) for a in (first, second, inspected)]
    expected = [a.pk for a in sorted(apps, key=lambda a: (a.current_due_at, a.pk))]
    # (the state's code alone would order them otherwise)
    assert expected != [a.pk for a in sorted(apps, key=lambda a: (a.status, a.submitted_at))]
    # When the admin opens the list
    html = alpha.client(Role.PROVIDER_ADMIN).get("/vp/applications/").content.decode()
    # Then it says how it is ordered and lists the soonest deadline first, beta's not at all
    assert "排序：本步骤截止时间最早（含已超时）的在前" in html
    shown = list(dict.fromkeys(int(pk) for pk in re.findall(r'<td><a href="/vp/applications/(\d+)/">', html)))
    assert shown == expected


@requires_postgres
def test_r_k2_a_step_on_an_application_locks_its_row_only_not_the_provider(alpha, beta):
    # Given an open application at alpha (and one at beta)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    app, _token = submit(alpha, code=make_uscc())
    submit(beta, code=make_uscc())
    # When a step locks it for its transaction
    with tenant_scope(alpha.provider), transaction.atomic(), CaptureQueriesContext(connection) as seen:
        locked = svc._locked(app)
    # Then the lock names the application's table only: the provider row (read with it) stays
    # free for the provider's other work (the load test's deadlock came from such a lock)
    sql = [q["sql"] for q in seen.captured_queries if "FOR UPDATE" in q["sql"]]
    assert len(sql) == 1
    assert sql[0].endswith('FOR UPDATE OF "verification_points_pointapplication"')
    assert locked.tenant == alpha.provider
