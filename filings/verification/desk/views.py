"""The verification point's desk (R-T4): only role point_staff, only their own point.

A booking at another point, at another provider or cancelled answers 404
exactly like a missing one (``verification.desk_booking``).
"""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache

from filings.materials.services import material_open
from filings.materials.views import file_response
from filings.models import MaterialFile
from filings.verification import services as vf
from filings.workflow import TransitionConflict, TransitionError
from icpfiling.accounts.decorators import provider_role_required
from icpfiling.accounts.models import Role
from icpfiling.core.bounds import BoundedDateField
from icpfiling.core.masking import mask_id_number, mask_mobile
from icpfiling.tenancy.access import get_or_404
from verification_points.models import BookingStatus, CheckResult, VerificationCheck

staff_required = provider_role_required(Role.POINT_STAFF)


class DayForm(forms.Form):
    # Bounded: ?day=0001-01-01 used to overflow the day's datetime arithmetic (finding 2).
    day = BoundedDateField(label=gettext_lazy("日期"))


class CheckForm(forms.Form):
    """Parses the desk's check form; the rules (and their messages) live in the service."""

    originals_seen = forms.MultipleChoiceField(
        label=gettext_lazy("已核对的原件"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("逐项核对申请人出示的原件，与订单和上传的材料一致后勾选。"),
    )
    curtain_photo = forms.FileField(
        label=gettext_lazy("幕布照片"),
        required=False,
        help_text=gettext_lazy("在核验点幕布前拍摄负责人本人，彩色，至少 800×600 像素，JPG 或 PNG。"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png", "capture": "environment"}),
    )
    result = forms.ChoiceField(
        label=gettext_lazy("核验结果"), choices=CheckResult.choices, required=False, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=gettext_lazy("原因"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("核验不通过时必填，例如：证件原件与上传材料不一致。"),
    )

    def __init__(self, *args, originals: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["originals_seen"].choices = [(o.code, o.label) for o in originals]


def _people(order) -> list[dict]:
    """The people whose originals are checked, with their ID numbers masked."""
    people = [
        {
            "role": _("主体负责人"),
            "name": order.principal_name,
            "id_number": mask_id_number(order.principal_id_number),
            "mobile": mask_mobile(order.principal_mobile),
        }
    ]
    for site in order.websites.all():
        if not site.principal_same_as_entity:
            people.append(
                {
                    "role": _("网站负责人（%(d)s）") % {"d": site.domain_display or site.domain},
                    "name": site.principal_name,
                    "id_number": mask_id_number(site.principal_id_number),
                    "mobile": mask_mobile(site.principal_mobile),
                }
            )
    return people


@staff_required
@never_cache
def bookings(request: HttpRequest) -> HttpResponse:
    form = DayForm(request.GET or None)
    day: dt.date | None = None
    if form.is_bound and form.is_valid():
        day = form.cleaned_data["day"]
    staff = vf.staff_point(staff_user=request.user)
    rows = vf.desk_bookings(staff_user=request.user, day=day)
    return render(
        request,
        "filings/desk/bookings.html",
        {"form": form, "day": day, "today": timezone.localdate(), "staff": staff, "rows": rows},
    )


@staff_required
@never_cache
def check(request: HttpRequest, booking_id: int) -> HttpResponse:
    booking = vf.desk_booking(staff_user=request.user, booking_id=booking_id)
    order = booking.order
    originals = vf.originals_for(order)
    form = CheckForm(request.POST or None, request.FILES or None, originals=originals)
    if request.method == "POST" and booking.status == BookingStatus.BOOKED and form.is_valid():
        try:
            vf.check_record(
                order=order,
                staff_user=request.user,
                originals_seen=form.cleaned_data["originals_seen"],
                curtain_photo=form.cleaned_data["curtain_photo"],
                result=form.cleaned_data["result"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for message in errors:
                        form.add_error(field if field in form.fields else None, message)
            else:
                form.add_error(None, exc.messages)
        except TransitionConflict as exc:
            form.add_error(None, _("订单已由 %(by)s 处理，请刷新页面。") % {"by": exc.by or _("其他人")})
        except TransitionError:
            form.add_error(None, _("订单当前状态不能记录核验结果。"))
        else:
            messages.success(request, _("订单 #%(pk)s 的核验结果已记录。") % {"pk": order.pk})
            return redirect("desk:bookings")
    elif request.method == "POST" and booking.status != BookingStatus.BOOKED:
        messages.error(request, _("该预约已核验，不能重复记录。"))
        return redirect("desk:check", booking_id=booking.pk)
    recorded = VerificationCheck.objects.filter(booking=booking).select_related("checked_by").first()
    # The rule is shown before the staff fill in anything, not only as an error afterwards.
    window_error = vf.check_window_error(booking=booking) if booking.status == BookingStatus.BOOKED else ""
    return render(
        request,
        "filings/desk/check.html",
        {
            "booking": booking,
            "order": order,
            "form": form,
            "people": _people(order),
            "websites": list(order.websites.all()),
            "materials": vf.desk_materials(booking=booking),
            "recorded": recorded,
            "window_error": window_error,
            "recorded_originals": vf.originals_labels(order, recorded.originals_seen) if recorded else [],
            "certificate_number": (
                mask_id_number(order.certificate_number) if order.is_individual else order.certificate_number
            ),
        },
        status=400 if form.errors else 200,
    )


@staff_required
def material_file(request: HttpRequest, booking_id: int, file_id: int) -> FileResponse:
    booking = vf.desk_booking(staff_user=request.user, booking_id=booking_id)
    material = get_or_404(
        MaterialFile.objects.filter(
            order_id=booking.order_id, tenant_id=booking.tenant_id, kind__in=vf.DESK_MATERIAL_KINDS
        ),
        actor=request.user,
        pk=file_id,
    )
    # Audited like every view of an identity document (R-D4).
    fh = material_open(material=material, actor=request.user, action="view")
    return file_response(material, fh, download=False)
