"""Pages of the application programme: the public form, the company's tracking page (secret
link, no login) and the provider admin's review. Thin: parse, call a service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from icpfiling.accounts.decorators import provider_admin_required
from icpfiling.core.masking import mask_value
from icpfiling.core.throttle import throttle
from icpfiling.tenancy.links import site_url
from verification_points.applications import selectors as sel
from verification_points.applications import services as svc
from verification_points.applications.forms import (
    AgreementForm,
    ApplicationForm,
    InspectionForm,
    RefuseForm,
    ScheduleForm,
    SignedAgreementForm,
    StaffFormSet,
    SupplementAnswerForm,
    SupplementRequestForm,
    TrainingForm,
)
from verification_points.applications.workflow import ApplicationTransitionError
from verification_points.models.applications import ApplicationStatus, PointApplication

A = ApplicationStatus
_CONTENT_TYPES = {"pdf": "application/pdf", "jpeg": "image/jpeg"}


def _site_url(request: HttpRequest) -> str:
    # From the provider's configured host name, never the request's Host header (finding 6).
    return site_url(request.tenant) + "/"


def _attach(form, exc: ValidationError) -> None:
    """A service's field-keyed errors onto the form (unknown keys become form-level errors)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def file_response(fh, *, file_format: str, filename: str) -> FileResponse:
    response = FileResponse(
        fh, content_type=_CONTENT_TYPES.get(file_format, "application/octet-stream"), filename=filename
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- the company: public form and tracking link -------------------------------------------


@never_cache
@throttle("point-apply")  # anonymous, stores up to seven 5 MB files per application (finding 3)
def apply(request: HttpRequest) -> HttpResponse:
    """R-K1: the public application page of this provider (no login)."""
    if request.tenant is None:
        raise Http404
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES)
        staff = StaffFormSet(request.POST, request.FILES, prefix="staff")
        if form.is_valid() and staff.is_valid():
            people = [
                {
                    "name": f.cleaned_data["name"],
                    "experience": f.cleaned_data["experience"],
                    "mobile": f.cleaned_data["mobile"],
                    "email": f.cleaned_data["email"],
                    "id_scans": f.cleaned_data["id_scans"],
                    "diploma_scans": f.cleaned_data["diploma_scans"],
                }
                for f in staff.forms
                if f.cleaned_data
            ]
            data = form.cleaned_data
            try:
                _application, token = svc.application_submit(
                    tenant=request.tenant,
                    values=data,
                    staff=people,
                    scans={k: data[k] for k in ("licence", "legal_rep_id", "premises_proof")},
                    site_url=_site_url(request),
                )
            except ValidationError as exc:
                _attach(form, exc)
            else:
                messages.success(
                    request,
                    _(
                        "申请已提交。跟踪链接已发送到负责人邮箱，请收藏本页或保存邮件，凭链接查看进度和补充材料。"
                    ),
                )
                return redirect("vp:track", token=token)
        status = 400
    else:
        form, staff, status = ApplicationForm(), StaffFormSet(prefix="staff"), 200
    return render(
        request, "verification_points/apply/form.html", {"form": form, "staff": staff}, status=status
    )


def _by_token(request: HttpRequest, token: str) -> PointApplication:
    application = sel.application_by_token(token=token) if request.tenant is not None else None
    if application is None:
        raise Http404
    return application


def _track_context(application: PointApplication, token: str, **forms) -> dict:
    now = timezone.now()
    open_request = (
        application.supplements.filter(answered_at__isnull=True).order_by("-requested_at").first()
        if application.status == A.SUPPLEMENT
        else None
    )
    return {
        "application": application,
        "token": token,
        "events": application.events.all(),
        "supplements": application.supplements.all(),
        "open_request": open_request,
        "answer_form": forms.get("answer_form") or SupplementAnswerForm(),
        "inspections": application.inspections.all(),
        "agreement": sel.agreement_for(application),
        "scans": application.scans.select_related("staff"),
        "staff": application.staff.all(),
        "now": now,
        "late": bool(application.current_due_at and now >= application.current_due_at),
    }


@never_cache
def track(request: HttpRequest, token: str) -> HttpResponse:
    application = _by_token(request, token)
    return render(request, "verification_points/apply/track.html", _track_context(application, token))


@require_POST
def track_supplement(request: HttpRequest, token: str) -> HttpResponse:
    application = _by_token(request, token)
    form = SupplementAnswerForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            on_time = svc.application_answer_supplement(
                application=application, note=form.cleaned_data["note"], scans=form.cleaned_data["files"]
            )
        except ValidationError as exc:
            if getattr(exc, "code", "") == "wrong_status":
                messages.error(request, exc.messages[0])
                return redirect("vp:track", token=token)
            _attach(form, exc)
        else:
            if on_time:
                messages.success(request, _("补充材料已提交，接入商将重新审核。"))
            else:
                messages.error(request, _("已超过补充截止时间，按规定视为放弃申请。"))
            return redirect("vp:track", token=token)
    application.refresh_from_db()
    return render(
        request,
        "verification_points/apply/track.html",
        _track_context(application, token, answer_form=form),
        status=400,
    )


@require_POST
def track_reinspection(request: HttpRequest, token: str) -> HttpResponse:
    application = _by_token(request, token)
    try:
        on_time = svc.application_request_reinspection(application=application)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        if on_time:
            messages.success(request, _("已申请复查，接入商将安排再次实地考察。"))
        else:
            messages.error(request, _("整改期限已过，申请已失效。"))
    return redirect("vp:track", token=token)


def track_scan(request: HttpRequest, token: str, scan_id: int) -> FileResponse:
    application = _by_token(request, token)
    scan = sel.access_scan(application=application, actor=None, scan_id=scan_id)
    fh = svc.scan_open(scan=scan, via_link=True)
    return file_response(fh, file_format=scan.file_format, filename=f"{scan.kind}-{scan.pk}.{_ext(scan)}")


def track_agreement(request: HttpRequest, token: str) -> FileResponse:
    application = _by_token(request, token)
    agreement = sel.agreement_for(application)
    if agreement is None:
        raise Http404
    fh = svc.agreement_open(agreement=agreement, via_link=True)
    return file_response(fh, file_format="pdf", filename=f"agreement-{application.pk}.pdf")


def _ext(scan) -> str:
    return "pdf" if scan.file_format == "pdf" else "jpg"


# --- the provider admin ---------------------------------------------------------------------


@provider_admin_required
def admin_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in A.values:
        status = ""
    return render(
        request,
        "verification_points/apply/admin_list.html",
        {
            "applications": sel.application_list_for_admin(tenant=request.tenant, status=status),
            "counts": sel.application_counts_for_admin(tenant=request.tenant),
            "status": status,
            "blacklist": sel.blacklist_list(tenant=request.tenant)[:50],
            "now": timezone.now(),
        },
    )


def _app(request: HttpRequest, application_id: int) -> PointApplication:
    return sel.access_application_by_id(
        actor=request.user, tenant=request.tenant, application_id=application_id
    )


def _sensitive(key: str, value: str, revealed: dict[str, str]) -> dict:
    """One masked value for the admin page; the full value only on the response that revealed it."""
    return {"key": key, "masked": mask_value(value), "full": revealed.get(key), "present": bool(value)}


def _detail(
    request: HttpRequest,
    application: PointApplication,
    *,
    status: int = 200,
    revealed: dict[str, str] | None = None,
    **bound,
) -> HttpResponse:
    staff = list(application.staff.all())
    revealed = revealed or {}
    ctx = _track_context(application, "")
    # The admin sees resident IDs and mobiles masked; a reveal is a POST that is audited (finding 4).
    ctx["masked"] = {
        "manager_id_number": _sensitive("manager_id_number", application.manager_id_number, revealed),
        "manager_mobile": _sensitive("manager_mobile", application.manager_mobile, revealed),
    }
    ctx["staff"] = [
        {"s": s, "mobile": _sensitive(f"staff_mobile.{s.position}", s.mobile, revealed)} for s in staff
    ]
    ctx.update(
        supplement_form=bound.get("supplement_form") or SupplementRequestForm(),
        schedule_form=bound.get("schedule_form") or ScheduleForm(),
        inspection_form=bound.get("inspection_form") or InspectionForm(),
        agreement_form=bound.get("agreement_form") or _agreement_form(application),
        signed_form=bound.get("signed_form") or SignedAgreementForm(),
        training_form=bound.get("training_form") or TrainingForm(staff=staff),
        refuse_form=bound.get("refuse_form") or RefuseForm(),
        trainings=application.trainings.prefetch_related("results__staff"),
        training_missing=svc.training_missing(application) if application.status == A.TRAINING else [],
        file_log=application_file_log(application),
    )
    return render(request, "verification_points/apply/admin_detail.html", ctx, status=status)


def _agreement_form(application: PointApplication) -> AgreementForm:
    agreement = sel.agreement_for(application)
    if agreement is None:
        return AgreementForm()
    return AgreementForm(
        initial={
            "business_scope": agreement.business_scope,
            "price_low": agreement.price_low,
            "price_mid": agreement.price_mid,
            "price_high": agreement.price_high,
        }
    )


def application_file_log(application: PointApplication):
    from verification_points.models.applications import ApplicationFileAccess

    return ApplicationFileAccess.objects.filter(application=application).select_related("actor")[:20]


@provider_admin_required
@never_cache
def admin_detail(request: HttpRequest, application_id: int) -> HttpResponse:
    return _detail(request, _app(request, application_id))


def _step(request: HttpRequest, application: PointApplication, call, *, ok: str, form=None, form_key=""):
    """Run one step; on field errors re-render the page with the form, else redirect back."""
    try:
        call()
    except ValidationError as exc:
        if form is not None and hasattr(exc, "error_dict"):
            _attach(form, exc)
            application.refresh_from_db()
            return _detail(request, application, status=400, **{form_key: form})
        messages.error(request, " ".join(exc.messages))
    except ApplicationTransitionError:
        messages.error(request, _("申请的状态已被他人更新，请查看最新状态。"))
    else:
        messages.success(request, ok)
    return redirect("vp:admin_detail", application_id=application.pk)


@provider_admin_required
@require_POST
@never_cache
def admin_reveal(request: HttpRequest, application_id: int) -> HttpResponse:
    """Show one masked value in full on this response only; every reveal is audited (R-D4)."""
    application = _app(request, application_id)
    key = request.POST.get("field", "")[:40]
    try:
        value = svc.application_field_reveal(application=application, actor=request.user, key=key)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return _detail(request, application, status=400)
    return _detail(request, application, revealed={key: value})


@provider_admin_required
@require_POST
def admin_accept(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    return _step(
        request,
        application,
        lambda: svc.application_accept(application=application, actor=request.user),
        ok=_("材料初审通过，请安排实地考察。"),
    )


@provider_admin_required
@require_POST
def admin_supplement(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = SupplementRequestForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, status=400, supplement_form=form)
    return _step(
        request,
        application,
        lambda: svc.application_request_supplement(
            application=application,
            actor=request.user,
            items=form.cleaned_data["items"],
            due_on=form.cleaned_data["due_on"],
        ),
        ok=_("已通知申请企业补充材料。"),
        form=form,
        form_key="supplement_form",
    )


@provider_admin_required
@require_POST
def admin_schedule(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = ScheduleForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, status=400, schedule_form=form)
    return _step(
        request,
        application,
        lambda: svc.application_schedule_inspection(
            application=application, actor=request.user, when=form.cleaned_data["scheduled_for"]
        ),
        ok=_("已安排实地考察并通知申请企业。"),
        form=form,
        form_key="schedule_form",
    )


@provider_admin_required
@require_POST
def admin_inspection(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = InspectionForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, status=400, inspection_form=form)
    d = form.cleaned_data
    return _step(
        request,
        application,
        lambda: svc.application_record_inspection(
            application=application,
            actor=request.user,
            premises_match=d["premises_match"],
            equipment_ok=d["equipment_ok"],
            staff_know_process=d["staff_know_process"],
            passed=d["result"] == "passed",
            notes=d["notes"],
        ),
        ok=_("已记录考察结果。"),
        form=form,
        form_key="inspection_form",
    )


@provider_admin_required
@require_POST
def admin_agreement(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = AgreementForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, status=400, agreement_form=form)
    d = form.cleaned_data
    return _step(
        request,
        application,
        lambda: svc.application_agreement_generate(
            application=application,
            actor=request.user,
            business_scope=d["business_scope"],
            price_low=d["price_low"],
            price_mid=d["price_mid"],
            price_high=d["price_high"],
        ),
        ok=_("合作协议已生成，已通知申请企业下载签字盖章。"),
        form=form,
        form_key="agreement_form",
    )


@provider_admin_required
def admin_agreement_pdf(request: HttpRequest, application_id: int) -> FileResponse:
    application = _app(request, application_id)
    agreement = sel.agreement_for(application)
    if agreement is None:
        raise Http404
    fh = svc.agreement_open(agreement=agreement, actor=request.user)
    return file_response(fh, file_format="pdf", filename=f"agreement-{application.pk}.pdf")


@provider_admin_required
@require_POST
def admin_agreement_signed(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = SignedAgreementForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, application, status=400, signed_form=form)
    return _step(
        request,
        application,
        lambda: svc.application_agreement_signed(
            application=application, actor=request.user, scan=form.cleaned_data["file"][0]
        ),
        ok=_("已保存签字盖章的协议，请安排培训。"),
        form=form,
        form_key="signed_form",
    )


@provider_admin_required
@require_POST
def admin_training(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = TrainingForm(request.POST, staff=list(application.staff.all()))
    if not form.is_valid():
        return _detail(request, application, status=400, training_form=form)
    d = form.cleaned_data
    return _step(
        request,
        application,
        lambda: svc.application_training_record(
            application=application,
            actor=request.user,
            starts_on=d["starts_on"],
            ends_on=d["ends_on"],
            passed_staff_ids={int(x) for x in d["passed"]},
            notes=d["notes"],
        ),
        ok=_("已记录培训结果。"),
        form=form,
        form_key="training_form",
    )


@provider_admin_required
@require_POST
def admin_activate(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    return _step(
        request,
        application,
        lambda: svc.application_activate(
            application=application, actor=request.user, site_url=_site_url(request)
        ),
        ok=_("核验点已开通，工作人员账户已创建并已发送设置密码的邮件。"),
    )


@provider_admin_required
@require_POST
def admin_refuse(request: HttpRequest, application_id: int) -> HttpResponse:
    application = _app(request, application_id)
    form = RefuseForm(request.POST)
    if not form.is_valid():
        return _detail(request, application, status=400, refuse_form=form)
    return _step(
        request,
        application,
        lambda: svc.application_refuse_false(
            application=application, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        ok=_("已拒绝申请，并将该统一社会信用代码列入合作黑名单。"),
        form=form,
        form_key="refuse_form",
    )


@provider_admin_required
def admin_scan(request: HttpRequest, application_id: int, scan_id: int) -> FileResponse:
    application = _app(request, application_id)
    scan = sel.access_scan(application=application, actor=request.user, scan_id=scan_id)
    fh = svc.scan_open(scan=scan, actor=request.user)
    return file_response(fh, file_format=scan.file_format, filename=f"{scan.kind}-{scan.pk}.{_ext(scan)}")
