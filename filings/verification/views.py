"""The applicant's verification page (R-S4) and the reviewer's remote-check endpoint.

Thin: parse, call filings.verification.services, render or redirect. Every page works
without JavaScript (plain forms, one per action) and on a phone.
"""

from __future__ import annotations

from collections import OrderedDict

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from filings.access import access_order_by_id, applicant_required
from filings.models import FilingOrder, OrderStatus
from filings.verification import services as vf
from filings.workflow import TransitionConflict, TransitionError
from icpfiling.accounts.models import Role
from icpfiling.tenancy.access import get_or_404
from verification_points.models import CheckResult


def _order(request: HttpRequest, order_id: int) -> FilingOrder:
    return access_order_by_id(actor=request.user, tenant=request.tenant, order_id=order_id)


def _messages_of(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _by_day(slots: list) -> list[tuple]:
    """[(local date, [slots])] in time order, for a day-by-day list on a phone."""
    days: OrderedDict = OrderedDict()
    for slot in slots:
        days.setdefault(timezone.localtime(slot.starts_at).date(), []).append(slot)
    return list(days.items())


class BookForm(forms.Form):
    slot = forms.IntegerField(required=False, min_value=1)
    remote = forms.BooleanField(required=False)


@applicant_required
@never_cache
def booking_page(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    in_verification = order.status == OrderStatus.VERIFICATION
    booking = vf.live_booking(order=order)
    options = (
        [(point, _by_day(slots)) for point, slots in vf.booking_options(order=order)]
        if in_verification
        else []
    )
    return render(
        request,
        "filings/verification/booking.html",
        {
            "order": order,
            "in_verification": in_verification,
            "booking": booking,
            "options": options,
            "originals": vf.originals_for(order),
            "photos": vf.remote_photos(order=order) if booking and booking.mode == "remote" else [],
            "checks": list(vf.order_checks(order=order)),
            "remote_available": in_verification and vf.remote_verification_available(order=order),
        },
    )


@applicant_required
@require_POST
def book(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    form = BookForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("预约时段无效，请重新选择。"))
        return redirect("verify:booking", order_id=order.pk)
    try:
        booking = vf.booking_make(
            order=order,
            applicant=request.user,
            slot_id=form.cleaned_data["slot"],
            remote=form.cleaned_data["remote"],
        )
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
        return redirect("verify:booking", order_id=order.pk)
    if booking.mode == "remote":
        messages.success(request, _("已选择远程核验。请在幕布前拍摄照片并上传。"))
    else:
        messages.success(
            request,
            _("已预约 %(point)s，%(time)s。请按时携带原件到场。")
            % {
                "point": booking.point.name,
                "time": timezone.localtime(booking.slot.starts_at).strftime("%Y-%m-%d %H:%M"),
            },
        )
    return redirect("verify:booking", order_id=order.pk)


@applicant_required
@require_POST
def cancel(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        vf.booking_cancel(order=order, applicant=request.user)
    except ValidationError as exc:
        messages.error(request, _messages_of(exc))
    else:
        messages.success(request, _("预约已取消。请重新选择核验方式。"))
    return redirect("verify:booking", order_id=order.pk)


@applicant_required
@require_POST
def photo_upload(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        messages.error(request, _("幕布照片：请选择或拍摄一张照片。"))
        return redirect("verify:booking", order_id=order.pk)
    try:
        vf.remote_photo_upload(order=order, applicant=request.user, uploaded=uploaded)
    except ValidationError as exc:
        messages.error(request, _("幕布照片：%(m)s") % {"m": _messages_of(exc)})
    else:
        messages.success(request, _("幕布照片已上传，接入商审核员将进行远程核验。"))
    return redirect("verify:booking", order_id=order.pk)


# --- the reviewer's remote check ----------------------------------------------------------


class RemoteCheckForm(forms.Form):
    originals_seen = forms.MultipleChoiceField(
        label=gettext_lazy("已核对的原件"), required=False, widget=forms.CheckboxSelectMultiple
    )
    result = forms.ChoiceField(
        label=gettext_lazy("核验结果"), choices=CheckResult.choices, required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(label=gettext_lazy("原因"), required=False, widget=forms.Textarea)

    def __init__(self, *args, order: FilingOrder, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["originals_seen"].choices = [(o.code, o.label) for o in vf.originals_for(order)]


def _review_page(order: FilingOrder) -> str:
    try:
        return reverse("review:order", kwargs={"order_id": order.pk})
    except NoReverseMatch:  # the review pages are a separate feature
        return reverse("home")


@login_required
@require_POST
def remote_check(request: HttpRequest, order_id: int) -> HttpResponse:
    if request.tenant is None or getattr(request, "role", "") != Role.REVIEWER:
        raise PermissionDenied
    order = get_or_404(
        FilingOrder.objects.filter(tenant=request.tenant).select_related("certificate_type", "province"),
        actor=request.user,
        pk=order_id,
    )
    # Parsed here and validated by the service, which names each bad field
    # (RemoteCheckForm only renders the form on the reviewer's page).
    data = {
        "originals_seen": request.POST.getlist("originals_seen"),
        "result": request.POST.get("result", ""),
        "reason": request.POST.get("reason", ""),
    }
    try:
        vf.remote_check_record(order=order, reviewer=request.user, **data)
    except ValidationError as exc:
        messages.error(request, _("远程核验未记录：%(m)s") % {"m": _messages_of(exc)})
    except TransitionConflict as exc:
        messages.error(request, _("订单已由 %(by)s 处理，请刷新页面。") % {"by": exc.by or _("其他人")})
    except TransitionError:
        messages.error(request, _("订单当前状态不能记录核验结果。"))
    else:
        messages.success(request, _("远程核验结果已记录，订单进入接入商复审。"))
    return redirect(_review_page(order))
