"""The provider admin's server pages (R-M5): thin views over ``filings.servers.services``."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.servers import selectors, services
from filings.servers.forms import ServerAssignForm, ServerForm, ServerImportConfirmForm, ServerImportForm
from icpfiling.accounts.decorators import provider_admin_required

PAGE_SIZE = 50
PREVIEW_ROWS = 200


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            for e in errs:
                form.add_error(name if name in form.fields else None, e)
    else:
        for m in exc.messages:
            form.add_error(None, m)


@provider_admin_required
def server_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    expiring = request.GET.get("expiring") == "1"
    qs = selectors.server_list_for_admin(tenant=request.tenant, query=query, expiring=expiring)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))  # get_page bounds any input
    return render(
        request,
        "filings/servers/server_list.html",
        {
            "page": page,
            "query": query,
            "expiring": expiring,
            "expiring_count": selectors.server_expiring_count(tenant=request.tenant),
            "warn_before": selectors.expiry_warning_date(),
            "today": timezone.localdate(),
        },
    )


@provider_admin_required
def server_edit(request: HttpRequest, server_id: int | None = None) -> HttpResponse:
    server = (
        selectors.access_server_by_id(actor=request.user, tenant=request.tenant, server_id=server_id)
        if server_id
        else None
    )
    initial = (
        {
            "instance_id": server.instance_id,
            "label": server.label,
            "public_ips": ", ".join(server.public_ips),
            "region": server.region,
            "owner_email": server.owner.email if server.owner else "",
            "paid_until": server.paid_until,
            "capacity": server.capacity,
        }
        if server
        else None
    )
    form = ServerForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        owner = None
        if d["owner_email"]:
            owner = selectors.applicant_find_by_email(tenant=request.tenant, email=d["owner_email"])
            if owner is None:
                form.add_error(
                    "owner_email", _("本接入商没有使用该邮箱的申请人账户，请确认邮箱，或请对方先注册。")
                )
        if form.is_valid():
            try:
                saved = services.server_save(
                    actor=request.user,
                    tenant=request.tenant,
                    server=server,
                    instance_id=d["instance_id"],
                    label=d["label"],
                    public_ips=d["public_ips"],
                    region=d["region"],
                    owner=owner,
                    paid_until=d["paid_until"],
                    capacity=d["capacity"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("服务器 %(s)s 已保存。") % {"s": saved.instance_id})
                return redirect("servers:list")
    return render(request, "filings/servers/server_form.html", {"form": form, "server": server})


@provider_admin_required
@require_POST
def server_assign(request: HttpRequest, server_id: int) -> HttpResponse:
    server = selectors.access_server_by_id(actor=request.user, tenant=request.tenant, server_id=server_id)
    form = ServerAssignForm(request.POST)
    if form.is_valid():
        try:
            services.server_assign(
                actor=request.user,
                tenant=request.tenant,
                server=server,
                owner_email=form.cleaned_data["owner_email"],
            )
        except ValidationError as exc:
            messages.error(request, exc.messages[0])
        else:
            if server.owner:
                messages.success(
                    request,
                    _("服务器 %(s)s 已分配给 %(e)s。")
                    % {"s": server.instance_id or server.label, "e": server.owner.email},
                )
            else:
                messages.success(
                    request, _("服务器 %(s)s 已取消分配。") % {"s": server.instance_id or server.label}
                )
    else:
        messages.error(request, _("请输入有效的邮箱地址。"))
    return redirect("servers:edit", server_id=server.pk)


@provider_admin_required
def server_import(request: HttpRequest) -> HttpResponse:
    """GET: the upload form. POST with a file: the preview. POST with a token: the import."""
    form = ServerImportForm()
    errors: list[str] = []
    if request.method == "POST" and "token" in request.POST:
        confirm = ServerImportConfirmForm(request.POST)
        if confirm.is_valid():
            try:
                counts = services.server_import_apply(
                    actor=request.user, tenant=request.tenant, token=confirm.cleaned_data["token"]
                )
            except ValidationError as exc:
                errors = exc.messages[:50]
            else:
                messages.success(
                    request,
                    _("导入完成：新增 %(created)s 台，更新 %(updated)s 台，未变化 %(unchanged)s 台。")
                    % counts,
                )
                return redirect("servers:list")
        else:
            errors = [_("预览已过期，请重新上传文件。")]
    elif request.method == "POST":
        form = ServerImportForm(request.POST, request.FILES)
        if form.is_valid():
            check, token = services.server_import_stage(
                actor=request.user, tenant=request.tenant, data=form.cleaned_data["file"].read()
            )
            return render(
                request,
                "filings/servers/server_import_preview.html",
                {
                    "check": check,
                    "token": token,
                    "rows": check.rows[:PREVIEW_ROWS],
                    "more": max(0, len(check.rows) - PREVIEW_ROWS),
                    "counts": {a: check.count(a) for a in ("create", "update", "unchanged")},
                },
                status=200 if check.ok else 400,
            )
    return render(
        request,
        "filings/servers/server_import.html",
        {"form": form, "errors": errors, "columns": services.TEMPLATE_HEADER},
        status=400 if errors else 200,
    )


@provider_admin_required
def server_import_template(request: HttpRequest) -> HttpResponse:
    """A CSV template with the column names and one example row (BOM so Excel reads UTF-8)."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="servers-template.csv"'
    response.write("\ufeff")
    w = csv.writer(response)
    w.writerow(services.TEMPLATE_HEADER)
    w.writerow(["ins-0001", "Web 服务器", "203.0.113.7", "华东1（杭州）", "", "2027-12-31", "5"])
    return response
