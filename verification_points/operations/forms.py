"""Forms of the provider admin's point pages (R-K4): parsing only; rules live in the services."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from icpfiling.core.bounds import BoundedMonthField
from verification_points.models import StatementStatus, VerificationPoint
from verification_points.operations.services import (
    SLOT_CAPACITY_RANGE,
    SLOT_MINUTES_RANGE,
    opening_hours_clean,
    weekday_label,
)

_RANGE_SPLIT = re.compile(r"[,，;；\s]+")
_RANGE = re.compile(r"^(\d{1,2}:\d{2})[-–~至](\d{1,2}:\d{2})$")


def hours_to_text(ranges: list[list[str]] | None) -> str:
    return ", ".join(f"{o}-{c}" for o, c in ranges or [])


def text_to_ranges(text: str) -> list[list[str]]:
    """ "09:00-12:00, 13:30-17:30" -> [["09:00", "12:00"], ["13:30", "17:30"]]; "" -> [] (closed)."""
    ranges = []
    for part in _RANGE_SPLIT.split(text.strip()):
        if not part:
            continue
        m = _RANGE.match(part)
        if not m:
            raise ValidationError(_("“%(part)s”不是 HH:MM-HH:MM 格式的时段。") % {"part": part})
        ranges.append([t.zfill(5) for t in m.groups()])
    return ranges


def attach_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's field-keyed errors on the form's fields (others on the form)."""
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, messages in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, messages)


_HOURS_HELP = {
    0: gettext_lazy("例如 09:00-12:00, 13:30-17:30；留空表示休息。"),
    5: gettext_lazy("周六、周日只在调休上班日开放；未填写时沿用周一至周五中第一个有营业时间的日子。"),
}


class PointForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("核验点名称"), max_length=100)
    address = forms.CharField(label=gettext_lazy("地址"), max_length=300)
    phone = forms.CharField(label=gettext_lazy("联系电话"), max_length=30, required=False)
    slot_minutes = forms.IntegerField(
        label=gettext_lazy("每个时段分钟数"), min_value=SLOT_MINUTES_RANGE[0], max_value=SLOT_MINUTES_RANGE[1]
    )
    slot_capacity = forms.IntegerField(
        label=gettext_lazy("每个时段可预约人数"),
        min_value=SLOT_CAPACITY_RANGE[0],
        max_value=SLOT_CAPACITY_RANGE[1],
    )
    price_low = forms.DecimalField(
        label=gettext_lazy("单价（<50 次）"), min_value=0, max_digits=8, decimal_places=2
    )
    price_mid = forms.DecimalField(
        label=gettext_lazy("单价（50–100 次）"), min_value=0, max_digits=8, decimal_places=2
    )
    price_high = forms.DecimalField(
        label=gettext_lazy("单价（>100 次）"), min_value=0, max_digits=8, decimal_places=2
    )

    def __init__(self, *args, point: VerificationPoint, **kwargs):
        initial = {
            "name": point.name,
            "address": point.address,
            "phone": point.phone,
            "slot_minutes": point.slot_minutes,
            "slot_capacity": point.slot_capacity,
            "price_low": point.price_low,
            "price_mid": point.price_mid,
            "price_high": point.price_high,
        }
        for day in range(7):
            initial[f"hours_{day}"] = hours_to_text(point.opening_hours.get(str(day)))
        super().__init__(*args, initial=initial, **kwargs)
        for day in range(7):
            self.fields[f"hours_{day}"] = forms.CharField(
                label=weekday_label(day),
                required=False,
                max_length=200,
                help_text=_HOURS_HELP.get(day, ""),
            )

    def hours_fields(self):
        return [self[f"hours_{day}"] for day in range(7)]

    def detail_fields(self):
        return [self[n] for n in ("name", "address", "phone")]

    def slot_fields(self):
        return [self[n] for n in ("slot_minutes", "slot_capacity")]

    def price_fields(self):
        return [self[n] for n in ("price_low", "price_mid", "price_high")]

    def clean(self):
        data = super().clean()
        hours: dict[str, list[list[str]]] = {}
        for day in range(7):
            field = f"hours_{day}"
            if field not in data:
                continue
            try:
                ranges = text_to_ranges(data[field])
                # The service's own rules, one day at a time, so the error sits on that day's field.
                hours.update(opening_hours_clean({str(day): ranges}))
            except ValidationError as exc:
                self.add_error(field, exc.message_dict.get("opening_hours", exc.messages))
        data["opening_hours"] = hours
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("原因"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class TerminateForm(ReasonForm):
    confirm = forms.BooleanField(label=gettext_lazy("我确认终止该核验点，此操作不可撤销。"))


class StatementFilterForm(forms.Form):
    # Bounded: ?month=0000-01 used to raise ValueError (finding 2).
    month = BoundedMonthField(label=gettext_lazy("结算月份"))
    status = forms.ChoiceField(
        label=gettext_lazy("状态"),
        required=False,
        choices=[("", gettext_lazy("全部")), *StatementStatus.choices],
    )
