"""Provider admins' pages for operating points and their monthly statements (R-K4).

Thin: parse with operations_forms, read with operations_selectors, write with
operations_services / settlement, render. Only the provider admin of the
request's tenant gets in; another tenant's ids answer 404 exactly like missing ones.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from icpfiling.accounts.decorators import provider_admin_required
from icpfiling.core.bounds import int_or_default
from verification_points.models import PointStatus, StatementStatus
from verification_points.operations import selectors as sel
from verification_points.operations import services
from verification_points.operations.documents import statement_csv as render_csv
from verification_points.operations.documents import statement_facts
from verification_points.operations.documents import statement_pdf as render_pdf
from verification_points.operations.forms import (
    PointForm,
    ReasonForm,
    StatementFilterForm,
    TerminateForm,
    attach_errors,
)
from verification_points.operations.settlement import first_of_month, statement_mark_paid, tier_label
from verification_points.operations.slots import CHINA_TZ

# Bookings listed on a terminated point's page; the count shows how many there are in all.
BOOKINGS_SHOWN = 50


def _today():
    return timezone.localdate(timezone=CHINA_TZ)


@require_GET
@provider_admin_required
def point_list(request: HttpRequest) -> HttpResponse:
    month = first_of_month(_today())
    points = list(sel.point_list_for_admin(month=month))
    return render(request, "verification_points/ops/point_list.html", {"points": points, "month": month})


def _year(request: HttpRequest) -> int:
    this_year = _today().year
    return int_or_default(request.GET.get("year"), min_value=2000, max_value=this_year, default=this_year)


@never_cache
@require_http_methods(["GET", "POST"])
@provider_admin_required
def point_detail(request: HttpRequest, point_id: int) -> HttpResponse:
    point = sel.access_point_by_id(actor=request.user, point_id=point_id)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = PointForm(request.POST if action == "save" else None, point=point)
    suspend_form = ReasonForm(request.POST if action == "suspend" else None, prefix="suspend")
    terminate_form = TerminateForm(request.POST if action == "terminate" else None, prefix="terminate")
    if request.method == "POST":
        done = _point_action(request, point, action, form, suspend_form, terminate_form)
        if isinstance(done, HttpResponse):
            return done
    year = _year(request)
    future = sel.point_future_bookings(point=point)
    context = {
        "point": point,
        "form": form,
        "suspend_form": suspend_form,
        "terminate_form": terminate_form,
        "staff": list(sel.point_staff_list(point=point)),
        "slots": sel.point_slot_summary(point=point),
        "future_bookings": list(future[:BOOKINGS_SHOWN]),
        "future_count": future.count(),
        "assessment": sel.point_assessment(point=point, year=year),
        "year": year,
        "years": list(range(_today().year, max(2000, _today().year - 5) - 1, -1)),
        "terminated": point.status == PointStatus.TERMINATED,
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "verification_points/ops/point_detail.html", context, status=status)


def _point_action(request, point, action, form, suspend_form, terminate_form) -> HttpResponse | None:
    """Runs the posted action; a redirect on success, None when the page shows errors."""
    back = redirect("points:point_detail", point_id=point.pk)
    try:
        if action == "save":
            if not form.is_valid():
                return None
            slots = services.point_update(
                point=point,
                actor=request.user,
                **{k: form.cleaned_data[k] for k in _POINT_FIELDS},
            )
            messages.success(request, _("核验点信息已保存。"))
            if slots:
                msg = _("时段已重新生成：新增 %(created)s 个，删除 %(deleted)s 个空时段；已预约的时段不变。")
                messages.info(request, msg % {"created": slots["created"], "deleted": slots["deleted"]})
            return back
        if action == "suspend":
            if not suspend_form.is_valid():
                return None
            services.point_suspend(
                point=point, actor=request.user, reason=suspend_form.cleaned_data["reason"]
            )
            messages.success(request, _("核验点已暂停，不再接受新的预约。"))
            return back
        if action == "resume":
            services.point_resume(point=point, actor=request.user)
            messages.success(request, _("核验点已恢复运营。"))
            return back
        if action == "terminate":
            if not terminate_form.is_valid():
                return None
            remaining = services.point_terminate(
                point=point, actor=request.user, reason=terminate_form.cleaned_data["reason"]
            )
            messages.success(request, _("核验点已终止。"))
            if remaining:
                messages.warning(
                    request,
                    _("仍有 %(n)s 个未来的预约，请联系申请人改约其他核验点。") % {"n": remaining},
                )
            return back
    except ValidationError as exc:
        target = {"save": form, "suspend": suspend_form, "terminate": terminate_form}.get(action)
        if target is None:
            messages.error(request, " ".join(exc.messages))
            return back
        attach_errors(target, exc)
        return None
    return HttpResponseBadRequest(_("未知操作。"))


_POINT_FIELDS = (
    "name",
    "address",
    "phone",
    "opening_hours",
    "slot_minutes",
    "slot_capacity",
    "price_low",
    "price_mid",
    "price_high",
)


@require_GET
@provider_admin_required
def statement_list(request: HttpRequest) -> HttpResponse:
    form = StatementFilterForm(request.GET or None)
    month, status = None, ""
    if form.is_bound and form.is_valid():
        month, status = form.cleaned_data["month"], form.cleaned_data["status"]
    statements = sel.statement_list_for_admin(month=month, status=status)
    totals = statements.aggregate(
        n=Count("pk"),
        total=Sum("amount"),
        unpaid_total=Sum("amount", filter=Q(status=StatementStatus.UNPAID)),
    )
    rows = list(statements)
    for row in rows:
        row.tier_display = tier_label(row.tier)
    return render(
        request,
        "verification_points/ops/statement_list.html",
        {"form": form, "statements": rows, "totals": totals},
    )


@never_cache
@require_GET
@provider_admin_required
def statement_detail(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = sel.access_statement_by_id(actor=request.user, statement_id=statement_id)
    return render(
        request,
        "verification_points/ops/statement_detail.html",
        {
            "statement": statement,
            "facts": statement_facts(statement, request.tenant.name),
            "checks": list(sel.statement_checks(statement=statement)),
        },
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _filename(statement, ext: str) -> str:
    return f"statement-{statement.point_id}-{statement.month:%Y-%m}.{ext}"


@require_GET
@provider_admin_required
def statement_csv(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = sel.access_statement_by_id(actor=request.user, statement_id=statement_id)
    content = render_csv(
        statement=statement,
        provider_name=request.tenant.name,
        checks=sel.statement_checks(statement=statement),
    )
    return _download(content, "text/csv; charset=utf-8", _filename(statement, "csv"))


@require_GET
@provider_admin_required
def statement_pdf(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = sel.access_statement_by_id(actor=request.user, statement_id=statement_id)
    content = render_pdf(
        statement=statement,
        provider_name=request.tenant.name,
        checks=sel.statement_checks(statement=statement),
    )
    return _download(content, "application/pdf", _filename(statement, "pdf"))


@require_POST
@provider_admin_required
def statement_paid(request: HttpRequest, statement_id: int) -> HttpResponse:
    statement = sel.access_statement_by_id(actor=request.user, statement_id=statement_id)
    try:
        statement_mark_paid(statement=statement, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("结算单已标记为已支付。"))
    return redirect("points:statement_detail", statement_id=statement.pk)
