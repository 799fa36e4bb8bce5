"""Chinese working days (holidays and make-up days) for SLA clocks (R-S2, R-S6).

chinese-calendar knows the State Council's schedule for the years it ships;
for other years (the schedule is published each December) it raises, and we
fall back to Monday–Friday so that a clock never stops.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import chinese_calendar
from django.utils import timezone


def is_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (start itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def add_working_days_at(moment: datetime, days: int) -> datetime:
    """The same local wall-clock time ``days`` working days after ``moment`` (an SLA due time)."""
    local = timezone.localtime(moment)
    target = add_working_days(local.date(), days)
    return local.replace(year=target.year, month=target.month, day=target.day)


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end is earlier)."""
    if end < start:
        return -working_days_between(end, start)
    count, current = 0, start
    while current < end:
        current += timedelta(days=1)
        count += is_working_day(current)
    return count
