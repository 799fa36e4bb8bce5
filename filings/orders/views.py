"""The applicant's journey: thin views over filings.orders.services and filings.orders.selectors."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from filings.access import access_order_by_id, applicant_required
from filings.changes.selectors import filed_info_for_applicant, order_filed_domains
from filings.models import OrderType
from filings.orders import selectors, services
from filings.orders.detection import DetectionInput
from filings.orders.forms import DetectForm, EntityForm, WebsiteForm, attach_errors
from filings.orders.tracking import order_progress
from filings.orders.validation import entity_errors, website_errors
from filings.ordertypes import first_step, spec_for
from filings.states import status_label
from filings.workflow import TransitionConflict, TransitionError


def _order(request, order_id: int):
    return access_order_by_id(actor=request.user, tenant=request.tenant, order_id=order_id)


@applicant_required
def order_list(request: HttpRequest) -> HttpResponse:
    orders = list(selectors.order_list_for_applicant(tenant=request.tenant, applicant=request.user))
    blocked = services.applicant_may_file(user=request.user, tenant=request.tenant)
    return render(request, "filings/order_list.html", {"orders": orders, "blocked": blocked})


@applicant_required
def order_new(request: HttpRequest) -> HttpResponse:
    blocked = services.applicant_may_file(user=request.user, tenant=request.tenant)
    if request.method == "POST" and "list_types" in request.POST:
        # Without JavaScript: list the certificate types of the chosen nature, keep what
        # was typed, and show no errors yet (nothing was submitted for detection).
        form = DetectForm(initial=request.POST.dict())
        return render(request, "filings/order_new.html", {"form": form, "blocked": blocked})
    form = DetectForm(request.POST or None)
    detection = None
    if request.method == "POST" and not blocked and form.is_valid():
        data = DetectionInput(**form.cleaned_data)
        try:
            detection, order = services.order_create(tenant=request.tenant, applicant=request.user, data=data)
        except services.OrderConflict as exc:
            form.add_error(None, str(exc))
        else:
            if order is not None:
                messages.success(
                    request,
                    _("已识别为“%(t)s”。主体证件与省份已锁定，请继续填写主体信息。")
                    % {"t": order.get_order_type_display()},
                )
                return redirect("filings:order_entity", order_id=order.pk)
            for field, msgs in detection.field_errors.items():
                for m in msgs:
                    form.add_error(field if field in form.fields else None, m)
    return render(
        request, "filings/order_new.html", {"form": form, "detection": detection, "blocked": blocked}
    )


@applicant_required
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    order = access_order_by_id(
        actor=request.user, tenant=request.tenant, order_id=order_id, with_history=True
    )
    return render(
        request, "filings/order_detail.html", {"order": order, "progress": order_progress(order=order)}
    )


def _status_label(value: str, order_type: str = "") -> str:
    return str(status_label(value, order_type))


def _is_autosave(request: HttpRequest) -> bool:
    """A background save from static/js/autosave.js (fetch header, or beacon field)."""
    return request.headers.get("X-Autosave") == "1" or request.POST.get("autosave") == "1"


def _step_context(order, step: str) -> dict:
    return {"order": order, "step": step}


def _step_returns(order, form, prefix: str) -> dict:
    """R-S3: the current round's return reasons of this step, next to their form fields.

    ``field_returns`` maps a form field name to its reasons; reasons about fields
    this form does not show (locked identity fields, pre-approvals) go to
    ``other_returns`` and are listed above the form.
    """
    from filings.returns import labelled_current_returns

    by_field: dict[str, list] = {}
    other = []
    for r in labelled_current_returns(order):
        if not r.field.startswith(prefix):
            continue
        name = r.field[len(prefix) :]
        name = {"domain": "domain_display"}.get(name, name)
        if name in form.fields:
            by_field.setdefault(name, []).append(r)
        else:
            other.append(r)
    return {"field_returns": by_field, "other_returns": other}


@applicant_required
def order_entity(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    if not order.is_editable:
        return redirect("filings:order_detail", order_id=order.pk)
    if "entity" not in spec_for(order.order_type).edits:  # a change type without this step
        return redirect(first_step(order.order_type), order_id=order.pk)
    form = EntityForm(
        request.POST or None,
        instance=order,
        individual=order.is_individual,
        certificate_change="entity.certificate_number" in spec_for(order.order_type).changes,
    )
    if request.method == "POST" and form.is_valid():
        services.order_entity_save(order=order, actor=request.user, values=form.cleaned_data)
        if _is_autosave(request):
            return HttpResponse(status=204)
        errors = entity_errors(order, today=timezone.localdate())
        if not errors and "next" in request.POST:
            if not order.websites.exists() and order.apps.exists():  # R-AP1: an app-only order
                return redirect("mobile:app_list", order_id=order.pk)
            return redirect("filings:order_websites", order_id=order.pk)
        if attach_errors(form, errors, "entity."):
            messages.warning(request, _("已保存。以下内容还需修改，提交前必须改正。"))
        else:
            messages.success(request, _("主体信息已保存。"))
    return render(
        request,
        "filings/order_entity.html",
        {
            **_step_context(order, "entity"),
            "form": form,
            "basis": selectors.registry_basis_for_order(order=order),
            **_step_returns(order, form, "entity."),
        },
    )


@applicant_required
def order_websites(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    limit = (
        request.tenant.websites_per_order_individual
        if order.is_individual
        else request.tenant.websites_per_order_unit
    )
    sites = list(order.websites.all())
    return render(
        request,
        "filings/order_websites.html",
        {
            **_step_context(order, "websites"),
            "sites": sites,
            "limit": limit,
            # A change or cancel order works on filed websites only: nothing to add.
            "can_add": len(sites) < limit and spec_for(order.order_type).target == "new",
        },
    )


@applicant_required
def order_website_edit(request: HttpRequest, order_id: int, website_id: int | None = None) -> HttpResponse:
    order = _order(request, order_id)
    if not order.is_editable:
        return redirect("filings:order_detail", order_id=order.pk)
    spec = spec_for(order.order_type)
    if "websites" not in spec.edits or (website_id is None and spec.target != "new"):
        return redirect(first_step(order.order_type), order_id=order.pk)
    site = (
        selectors.access_order_website_by_id(order=order, website_id=website_id, actor=request.user)
        if website_id
        else None
    )
    servers = selectors.server_list_for_applicant(
        tenant=request.tenant, applicant=request.user, keep_id=site.server_id if site else None
    )
    # R-M5: with no usable server, the step says why and what to do instead of an empty list.
    no_server = (
        None
        if servers.exists()
        else selectors.server_shortfall_for_applicant(tenant=request.tenant, applicant=request.user)
    )
    form = WebsiteForm(
        request.POST or None,
        initial=None if site else {"languages": ["zh-hans"]},
        instance=site,
        servers=servers,
        locked_domain=bool(site and site.registry_website_id),
        locked_name=bool(site and site.registry_website_id) and order.order_type != OrderType.CHANGE_WEBSITE,
        individual=order.is_individual,
        filed_domains=order_filed_domains(order) if site else None,
    )
    if request.method == "POST" and form.is_valid():
        try:
            site = services.order_website_save(
                order=order, website=site, actor=request.user, values=form.values()
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            if _is_autosave(request) and website_id:
                return HttpResponse(status=204)
            errors = website_errors(order, site, site.position, today=timezone.localdate())
            if not errors and "next" in request.POST:
                return redirect("filings:order_websites", order_id=order.pk)
            if website_id is None:
                return redirect("filings:order_website_edit", order_id=order.pk, website_id=site.pk)
            if attach_errors(form, errors, f"websites[{site.position}]."):
                messages.warning(request, _("已保存。以下内容还需修改，提交前必须改正。"))
            else:
                messages.success(request, _("网站信息已保存。"))
    return render(
        request,
        "filings/order_website_form.html",
        {
            **_step_context(order, "websites"),
            "form": form,
            "site": site,
            "no_server": no_server,
            **(_step_returns(order, form, f"websites[{site.position}].") if site else {}),
        },
    )


@applicant_required
@require_POST
def order_website_delete(request: HttpRequest, order_id: int, website_id: int) -> HttpResponse:
    order = _order(request, order_id)
    site = selectors.access_order_website_by_id(order=order, website_id=website_id, actor=request.user)
    try:
        services.order_website_delete(order=order, website=site, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已删除网站 %(d)s。") % {"d": site})
    return redirect("filings:order_websites", order_id=order.pk)


@applicant_required
def order_preview(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    errors: dict[str, list[str]] = {}
    if request.method != "POST" and order.is_editable:
        # A submission validates the whole order itself (services.order_submit): once is enough.
        errors = services.order_submission_errors(order)
    if request.method == "POST":
        try:
            errors = services.order_submit(order=order, actor=request.user)
        except TransitionConflict as exc:
            messages.info(
                request, _("订单已被处理（当前状态：%(s)s）。") % {"s": _status_label(exc.current_status)}
            )
            return redirect("filings:order_detail", order_id=order.pk)
        except TransitionError:
            raise PermissionDenied from None
        if not errors:
            messages.success(request, _("已提交，接入商将在 1–2 个工作日内完成初审。"))
            return redirect("filings:order_detail", order_id=order.pk)
        messages.error(
            request, _("还有 %(n)d 处需要修改，请逐项改正后再提交。") % {"n": sum(map(len, errors.values()))}
        )
    sections = _error_sections(order, errors)
    return render(
        request,
        "filings/order_preview.html",
        {
            **_step_context(order, "preview"),
            "errors": errors,
            # The steps bar reuses the validation above instead of running it again.
            "steps_errors": errors if order.is_editable else None,
            "sections": sections,
            "sites": list(order.websites.all()),
        },
    )


def _error_sections(order, errors: dict[str, list[str]]) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """Group errors for the preview: (section title, link, [(field key, message)])."""
    from django.urls import reverse

    sites = list(order.websites.all())
    out = []
    entity = [(k, m) for k, msgs in errors.items() if k.startswith("entity.") for m in msgs]
    if entity:
        out.append((_("主体信息"), reverse("filings:order_entity", args=[order.pk]), entity))
    for i, site in enumerate(sites):
        rows = [(k, m) for k, msgs in errors.items() if k.startswith(f"websites[{i}].") for m in msgs]
        if rows:
            out.append(
                (
                    _("网站 %(n)d：%(d)s") % {"n": i + 1, "d": site},
                    reverse("filings:order_website_edit", args=[order.pk, site.pk]),
                    rows,
                )
            )
    materials = [(k, m) for k, msgs in errors.items() if k == "materials" for m in msgs]
    if materials:
        out.append((_("材料"), reverse("filings:materials", args=[order.pk]), materials))
    general = [(k, m) for k, msgs in errors.items() if k == "order" for m in msgs]
    if general:
        out.append((_("订单"), reverse("filings:order_websites", args=[order.pk]), general))
    return out


@applicant_required
@require_POST
def order_withdraw(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        services.order_withdraw(order=order, actor=request.user)
    except TransitionConflict as exc:
        messages.info(
            request,
            _("订单已被处理（当前状态：%(s)s），无法撤回。") % {"s": _status_label(exc.current_status)},
        )
    except TransitionError:
        messages.error(request, _("当前状态不能撤回：接入商初审通过后订单不能再撤回。"))
    else:
        messages.success(request, _("已撤回为草稿，修改后可重新提交。"))
    return redirect("filings:order_detail", order_id=order.pk)


@applicant_required
def order_abandon(request: HttpRequest, order_id: int) -> HttpResponse:
    """GET asks for confirmation (a page, so it works without JavaScript); POST abandons."""
    order = _order(request, order_id)
    if request.method != "POST":
        return render(request, "filings/order_abandon.html", {"order": order})
    try:
        services.order_abandon(order=order, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
        return redirect("filings:order_detail", order_id=order.pk)
    except TransitionConflict as exc:
        messages.info(
            request,
            _("订单已被处理（当前状态：%(s)s），无法放弃。") % {"s": _status_label(exc.current_status)},
        )
        return redirect("filings:order_detail", order_id=order.pk)
    messages.success(request, _("订单已放弃，主体与域名已释放。"))
    return redirect("filings:order_list")


@applicant_required
def filed_info(request: HttpRequest) -> HttpResponse:
    # R-P2: per entity and website, the change and cancel actions that apply now (filings.changes).
    entities = filed_info_for_applicant(tenant=request.tenant, applicant=request.user)
    return render(request, "filings/filed.html", {"entities": entities})
