"""One bounded parser for every date, month and number a user types into a filter.

A list page's query string is attacker-controlled: ``?day=0001-01-01`` overflows
``datetime.combine(...) - timedelta``, ``?month=0000-01`` is refused by ``date()``,
``?year=99999999999999999999`` is a valid ``int`` that no query can use. Every list
filter therefore parses through the form fields below, which refuse (with a message
naming the expected shape and range) anything outside [``MIN_DATE``, ``MAX_DATE``] or
outside the number's declared bounds, before any arithmetic happens.

The plain functions (``parse_date``, ``parse_month``, ``parse_int``) raise
``ValidationError``; ``*_or_default`` variants return a fallback for views that prefer
to ignore a bad value silently (e.g. a year switcher).
"""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

__all__ = [
    "MAX_DATE",
    "MAX_INPUT_LENGTH",
    "MIN_DATE",
    "BoundedDateField",
    "BoundedIntegerField",
    "BoundedMonthField",
    "int_or_default",
    "parse_date",
    "parse_int",
    "parse_month",
]

# Wide enough for every real filing (the oldest ICP records are from 2000), narrow enough
# that a day or a month either side of the bound still fits in a ``datetime``.
MIN_DATE = date(2000, 1, 1)
MAX_DATE = date(2099, 12, 31)
# Longer input is refused before any regex or int() runs on it.
MAX_INPUT_LENGTH = 32

_DATE_RE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_MONTH_RE = re.compile(r"(\d{4})-(\d{1,2})")
_INT_RE = re.compile(r"[+-]?\d{1,18}")


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    if len(text) > MAX_INPUT_LENGTH:
        raise ValidationError(_("输入过长。"), code="too_long")
    return text


def _range_error() -> ValidationError:
    return ValidationError(
        _("日期应在 %(min)s 至 %(max)s 之间。"),
        code="out_of_range",
        params={"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()},
    )


def parse_date(value: object) -> date | None:
    """``YYYY-MM-DD`` within the bounds, ``None`` for empty input; else ``ValidationError``."""
    text = _text(value)
    if not text:
        return None
    m = _DATE_RE.fullmatch(text)
    if not m:
        raise ValidationError(_("日期格式不正确，请按“年-月-日”填写，例如 2026-03-02。"), code="invalid")
    try:
        parsed = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise ValidationError(_("日期不存在，请检查月份和日期。"), code="invalid_date") from None
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise _range_error()
    return parsed


def parse_month(value: object) -> date | None:
    """``YYYY-MM`` within the bounds as the month's first day, ``None`` for empty input."""
    text = _text(value)
    if not text:
        return None
    m = _MONTH_RE.fullmatch(text)
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise ValidationError(_("月份格式应为 YYYY-MM，例如 2026-10。"), code="invalid")
    parsed = date(max(int(m.group(1)), 1), int(m.group(2)), 1)
    if not MIN_DATE <= parsed <= MAX_DATE:
        raise _range_error()
    return parsed


def parse_int(value: object, *, min_value: int, max_value: int) -> int | None:
    """A whole number within [min_value, max_value], ``None`` for empty input."""
    text = _text(value)
    if not text:
        return None
    if not _INT_RE.fullmatch(text):
        raise ValidationError(_("请输入整数。"), code="invalid")
    number = int(text)
    if not min_value <= number <= max_value:
        raise ValidationError(
            _("数值应在 %(min)s 至 %(max)s 之间。"),
            code="out_of_range",
            params={"min": min_value, "max": max_value},
        )
    return number


def int_or_default(value: object, *, min_value: int, max_value: int, default: int) -> int:
    """``parse_int`` for views that fall back to a default instead of showing an error."""
    try:
        number = parse_int(value, min_value=min_value, max_value=max_value)
    except ValidationError:
        return default
    return default if number is None else number


class BoundedDateField(forms.CharField):
    """A date filter: ``YYYY-MM-DD`` between MIN_DATE and MAX_DATE (renders as ``<input type=date>``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.DateInput(attrs={"type": "date", "min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return parse_date(super().to_python(value))


class BoundedMonthField(forms.CharField):
    """A month filter: ``YYYY-MM`` between MIN_DATE and MAX_DATE, cleaned to the month's first day."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={"type": "month", "placeholder": "2026-10", "min": "2000-01", "max": "2099-12"}
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return parse_month(super().to_python(value))


class BoundedIntegerField(forms.CharField):
    """A number filter with mandatory bounds (no unbounded ``int()`` of a query string)."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs):
        self.bounds = (min_value, max_value)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "widget",
            forms.NumberInput(attrs={"min": min_value, "max": max_value, "inputmode": "numeric"}),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        return parse_int(super().to_python(value), min_value=self.bounds[0], max_value=self.bounds[1])
