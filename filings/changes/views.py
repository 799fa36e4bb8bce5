"""Starting change and cancel orders: thin views over filings.changes.services (R-P2, R-C6, R-C8)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.access import access_order_by_id, applicant_required
from filings.changes import app_selectors, selectors, services
from filings.ordertypes import CHANGE_TYPES
from icpfiling.accounts.decorators import provider_role_required
from icpfiling.accounts.models import Role
from icpfiling.registry.models import FiledApp, FiledEntity, FiledWebsite
from icpfiling.tenancy.access import get_or_404


def _int(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def _errors(exc: ValidationError) -> list[str]:
    return [m for msgs in getattr(exc, "message_dict", {"": exc.messages}).values() for m in msgs]


@applicant_required
@require_POST
def change_start(request: HttpRequest) -> HttpResponse:
    """Start a 变更 / 注销 / 取消接入 order from 已备案信息 (R-P2); refused with the reason otherwise."""
    order_type = request.POST.get("order_type", "")
    entity_ids = selectors.applicant_entity_ids(tenant=request.tenant, applicant=request.user)
    entity = get_or_404(
        FiledEntity.objects.filter(pk__in=entity_ids), actor=request.user, pk=_int(request.POST.get("entity"))
    )
    service = None
    if request.POST.get("service"):
        service = get_or_404(
            FiledWebsite.objects.filter(entity=entity),
            actor=request.user,
            pk=_int(request.POST.get("service")),
        )
    app = None
    if request.POST.get("app"):  # R-AP1: the service is an app or mini-program of the entity
        app = get_or_404(
            FiledApp.objects.filter(entity=entity), actor=request.user, pk=_int(request.POST.get("app"))
        )
    if order_type not in CHANGE_TYPES:
        messages.error(request, _("请选择要办理的业务。"))
        return redirect("filings:filed_info")
    try:
        order = services.change_order_start(
            tenant=request.tenant,
            applicant=request.user,
            order_type=order_type,
            entity=entity,
            service=service,
            app=app,
        )
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
        return redirect("filings:filed_info")
    messages.success(
        request, _("已创建“%(t)s”订单，请核对信息后提交。") % {"t": order.get_order_type_display()}
    )
    return redirect("filings:order_detail", order_id=order.pk)


@applicant_required
@require_POST
def transfer_set(request: HttpRequest, order_id: int) -> HttpResponse:
    """R-C8: a 新增接入 replaces the website's current provider (or no longer does)."""
    order = access_order_by_id(actor=request.user, tenant=request.tenant, order_id=order_id)
    try:
        services.transfer_set(order=order, actor=request.user, replace=request.POST.get("replace") == "1")
    except ValidationError as exc:
        for m in _errors(exc):
            messages.error(request, m)
    else:
        messages.success(request, _("已保存。"))
    return redirect("filings:order_detail", order_id=order.pk)


@provider_role_required(Role.REVIEWER)
def provider_cancel_access(request: HttpRequest, service_id: int) -> HttpResponse:
    """R-C6: the provider ends its own access to a website it hosts, with a reason the applicant sees."""
    service = get_or_404(
        selectors.provider_hosted_services(tenant=request.tenant), actor=request.user, pk=service_id
    )
    return _provider_cancel(
        request,
        {"service": service},
        last=lambda: selectors.last_approved_site(tenant=request.tenant, service=service),
        entity=service.entity,
        no_applicant=_("本接入商没有该网站的申请人账户，无法发起取消接入。"),
    )


@provider_role_required(Role.REVIEWER)
def provider_cancel_app_access(request: HttpRequest, app_id: int) -> HttpResponse:
    """R-C6 for apps (R-AP1): the provider ends its access to an app it filed, with a reason."""
    app = get_or_404(app_selectors.provider_hosted_apps(tenant=request.tenant), actor=request.user, pk=app_id)
    return _provider_cancel(
        request,
        {"app": app},
        last=lambda: app_selectors.last_approved_app(tenant=request.tenant, app=app),
        entity=app.entity,
        no_applicant=_("本接入商没有该App的申请人账户，无法发起取消接入。"),
    )


def _provider_cancel(request: HttpRequest, target: dict, *, last, entity, no_applicant: str) -> HttpResponse:
    """The 取消接入 form for one hosted service (``target``: ``{"service": …}`` or ``{"app": …}``)."""
    errors: list[str] = []
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        approved = last()
        if approved is None:
            errors.append(no_applicant)
        else:
            try:
                order = services.change_order_start(
                    tenant=request.tenant,
                    applicant=approved.order.applicant,
                    order_type="cancel_access",
                    entity=entity,
                    started_by=request.user,
                    reason=reason,
                    **target,
                )
            except (ValidationError, PermissionDenied) as exc:
                errors += _errors(exc) if isinstance(exc, ValidationError) else [_("无权操作。")]
            else:
                messages.success(request, _("已发起取消接入（订单 #%(id)s）。") % {"id": order.pk})
                return redirect("review:order", order_id=order.pk)
    return render(
        request,
        "filings/changes/provider_cancel_access.html",
        {**target, "errors": errors, "reason": reason},
        status=400 if errors else 200,
    )


@provider_role_required(Role.REVIEWER, Role.PROVIDER_ADMIN)
def hosted_services(request: HttpRequest) -> HttpResponse:
    """The websites and apps this provider hosts, each with its 取消接入 action (R-C6, R-AP1)."""
    services_ = list(selectors.provider_hosted_services(tenant=request.tenant)[:500])
    apps = list(app_selectors.provider_hosted_apps(tenant=request.tenant)[:500])
    return render(request, "filings/changes/hosted.html", {"services": services_, "apps": apps})


@applicant_required
def offline_kit(request: HttpRequest, entity_id: int) -> HttpResponse:
    """R-C7: the printable cancellation application of the applicant's empty-shell entity."""
    from django.utils import timezone

    from filings.changes.offline_kit import offline_kit_pdf

    entity_ids = selectors.applicant_entity_ids(tenant=request.tenant, applicant=request.user)
    shells = [pk for pk in entity_ids if selectors.entity_is_shell(pk)]
    entity = get_or_404(
        FiledEntity.objects.filter(pk__in=shells).select_related("province", "certificate_type"),
        actor=request.user,
        pk=entity_id,
    )
    response = HttpResponse(
        offline_kit_pdf(entity=entity, today=timezone.localdate()), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="cancellation-{entity.pk}.pdf"'
    response["Cache-Control"] = "no-store, private"
    return response
