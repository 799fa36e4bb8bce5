"""Material pages: upload list, private file serving, verification sheet, phone hand-off.

Thin: parse, call filings.materials.services / filings.materials.requirements, render.
"""

from __future__ import annotations

import segno
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from filings.access import access_order_by_id, applicant_required
from filings.materials import services as ms
from filings.materials.requirements import requirements_for
from filings.models import MaterialFile
from icpfiling.core.throttle import throttle
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.links import site_url

_CONTENT_TYPES = {"jpeg": "image/jpeg", "png": "image/png"}


def _order(request, order_id: int):
    return access_order_by_id(actor=request.user, tenant=request.tenant, order_id=order_id)


def file_response(material: MaterialFile, fh, *, download: bool) -> FileResponse:
    response = FileResponse(
        fh,
        content_type=_CONTENT_TYPES.get(material.image_format, "application/octet-stream"),
        as_attachment=download,
        filename=f"{material.kind}-{material.pk}.{'jpg' if material.image_format == 'jpeg' else 'png'}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store, private"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _wants_json(request: HttpRequest) -> bool:
    return request.headers.get("Accept", "").startswith("application/json")


def _upload_answer(request, *, ok: bool, message: str, back: str) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"ok": ok, "message": message}, status=200 if ok else 400)
    (messages.success if ok else messages.error)(request, message)
    return redirect(back)


@applicant_required
@never_cache
def materials_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    reqs = requirements_for(order)
    phone_qr = None
    token = request.session.pop(f"phone_token_{order.pk}", None)
    if token:
        url = site_url(request.tenant) + reverse("phone:phone_page", args=[token])
        phone_qr = {"url": url, "qr": segno.make(url, error="m").svg_data_uri(scale=4)}
    return render(
        request,
        "filings/materials.html",
        {
            "order": order,
            "reqs": reqs,
            "phone_qr": phone_qr,
            "step": "materials",
            "missing": [r for r in reqs if r.state == "missing"],
            "total_files": sum(len(r.files) for r in reqs),
        },
    )


@applicant_required
@require_POST
def material_upload(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    back = reverse("filings:materials", args=[order.pk])
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _upload_answer(request, ok=False, message=_("请选择要上传的图片文件。"), back=back)
    try:
        material = ms.material_upload(
            order=order, slot=request.POST.get("slot", ""), uploaded=uploaded, actor=request.user
        )
    except ValidationError as exc:
        return _upload_answer(request, ok=False, message=" ".join(exc.messages), back=back)
    return _upload_answer(
        request,
        ok=True,
        message=_("已上传 %(name)s。") % {"name": material.original_name or material.get_kind_display()},
        back=back,
    )


@applicant_required
def material_file(request: HttpRequest, order_id: int, file_id: int) -> FileResponse:
    order = _order(request, order_id)
    material = get_or_404(MaterialFile.objects.filter(order=order), actor=request.user, pk=file_id)
    download = request.GET.get("download") == "1"
    fh = ms.material_open(material=material, actor=request.user, action="download" if download else "view")
    return file_response(material, fh, download=download)


@applicant_required
@require_POST
def material_delete(request: HttpRequest, order_id: int, file_id: int) -> HttpResponse:
    order = _order(request, order_id)
    material = get_or_404(MaterialFile.objects.filter(order=order), actor=request.user, pk=file_id)
    try:
        ms.material_delete(order=order, material=material, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    return redirect("filings:materials", order_id=order.pk)


@applicant_required
@never_cache
def material_status(request: HttpRequest, order_id: int) -> JsonResponse:
    """What the desktop page polls to show phone uploads as they arrive."""
    order = _order(request, order_id)
    counts: dict[str, int] = {}
    for slot in order.materials.values_list("slot", flat=True):
        counts[slot] = counts.get(slot, 0) + 1
    return JsonResponse({"files": counts, "total": sum(counts.values())})


@applicant_required
def verification_sheet(request: HttpRequest, order_id: int) -> HttpResponse:
    from filings.materials.sheet import verification_sheet_pdf

    order = _order(request, order_id)
    response = HttpResponse(verification_sheet_pdf(order=order), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="verification-sheet-{order.pk}.pdf"'
    response["Cache-Control"] = "no-store, private"
    return response


@applicant_required
@require_POST
def phone_link_create(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    _link, token = ms.phone_link_create(order=order, actor=request.user, tenant_id=request.tenant.pk)
    # The secret is shown once, on the next page load, and never stored in clear.
    request.session[f"phone_token_{order.pk}"] = token
    return redirect("filings:materials", order_id=order.pk)


@applicant_required
@require_POST
def phone_link_revoke(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    n = ms.phone_link_revoke(order=order)
    messages.success(request, _("已停用 %(n)d 个手机上传链接。") % {"n": n})
    return redirect("filings:materials", order_id=order.pk)


@applicant_required
@require_POST
@throttle("phone-claim")  # 8 digits: without a limit, 300 guesses took 3 s (finding 3)
def phone_link_claim(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    if ms.phone_link_claim(order=order, code=request.POST.get("code", "")):
        messages.success(request, _("手机已关联到本订单，请在手机上刷新页面后拍照上传。"))
    else:
        messages.error(
            request, _("没有找到这个8位数字码，或已过期。请在手机上重新打开上传页面获取新的数字码。")
        )
    return redirect("filings:materials", order_id=order.pk)


# --- the phone's side: no login, bound to one order by the link -----------------------------


@never_cache
@throttle("phone-start")  # anonymous: each POST creates a link row (finding 3)
def phone_start(request: HttpRequest) -> HttpResponse:
    """Where scanning is impossible: the phone gets an 8-digit code to type on the desktop."""
    if request.tenant is None:
        raise Http404
    if request.method == "POST":
        _link, token = ms.phone_link_create(order=None, tenant_id=request.tenant.pk)
        return redirect("phone:phone_page", token=token)
    return render(request, "filings/phone_start.html")


@never_cache
def phone_page(request: HttpRequest, token: str) -> HttpResponse:
    link = ms.phone_link_resolve(token=token) if request.tenant is not None else None
    if link is None:
        return render(request, "filings/phone_expired.html", status=404)
    if link.order is None:
        return render(request, "filings/phone_waiting.html", {"link": link})
    order = link.order
    back = reverse("phone:phone_page", args=[token])
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return _upload_answer(request, ok=False, message=_("请选择或拍摄一张照片。"), back=back)
        try:
            material = ms.material_upload(
                order=order, slot=request.POST.get("slot", ""), uploaded=uploaded, actor=None, via_phone=True
            )
        except ValidationError as exc:
            return _upload_answer(request, ok=False, message=" ".join(exc.messages), back=back)
        return _upload_answer(
            request, ok=True, message=_("已上传：%(k)s。") % {"k": material.get_kind_display()}, back=back
        )
    reqs = [r for r in requirements_for(order) if not r.later]
    return render(request, "filings/phone_page.html", {"order": order, "reqs": reqs, "link": link})
