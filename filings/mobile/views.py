"""The applicant's app pages: list, add, edit and remove an order's apps (R-AP1…R-AP3)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from filings.access import access_order_by_id, applicant_required
from filings.mobile import selectors, services
from filings.mobile.apk import apk_max_bytes
from filings.mobile.forms import EXTRACT_APK, AppForm
from filings.models import AppKind
from filings.orders.validation import order_errors
from filings.ordertypes import spec_for
from filings.returns import labelled_current_returns
from icpfiling.uploads.handlers import CappedTemporaryFileUploadHandler


def _order(request: HttpRequest, order_id: int):
    return access_order_by_id(actor=request.user, tenant=request.tenant, order_id=order_id)


def _may_add(order, count: int) -> bool:
    return (
        order.is_editable
        and spec_for(order.order_type).target == "new"
        and count < services.MAX_APPS_PER_ORDER
    )


def _app_returns(order, form: AppForm, app) -> dict:
    """R-S3: this round's return reasons about this app, beside their fields (or above the form)."""
    prefix = f"apps[{app.position}]."
    by_field: dict[str, list] = {}
    other = []
    for r in labelled_current_returns(order):
        if not r.field.startswith(prefix):
            continue
        name = form.field_name(r.field[len(prefix) :])
        if name in form.fields:
            by_field.setdefault(name, []).append(r)
        else:
            other.append(r)
    return {"field_returns": by_field, "other_returns": other}


@applicant_required
def app_list(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    apps = list(selectors.order_app_list(order=order))
    return render(
        request,
        "filings/mobile/app_list.html",
        {
            "order": order,
            "step": "websites",
            "apps": apps,
            "kinds": AppKind.choices,
            "can_add": _may_add(order, len(apps)),
            # 变更App edits the filed app it was started for; it never removes it (R-C2 for apps).
            "can_delete": spec_for(order.order_type).target == "new",
        },
    )


@csrf_exempt
def app_edit(request: HttpRequest, order_id: int, app_id: int | None = None) -> HttpResponse:
    """The app page; an uploaded APK goes to a temporary file, never more of it than the cap.

    The upload handlers must be set before anything reads the body, and the CSRF check reads
    it; so the check is exempted here and applied just below by ``csrf_protect`` (Django's
    documented pattern for per-view upload handlers).
    """
    request.upload_handlers = [CappedTemporaryFileUploadHandler(request, cap=apk_max_bytes())]
    return _app_edit(request, order_id, app_id)


@csrf_protect
@applicant_required
def _app_edit(request: HttpRequest, order_id: int, app_id: int | None = None) -> HttpResponse:
    order = _order(request, order_id)
    app = selectors.access_order_app_by_id(order=order, app_id=app_id, actor=request.user) if app_id else None
    spec = spec_for(order.order_type)
    if not order.is_editable or (app is None and not _may_add(order, order.apps.count())):
        return redirect("mobile:app_list", order_id=order.pk)
    if spec.target != "new" and "apps" not in spec.edits:  # a change type that edits no app
        return redirect("filings:order_detail", order_id=order.pk)
    kind = app.kind if app else request.GET.get("kind", request.POST.get("kind", AppKind.APP))
    if kind not in AppKind.values:
        kind = AppKind.APP
    form = AppForm(
        request.POST or None,
        request.FILES or None,
        instance=app,
        kind=kind,
        initial=None if app else {"languages": ["zh-hans"]},
    )
    # Only an app's page has the APK field; a mini-program's treats the button as a save.
    extracting = request.method == "POST" and EXTRACT_APK in request.POST and "android_apk" in form.fields
    if extracting:
        # Read the uploaded APK and show the form again, filled, without saving (works without JS).
        if form.is_valid() and "android_apk" not in form.files:
            form.add_error("android_apk", _("请先选择要读取的 APK 文件。"))
        if form.apk_facts:
            messages.info(
                request,
                _("已从 APK 读取包名 %(p)s、签名公钥和 MD5 指纹（%(s)s 签名），请核对后保存。")
                % {"p": form.apk_facts.package_name, "s": form.apk_facts.scheme},
            )
    elif request.method == "POST" and form.is_valid():
        try:
            app = services.order_app_save(
                order=order,
                app=app,
                actor=request.user,
                values=form.values(),
                platforms=form.platform_values(),
            )
        except ValidationError as exc:
            form.add_error(None, exc.messages[0])
        else:
            prefix = f"apps[{app.position}]."
            errors = {
                k: m
                for k, m in order_errors(order, today=timezone.localdate()).items()
                if k.startswith(prefix)
            }
            if not errors and "next" in request.POST:
                return redirect("mobile:app_list", order_id=order.pk)
            if app_id is None:
                return redirect("mobile:app_edit", order_id=order.pk, app_id=app.pk)
            if form.attach(errors, prefix):
                messages.warning(request, _("已保存。以下内容还需修改，提交前必须改正。"))
            else:
                messages.success(request, _("App 信息已保存。"))
    returns = _app_returns(order, form, app) if app else {}
    return render(
        request,
        "filings/mobile/app_form.html",
        {
            "order": order,
            "step": "websites",
            "form": form,
            "app": app,
            "kind": kind,
            "kind_label": AppKind(kind).label,
            **returns,
        },
    )


@applicant_required
@require_POST
def app_delete(request: HttpRequest, order_id: int, app_id: int) -> HttpResponse:
    order = _order(request, order_id)
    app = selectors.access_order_app_by_id(order=order, app_id=app_id, actor=request.user)
    try:
        services.order_app_delete(order=order, app=app, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(request, _("已删除 %(n)s。") % {"n": app})
    return redirect("mobile:app_list", order_id=order.pk)
