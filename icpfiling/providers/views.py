"""A provider admin's own pages: settings (R-M1) and staff (R-M2); the public logo and colour."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.storage import storages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_POST

from icpfiling.accounts.decorators import provider_admin_required
from icpfiling.accounts.models import Role
from icpfiling.providers import selectors, services
from icpfiling.providers.forms import SettingsForm, StaffForm
from icpfiling.tenancy.storage import tenant_of_file_name


def add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for name, errs in exc.error_dict.items():
            for e in errs:
                form.add_error(name if name in form.fields else None, e)
    else:
        for m in exc.messages:
            form.add_error(None, m)


def _settings_initial(provider) -> dict:
    return {
        "name": provider.name,
        "legal_name": provider.legal_name,
        "licence_number": provider.licence_number,
        "brand_colour": provider.brand_colour,
        "hostnames": "\n".join(provider.hostnames.order_by("pk").values_list("hostname", flat=True)),
        "require_account_approval": provider.require_account_approval,
        "upload_formats": provider.upload_formats,
        "upload_max_mb": round(provider.upload_max_bytes / 1024 / 1024, 1),
        "order_expiry_days": provider.order_expiry_days,
        "websites_per_order_unit": provider.websites_per_order_unit,
        "websites_per_order_individual": provider.websites_per_order_individual,
        "resubmission_window_days": provider.resubmission_window_days,
        "retention_days": provider.retention_days,
    }


@provider_admin_required
def provider_settings(request: HttpRequest) -> HttpResponse:
    form = SettingsForm(
        request.POST or None, request.FILES or None, initial=_settings_initial(request.tenant)
    )
    if request.method == "POST" and form.is_valid():
        logo = form.cleaned_data.get("logo")
        try:
            changes = services.provider_settings_update(
                actor=request.user,
                tenant=request.tenant,
                values=form.values(),
                hostnames=form.cleaned_data["hostnames"],
                current_host=request.get_host(),
                logo=logo.read() if logo else None,
                logo_filename=logo.name if logo else "",
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            if changes:
                messages.success(request, _("设置已保存（%(n)s 项修改，已记录）。") % {"n": len(changes)})
            else:
                messages.info(request, _("没有修改任何设置。"))
            return redirect("manage:settings")
    return render(
        request,
        "providers/settings.html",
        {"form": form, "changes": selectors.change_list(tenant=request.tenant)},
        status=400 if form.errors else 200,
    )


@provider_admin_required
def staff_list(request: HttpRequest) -> HttpResponse:
    points = selectors.point_choices(tenant=request.tenant)
    form = StaffForm(request.POST or None, points=points)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            user = services.staff_invite(
                actor=request.user,
                tenant=request.tenant,
                email=d["email"],
                full_name=d["full_name"],
                role=d["role"],
                point=d["point"] if d["role"] == Role.POINT_STAFF else None,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("已邀请 %(e)s，设置密码的邮件已发出。") % {"e": user.email})
            return redirect("manage:staff")
    return render(
        request,
        "providers/staff.html",
        {
            "form": form,
            "staff": selectors.staff_list(tenant=request.tenant),
            "has_points": points.exists(),
        },
        status=400 if form.errors else 200,
    )


@provider_admin_required
def staff_edit(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.access_staff_membership_by_id(
        actor=request.user, tenant=request.tenant, membership_id=membership_id
    )
    points = selectors.point_choices(tenant=request.tenant)
    current_point = getattr(getattr(membership.user, "point_staff", None), "point", None)
    form = StaffForm(
        request.POST or None,
        points=points,
        invite=False,
        initial={"role": membership.role, "point": current_point},
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            services.staff_role_change(
                actor=request.user,
                tenant=request.tenant,
                membership=membership,
                role=d["role"],
                point=d["point"] if d["role"] == Role.POINT_STAFF else None,
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, _("%(e)s 的角色已更新。") % {"e": membership.user.email})
            return redirect("manage:staff")
    return render(
        request,
        "providers/staff_edit.html",
        {"form": form, "member": membership, "point": current_point},
        status=400 if form.errors else 200,
    )


@provider_admin_required
@require_POST
def staff_disable(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.access_staff_membership_by_id(
        actor=request.user, tenant=request.tenant, membership_id=membership_id
    )
    try:
        ended = services.staff_disable(actor=request.user, tenant=request.tenant, membership=membership)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request, _("已停用 %(e)s，并结束其 %(n)d 个登录会话。") % {"e": membership.user.email, "n": ended}
        )
    return redirect("manage:staff")


@provider_admin_required
@require_POST
def staff_enable(request: HttpRequest, membership_id: int) -> HttpResponse:
    membership = selectors.access_staff_membership_by_id(
        actor=request.user, tenant=request.tenant, membership_id=membership_id
    )
    if services.staff_enable(actor=request.user, tenant=request.tenant, membership=membership):
        messages.success(request, _("已重新启用 %(e)s。") % {"e": membership.user.email})
    else:
        messages.info(request, _("%(e)s 已是启用状态。") % {"e": membership.user.email})
    return redirect("manage:staff")


@cache_control(max_age=300)
def logo(request: HttpRequest) -> HttpResponse:
    """The host's provider logo (public: it shows on the login page)."""
    name = request.tenant.logo_name if request.tenant else ""
    try:
        own = bool(name) and tenant_of_file_name(name) == request.tenant.pk
    except ValueError:  # not a tenant file name at all
        own = False
    if not own:
        raise Http404
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    return FileResponse(storages["default"].open(name, "rb"), content_type=content_type)


@cache_control(max_age=300)
def brand_css(request: HttpRequest) -> HttpResponse:
    """The brand colour as a stylesheet (the CSP allows no inline styles)."""
    if request.tenant is None:
        raise Http404
    colour = request.tenant.brand_colour
    # The model validates the colour as #rrggbb; re-check so nothing else can reach the CSS.
    if not (len(colour) == 7 and colour[0] == "#" and all(c in "0123456789abcdef" for c in colour[1:])):
        colour = "#0b5cad"
    return HttpResponse(f":root {{ --brand:{colour}; }}\n", content_type="text/css")
