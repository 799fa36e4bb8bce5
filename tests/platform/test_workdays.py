"""Working-day arithmetic on the Chinese calendar, with a weekend fallback (R-S2)."""

from datetime import date

from icpfiling.core.workdays import add_working_days, is_working_day


def test_r_s2_national_day_holiday_is_skipped():
    # given 2025-09-30 (Tuesday) before the National Day week (Oct 1-8 off in 2025)
    # then two working days later is 2025-10-10: Oct 9 and Oct 10 are the first working days
    assert add_working_days(date(2025, 9, 30), 2) == date(2025, 10, 10)


def test_r_s2_make_up_saturday_counts_as_working_day():
    # 2025-09-28 was a Sunday make-up working day before National Day
    assert is_working_day(date(2025, 9, 28)) is True
    assert is_working_day(date(2025, 10, 1)) is False


def test_r_s2_years_the_calendar_does_not_know_fall_back_to_weekdays():
    assert is_working_day(date(2099, 1, 5)) is True  # a Monday
    assert is_working_day(date(2099, 1, 3)) is False  # a Saturday
    assert add_working_days(date(2099, 1, 2), 1) == date(2099, 1, 5)  # Friday -> Monday
