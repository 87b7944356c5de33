"""The business calendar: Illinois State holidays, business hours across DST, closures, and the
arithmetic of business time (escalation.calendar)."""

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import holidays
import pytest
from django.contrib import admin
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st

from escalation.calendar import (
    BUSINESS_TZ,
    CLOSE,
    OPEN,
    BusinessCalendar,
    add_business_hours,
    add_business_hours_each,
    add_working_days,
    business_hours_between,
    is_business_day,
    is_holiday,
    next_business_moment,
    state_holidays,
)
from escalation.models import BusinessClosure

CHICAGO = ZoneInfo("America/Chicago")


def local(
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    microsecond: int = 0,
) -> datetime:
    """A wall-clock moment in Chicago (never one skipped or repeated by DST in these tests)."""
    return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=CHICAGO)


# --- State holidays --------------------------------------------------------------------------

HOLIDAYS_2026 = {
    date(2026, 1, 1): "New Year's Day",
    date(2026, 1, 19): "Martin Luther King Jr. Day",
    date(2026, 2, 12): "Lincoln's Birthday",
    date(2026, 2, 16): "Washington's Birthday",
    date(2026, 5, 25): "Memorial Day",
    date(2026, 6, 19): "Juneteenth",
    date(2026, 7, 3): "Independence Day (observed)",
    date(2026, 9, 7): "Labor Day",
    date(2026, 10, 12): "Columbus Day",
    date(2026, 11, 3): "General Election Day",
    date(2026, 11, 11): "Veterans' Day",
    date(2026, 11, 26): "Thanksgiving Day",
    date(2026, 11, 27): "Day after Thanksgiving",
    date(2026, 12, 25): "Christmas Day",
}

HOLIDAYS_2027 = {
    date(2027, 1, 1): "New Year's Day",
    date(2027, 1, 18): "Martin Luther King Jr. Day",
    date(2027, 2, 12): "Lincoln's Birthday",
    date(2027, 2, 15): "Washington's Birthday",
    date(2027, 5, 31): "Memorial Day",
    date(2027, 6, 18): "Juneteenth (observed)",
    date(2027, 7, 5): "Independence Day (observed)",
    date(2027, 9, 6): "Labor Day",
    date(2027, 10, 11): "Columbus Day",
    date(2027, 11, 11): "Veterans' Day",
    date(2027, 11, 25): "Thanksgiving Day",
    date(2027, 11, 26): "Day after Thanksgiving",
    date(2027, 12, 24): "Christmas Day (observed)",
    date(2027, 12, 31): "New Year's Day (observed)",
}


@pytest.mark.parametrize(("year", "expected"), [(2026, HOLIDAYS_2026), (2027, HOLIDAYS_2027)])
def test_state_holidays_by_name_and_date(year, expected):
    assert state_holidays(year) == expected


def test_the_expected_holidays_fall_on_the_weekdays_the_design_names():
    """Guards the tables above against a typo: every observed date is a weekday, and the
    weekend ones really moved (July 4 2026 is a Saturday, July 4 2027 a Sunday, ...)."""
    assert all(day.weekday() < 5 for day in [*HOLIDAYS_2026, *HOLIDAYS_2027])
    assert date(2026, 7, 4).weekday() == 5
    assert date(2027, 6, 19).weekday() == 5
    assert date(2027, 7, 4).weekday() == 6
    assert date(2027, 12, 25).weekday() == 5
    assert date(2028, 1, 1).weekday() == 5


@pytest.mark.parametrize("year", range(2023, 2061))
def test_state_holidays_agree_with_the_holidays_library_once_corrected(year):
    """An independent source: the library's Illinois holidays, on weekdays (observed dates
    included), without Casimir Pulaski Day and with the day after Thanksgiving."""
    library = holidays.country_holidays("US", subdiv="IL", years=[year, year + 1])
    expected = {
        day
        for day, name in library.items()
        if day.year == year and day.weekday() < 5 and "Pulaski" not in name
    }
    thanksgiving = next(d for d, n in library.items() if d.year == year and n == "Thanksgiving Day")
    expected.add(thanksgiving + timedelta(days=1))
    assert set(state_holidays(year)) == expected


def test_every_observed_holiday_is_a_weekday_and_in_its_year():
    for year in range(2000, 2101):
        observed = state_holidays(year)
        assert all(day.weekday() < 5 and day.year == year for day in observed)
        assert len(observed) == (14 if year % 2 == 0 else 13) + (
            # New Year's Day of next year observed on December 31 of this year ...
            date(year + 1, 1, 1).weekday() == 5
        ) - (
            # ... in which case this year's (a Saturday too) was observed the year before.
            date(year, 1, 1).weekday() == 5
        )


def test_state_holidays_returns_a_copy():
    state_holidays(2026).clear()
    assert state_holidays(2026) == HOLIDAYS_2026


def test_new_year_2028_is_observed_on_friday_december_31_2027():
    assert is_holiday(date(2027, 12, 31))
    assert date(2027, 12, 31) in state_holidays(2027)
    assert date(2027, 12, 31) not in state_holidays(2028)
    assert date(2028, 1, 1) not in state_holidays(2028)  # a Saturday: no business anyway
    assert not BusinessCalendar().is_business_day(date(2027, 12, 31))


@pytest.mark.django_db
def test_module_is_business_day_on_holidays_weekends_and_ordinary_days():
    assert not is_business_day(date(2027, 12, 31))  # New Year's Day 2028, observed
    assert not is_business_day(date(2026, 11, 27))  # the day after Thanksgiving
    assert not is_business_day(date(2026, 7, 3))  # Independence Day, observed
    assert not is_business_day(date(2026, 7, 4))  # a Saturday
    assert is_business_day(date(2026, 7, 6))


def test_the_day_after_thanksgiving_is_not_a_business_day():
    calendar = BusinessCalendar()
    for friday in (date(2026, 11, 27), date(2027, 11, 26), date(2028, 11, 24)):
        assert friday.weekday() == 4
        assert is_holiday(friday)
        assert not calendar.is_business_day(friday)


def test_general_election_day_only_in_even_years():
    assert is_holiday(date(2026, 11, 3))
    assert is_holiday(date(2028, 11, 7))
    # 2027: November 1 is a Monday, so the Tuesday after it would be November 2.
    assert date(2027, 11, 2).weekday() == 1
    assert not is_holiday(date(2027, 11, 2))
    assert BusinessCalendar().is_business_day(date(2027, 11, 2))


def test_election_day_is_the_tuesday_after_the_first_monday_not_the_first_tuesday():
    # November 1 2022 was a Tuesday; the election was on November 8.
    assert not is_holiday(date(2022, 11, 1))
    assert is_holiday(date(2022, 11, 8))


@pytest.mark.parametrize("day", [date(2026, 3, 2), date(2027, 3, 1)])
def test_casimir_pulaski_day_is_a_business_day(day):
    assert day.weekday() == 0
    assert not is_holiday(day)
    assert BusinessCalendar().business_hours_between(
        datetime.combine(day, time(0), tzinfo=CHICAGO),
        datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHICAGO),
    ) == pytest.approx(9)


def test_a_calendar_answers_whether_a_day_is_a_holiday():
    calendar = BusinessCalendar()
    assert calendar.is_holiday(date(2026, 11, 27))  # the day after Thanksgiving
    assert calendar.is_holiday(date(2027, 12, 31))  # New Year's Day 2028, observed
    assert not calendar.is_holiday(date(2026, 11, 30))
    assert not calendar.is_holiday(date(2026, 11, 28))  # a Saturday, but no holiday


# --- Business hours and DST ------------------------------------------------------------------


def test_constants():
    assert BUSINESS_TZ.key == "America/Chicago"
    assert time(8) == OPEN
    assert time(17) == CLOSE


@pytest.mark.parametrize(
    "monday",
    [
        date(2026, 3, 2),  # an ordinary week
        date(2026, 3, 9),  # the week after the spring-forward Sunday
        date(2026, 11, 2),  # the week after the fall-back Sunday (Tuesday: Election Day)
        date(2026, 2, 23),
    ],
)
def test_a_business_day_is_nine_hours_whatever_the_clocks_did(monday):
    calendar = BusinessCalendar()
    for offset in range(5):
        day = monday + timedelta(days=offset)
        hours = calendar.business_hours_between(
            datetime.combine(day, time(0), tzinfo=CHICAGO),
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=CHICAGO),
        )
        assert hours == (0 if is_holiday(day) else 9)


@pytest.mark.parametrize(
    ("friday", "monday"),
    [(date(2026, 3, 6), date(2026, 3, 9)), (date(2026, 10, 30), date(2026, 11, 2))],
    ids=["spring-forward", "fall-back"],
)
def test_business_hours_across_a_dst_weekend(friday, monday):
    start = datetime.combine(friday, time(16), tzinfo=CHICAGO)
    end = datetime.combine(monday, time(9), tzinfo=CHICAGO)
    # The wall clocks moved by an hour over the weekend; the business day did not.
    assert start.utcoffset() != end.utcoffset()
    calendar = BusinessCalendar()
    assert calendar.business_hours_between(start, end) == 2
    assert calendar.add_business_hours(start, 2) == end
    assert calendar.add_business_hours(start, 2).utcoffset() == end.utcoffset()
    monday_close = datetime.combine(monday, CLOSE, tzinfo=CHICAGO)
    assert calendar.add_business_hours(start, 10) == monday_close
    assert calendar.business_hours_between(start, monday_close) == 10


@pytest.mark.django_db
def test_module_functions_across_the_spring_forward_weekend():
    start, end = local(2026, 3, 6, 16), local(2026, 3, 9, 9)
    assert business_hours_between(start, end) == 2
    assert add_business_hours(start, 2) == end
    result = add_business_hours(start, 2)
    assert (result.hour, result.minute) == (9, 0)
    assert result.tzinfo.key == "America/Chicago"


def test_moments_in_utc_are_read_in_chicago_time():
    # 2026-01-06 14:00 UTC is 8:00 in Chicago (CST, UTC-6); the business day starts there.
    calendar = BusinessCalendar()
    start = datetime(2026, 1, 6, 13, tzinfo=UTC)
    assert calendar.business_hours_between(start, datetime(2026, 1, 6, 15, tzinfo=UTC)) == 1
    assert calendar.next_business_moment(start) == local(2026, 1, 6, 8)


def test_business_hours_between_is_zero_for_an_empty_or_backward_range():
    calendar = BusinessCalendar()
    assert calendar.business_hours_between(local(2026, 1, 6, 10), local(2026, 1, 6, 10)) == 0
    assert calendar.business_hours_between(local(2026, 1, 6, 12), local(2026, 1, 6, 10)) == 0
    assert calendar.business_hours_between(local(2026, 1, 6, 10), local(2026, 1, 6, 11)) == 1


def test_a_week_and_a_year_of_business_hours():
    calendar = BusinessCalendar()
    assert calendar.business_hours_between(local(2026, 1, 5), local(2026, 1, 12)) == 45
    weekdays_2026 = sum(
        1 for d in range(365) if (date(2026, 1, 1) + timedelta(days=d)).weekday() < 5
    )
    assert calendar.business_hours_between(local(2026, 1, 1), local(2027, 1, 1)) == 9 * (
        weekdays_2026 - len(HOLIDAYS_2026)
    )


def test_add_business_hours_zero_moves_to_the_next_business_moment():
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(local(2026, 1, 6, 10, 30), 0) == local(2026, 1, 6, 10, 30)
    assert calendar.add_business_hours(local(2026, 1, 6, 6), 0) == local(2026, 1, 6, 8)
    assert calendar.add_business_hours(local(2026, 1, 9, 17), 0) == local(2026, 1, 12, 8)


def test_add_business_hours_ends_at_closing_time_rather_than_the_next_opening():
    calendar = BusinessCalendar()
    assert calendar.add_business_hours(local(2026, 1, 9, 8), 9) == local(2026, 1, 9, 17)
    assert calendar.add_business_hours(local(2026, 1, 9, 16), 1.5) == local(2026, 1, 12, 8, 30)
    assert calendar.add_business_hours(local(2026, 1, 9, 18), 1) == local(2026, 1, 12, 9)


def test_add_business_hours_returns_chicago_time_for_a_utc_start():
    result = BusinessCalendar().add_business_hours(datetime(2026, 7, 7, 15, tzinfo=UTC), 1)
    assert result.tzinfo.key == "America/Chicago"
    assert result == local(2026, 7, 7, 11)


def test_next_business_moment():
    calendar = BusinessCalendar()
    assert calendar.next_business_moment(local(2026, 1, 6, 8)) == local(2026, 1, 6, 8)
    assert calendar.next_business_moment(local(2026, 1, 6, 7, 59)) == local(2026, 1, 6, 8)
    assert calendar.next_business_moment(local(2026, 1, 6, 16, 59)) == local(2026, 1, 6, 16, 59)
    assert calendar.next_business_moment(local(2026, 1, 9, 17)) == local(2026, 1, 12, 8)
    assert calendar.next_business_moment(local(2026, 12, 24, 17)) == local(2026, 12, 28, 8)


@pytest.mark.django_db
def test_module_next_business_moment():
    assert next_business_moment(local(2026, 11, 25, 17)) == local(2026, 11, 30, 8)
    assert next_business_moment(local(2026, 11, 30, 9)) == local(2026, 11, 30, 9)


def test_business_time_runs_from_8_00_and_stops_at_17_00_sharp():
    calendar = BusinessCalendar()
    assert not calendar.is_business_moment(local(2026, 1, 6, 7, 59, 59, 999999))
    assert calendar.is_business_moment(local(2026, 1, 6, 8))
    assert calendar.is_business_moment(local(2026, 1, 6, 16, 59, 59, 999999))
    assert not calendar.is_business_moment(local(2026, 1, 6, 17))
    assert not calendar.is_business_moment(local(2026, 1, 10, 10))  # a Saturday
    assert not calendar.is_business_moment(local(2026, 11, 27, 10))  # the day after Thanksgiving


def test_business_time_is_exact_to_the_microsecond():
    calendar = BusinessCalendar()
    last = local(2026, 1, 6, 16, 59, 59, 999999)
    assert calendar.business_time_between(last, local(2026, 1, 6, 17)) == timedelta(microseconds=1)
    assert calendar.add_business_time(last, timedelta(microseconds=1)) == local(2026, 1, 6, 17)
    friday_close = local(2026, 1, 9, 17)
    assert calendar.add_business_time(friday_close, timedelta(microseconds=1)) == local(
        2026, 1, 12, 8, 0, 0, 1
    )


def test_more_than_a_year_of_business_hours_is_added_without_giving_up():
    calendar = BusinessCalendar()
    start = local(2026, 1, 5, 8)
    # 246 business days are left in 2026 after Friday January 2 (2,214 hours); the other 486
    # hours are the first 54 business days of 2027, the last one Tuesday March 23.
    end = calendar.add_business_hours(start, 2700)
    assert end == local(2027, 3, 23, 17)
    assert calendar.business_hours_between(start, end) == 2700


def test_a_moment_in_business_hours_comes_back_in_chicago_time():
    moment = datetime(2026, 1, 6, 16, tzinfo=UTC)  # 10:00 in Chicago
    for result in (
        BusinessCalendar().next_business_moment(moment),
        BusinessCalendar().add_business_hours(moment, 0),
    ):
        assert result == moment
        assert result.tzinfo is BUSINESS_TZ


def test_the_business_day_is_chicago_s_whatever_time_zone_the_server_runs_in(settings):
    settings.TIME_ZONE = "UTC"  # Django sets the process time zone (TZ) from it
    calendar = BusinessCalendar()
    # Monday 19:00 in Chicago is already Tuesday in UTC; the start day is still Monday.
    monday_evening = local(2026, 1, 5, 19)
    assert calendar.add_working_days(monday_evening, 1) == local(2026, 1, 6, 17)


def test_negative_or_infinite_hours_are_refused():
    calendar = BusinessCalendar()
    for hours in (-1, float("inf"), float("nan")):
        with pytest.raises(ValueError, match="finite number"):
            calendar.add_business_hours(local(2026, 1, 6, 10), hours)


# --- Working days ------------------------------------------------------------------------------


def test_two_working_days_from_the_day_before_thanksgiving():
    calendar = BusinessCalendar()
    # Thursday and Friday are holidays, then the weekend: Monday counts 1, Tuesday 2.
    assert calendar.add_working_days(local(2026, 11, 25, 10), 2) == local(2026, 12, 1, 17)


@pytest.mark.django_db
def test_module_add_working_days_from_the_day_before_thanksgiving():
    assert add_working_days(local(2026, 11, 25, 10), 2) == local(2026, 12, 1, 17)


def test_working_days_from_a_saturday_count_from_monday():
    calendar = BusinessCalendar()
    assert calendar.add_working_days(local(2026, 1, 10, 11), 1) == local(2026, 1, 12, 17)
    assert calendar.add_working_days(local(2026, 1, 10, 11), 2) == local(2026, 1, 13, 17)


def test_the_start_day_does_not_count_even_early_in_the_morning():
    calendar = BusinessCalendar()
    assert calendar.add_working_days(local(2026, 1, 6, 7), 1) == local(2026, 1, 7, 17)
    assert calendar.add_working_days(local(2026, 1, 9, 16), 1) == local(2026, 1, 12, 17)


def test_zero_working_days_is_the_end_of_business_that_day_or_the_next_business_day():
    calendar = BusinessCalendar()
    assert calendar.add_working_days(local(2026, 1, 6, 7), 0) == local(2026, 1, 6, 17)
    assert calendar.add_working_days(local(2026, 1, 10, 7), 0) == local(2026, 1, 12, 17)
    with pytest.raises(ValueError, match=">= 0"):
        calendar.add_working_days(local(2026, 1, 6, 7), -1)


def test_working_days_reach_the_end_of_business_in_utc_terms_across_dst():
    # Friday before the spring-forward weekend + 1 working day: Monday 17:00 CDT = 22:00 UTC.
    result = BusinessCalendar().add_working_days(local(2026, 3, 6, 9), 1)
    assert result == datetime(2026, 3, 9, 22, tzinfo=UTC)


# --- Closures ----------------------------------------------------------------------------------


def closure(starts_at, ends_at, reason="Snow day") -> BusinessClosure:
    return BusinessClosure.objects.create(starts_at=starts_at, ends_at=ends_at, reason=reason)


@pytest.mark.django_db
class TestClosuresFromTheDatabase:
    week = (local(2026, 1, 12), local(2026, 1, 17))  # Monday to Saturday

    def test_without_closures_the_week_has_45_hours(self):
        assert business_hours_between(*self.week) == 45

    def test_a_full_day_closure_removes_the_day(self):
        closure(local(2026, 1, 14), local(2026, 1, 15))
        assert business_hours_between(*self.week) == 36
        assert not is_business_day(date(2026, 1, 14))
        assert is_business_day(date(2026, 1, 15))
        assert add_business_hours(local(2026, 1, 13, 16), 2) == local(2026, 1, 15, 9)
        assert next_business_moment(local(2026, 1, 14, 9)) == local(2026, 1, 15, 8)
        # A working day that is closed does not count either.
        assert add_working_days(local(2026, 1, 13, 10), 1) == local(2026, 1, 15, 17)

    def test_a_closure_covering_only_the_business_hours_also_removes_the_day(self):
        closure(local(2026, 1, 14, 8), local(2026, 1, 14, 17))
        assert not is_business_day(date(2026, 1, 14))
        assert business_hours_between(*self.week) == 36

    def test_several_targets_from_one_start_read_the_closures_once(self, django_assert_num_queries):
        closure(local(2026, 1, 14), local(2026, 1, 15))
        start = local(2026, 1, 13, 16)
        with django_assert_num_queries(1):
            dues = add_business_hours_each(start, [2, 18, 0])
        assert dues == [add_business_hours(start, hours) for hours in (2, 18, 0)]
        assert dues[1] == local(2026, 1, 16, 16)  # the closed Wednesday skipped
        assert add_business_hours_each(start, []) == []

    def test_a_half_day_closure_counts_four_hours_that_day(self):
        closure(local(2026, 1, 14, 12), local(2026, 1, 14, 17), reason="Offices close at noon")
        assert business_hours_between(local(2026, 1, 14), local(2026, 1, 15)) == 4
        assert business_hours_between(*self.week) == 40
        assert is_business_day(date(2026, 1, 14))
        assert add_business_hours(local(2026, 1, 14, 11), 1) == local(2026, 1, 14, 12)
        assert add_business_hours(local(2026, 1, 14, 11), 2) == local(2026, 1, 15, 9)
        assert next_business_moment(local(2026, 1, 14, 12)) == local(2026, 1, 15, 8)
        # The end of business that day is noon.
        assert add_working_days(local(2026, 1, 13, 10), 1) == local(2026, 1, 14, 12)

    def test_closures_outside_business_hours_change_nothing(self):
        closure(local(2026, 1, 14, 17), local(2026, 1, 15, 8), reason="Night")
        closure(local(2026, 1, 17), local(2026, 1, 19), reason="Weekend")
        assert business_hours_between(*self.week) == 45

    def test_overlapping_closures_are_not_subtracted_twice(self):
        closure(local(2026, 1, 14, 9), local(2026, 1, 14, 12))
        closure(local(2026, 1, 14, 11), local(2026, 1, 14, 13))
        assert business_hours_between(local(2026, 1, 14), local(2026, 1, 15)) == 5

    def test_a_closure_longer_than_the_horizon_is_still_read(self):
        """The module fetches closures for a horizon past the start and then in chunks."""
        closure(local(2026, 1, 5), local(2026, 6, 1), reason="Long shutdown")
        assert add_business_hours(local(2026, 1, 5, 9), 1) == local(2026, 6, 1, 9)
        assert next_business_moment(local(2026, 1, 5, 9)) == local(2026, 6, 1, 8)
        assert add_working_days(local(2026, 1, 5, 9), 1) == local(2026, 6, 1, 17)

    def test_a_closure_starting_beyond_the_first_horizon_is_fetched_too(
        self, django_assert_num_queries
    ):
        """The first query covers a few weeks after the start; a long closure pushes the walk
        past them, and the next chunk brings the closure of Monday March 2."""
        closure(local(2026, 1, 5), local(2026, 3, 1), reason="Long shutdown")
        closure(local(2026, 3, 2), local(2026, 3, 3), reason="Snow day")
        with django_assert_num_queries(2):
            assert add_business_hours(local(2026, 1, 5, 9), 1) == local(2026, 3, 3, 9)
        assert next_business_moment(local(2026, 1, 5, 9)) == local(2026, 3, 3, 8)
        assert add_working_days(local(2026, 1, 5, 9), 1) == local(2026, 3, 3, 17)

    def test_a_calendar_from_the_database_fetches_the_days_just_after_its_range(self):
        closure(local(2026, 1, 28), local(2026, 1, 29))
        calendar = BusinessCalendar.from_db(local(2026, 1, 5, 9), local(2026, 1, 27, 23))
        assert not calendar.is_business_day(date(2026, 1, 28))
        assert calendar.add_business_hours(local(2026, 1, 27, 16), 2) == local(2026, 1, 29, 9)

    def test_a_calendar_from_the_database_fetches_days_before_its_range_too(self):
        closure(local(2026, 1, 14), local(2026, 1, 15))
        calendar = BusinessCalendar.from_db(local(2026, 6, 1), local(2026, 6, 5))
        assert not calendar.is_business_day(date(2026, 1, 14))
        assert calendar.is_business_day(date(2026, 1, 13))

    def test_a_closure_weeks_ahead_is_counted(self):
        closure(local(2026, 3, 2), local(2026, 3, 3))  # Casimir Pulaski Day, closed this year
        start = local(2026, 1, 5, 8)
        # Eight weeks of 45 hours, less MLK Day and Lincoln's and Washington's Birthdays, end
        # on Friday February 27; the next hour is on Tuesday March 3, Monday being closed.
        hours = 45 * 8 - 27
        assert add_business_hours(start, hours) == local(2026, 2, 27, 17)
        assert add_business_hours(start, hours + 1) == local(2026, 3, 3, 9)

    def test_each_call_reads_the_closures_once_and_caches_nothing(self, django_assert_num_queries):
        start = local(2026, 1, 13, 16)
        with django_assert_num_queries(1):
            assert add_business_hours(start, 40) == local(2026, 1, 21, 11)
        closure(local(2026, 1, 14), local(2026, 1, 15))
        with django_assert_num_queries(1):
            assert add_business_hours(start, 40) == local(2026, 1, 22, 11)
        with django_assert_num_queries(1):
            assert business_hours_between(*self.week) == 36

    def test_holidays_and_weekends_need_no_query(self, django_assert_num_queries):
        with django_assert_num_queries(0):
            assert not is_business_day(date(2026, 11, 27))
            assert not is_business_day(date(2026, 11, 28))
            assert business_hours_between(local(2026, 1, 6, 10), local(2026, 1, 6, 9)) == 0
            assert business_hours_between(local(2026, 1, 6, 10), local(2026, 1, 6, 10)) == 0

    def test_a_calendar_from_the_database_reads_around_its_range_a_chunk_at_a_time(
        self, django_assert_num_queries
    ):
        closure(local(2026, 4, 1), local(2026, 4, 2))
        closure(local(2026, 7, 31), local(2026, 8, 1))
        with django_assert_num_queries(1):
            calendar = BusinessCalendar.from_db(local(2026, 6, 1), local(2026, 6, 5))
        with django_assert_num_queries(0):
            assert calendar.is_business_day(date(2026, 6, 5))  # its last day
        with django_assert_num_queries(1):  # the 62 days before it
            assert calendar.is_business_day(date(2026, 5, 29))
        with django_assert_num_queries(0):
            assert not calendar.is_business_day(date(2026, 4, 1))
        with django_assert_num_queries(1):  # the 62 days after it
            assert calendar.is_business_day(date(2026, 6, 8))
        with django_assert_num_queries(0):
            assert not calendar.is_business_day(date(2026, 7, 31))

    def test_each_module_function_reads_the_closures_with_one_query(
        self, django_assert_num_queries
    ):
        with django_assert_num_queries(1):
            assert add_working_days(local(2026, 1, 13, 10), 5) == local(2026, 1, 21, 17)
        with django_assert_num_queries(1):
            assert next_business_moment(local(2026, 1, 9, 17)) == local(2026, 1, 12, 8)
        with django_assert_num_queries(1):  # 100 business days, to Memorial Day week
            assert add_business_hours(local(2026, 1, 5, 8), 900) == local(2026, 5, 28, 17)

    def test_a_closure_must_end_after_it_starts(self):
        with pytest.raises(IntegrityError), transaction.atomic():
            closure(local(2026, 1, 14, 12), local(2026, 1, 14, 12))

    def test_the_closure_reads_well(self):
        snow = closure(local(2026, 1, 14), local(2026, 1, 15))
        assert str(snow) == "Snow day: 2026-01-14 00:00 to 2026-01-15 00:00"


def test_closures_are_in_the_admin_newest_first():
    assert admin.site.is_registered(BusinessClosure)
    model_admin = admin.site.get_model_admin(BusinessClosure)
    assert model_admin.get_ordering(None) == ["-starts_at"]
    assert {"starts_at", "ends_at", "reason"} <= set(model_admin.list_display)


def test_a_preloaded_calendar_takes_closures_as_pairs_of_datetimes():
    calendar = BusinessCalendar(
        [
            (local(2026, 1, 14), local(2026, 1, 15)),
            (datetime(2026, 1, 15, 18, tzinfo=UTC), datetime(2026, 1, 15, 23, tzinfo=UTC)),
        ]
    )
    # The second one is 12:00-17:00 in Chicago on Thursday: 45 - 9 - 5.
    assert calendar.business_hours_between(local(2026, 1, 12), local(2026, 1, 17)) == 31
    assert not calendar.is_business_day(date(2026, 1, 14))


def test_a_closure_of_more_than_a_year_is_refused_rather_than_walked_forever():
    calendar = BusinessCalendar([(local(2026, 1, 1), local(2028, 1, 1))])
    start = local(2026, 1, 5, 9)
    with pytest.raises(ValueError, match="No business"):
        calendar.add_business_hours(start, 1)
    with pytest.raises(ValueError, match="No business"):
        calendar.next_business_moment(start)
    with pytest.raises(ValueError, match="No business"):
        calendar.add_working_days(start, 1)


# Within 366 days without business time the calendar walks on; at 366 it gives up.
START = local(2026, 1, 5, 9)  # a Monday; 365 and 366 days later are a Tuesday and a Wednesday


def closed_days(first: date, days: int) -> BusinessCalendar:
    starts = datetime.combine(first, time(0), tzinfo=CHICAGO)
    return BusinessCalendar([(starts, starts + timedelta(days=days))])


def test_business_hours_are_found_after_365_closed_days_but_not_after_366():
    # From inside the closure ...
    assert closed_days(START.date(), 365).add_business_hours(START, 1) == local(2027, 1, 5, 9)
    with pytest.raises(ValueError, match="No business"):
        closed_days(START.date(), 366).add_business_hours(START, 1)
    # ... and from a business day just before it (9 hours on Monday, then the closure).
    day_after = START.date() + timedelta(days=1)
    start = local(2026, 1, 5, 8)
    assert closed_days(day_after, 365).add_business_hours(start, 10) == local(2027, 1, 6, 9)
    with pytest.raises(ValueError, match="No business"):
        closed_days(day_after, 366).add_business_hours(start, 10)


def test_working_days_are_found_after_365_closed_days_but_not_after_366():
    day_after = START.date() + timedelta(days=1)
    assert closed_days(day_after, 365).add_working_days(START, 1) == local(2027, 1, 6, 17)
    with pytest.raises(ValueError, match="No business day"):
        closed_days(day_after, 366).add_working_days(START, 1)
    # The second working day comes 365 closed days after the first.
    two_days_after = START.date() + timedelta(days=2)
    assert closed_days(two_days_after, 365).add_working_days(START, 2) == local(2027, 1, 7, 17)


# --- Naive datetimes ---------------------------------------------------------------------------

NAIVE = datetime(2026, 1, 6, 10)
AWARE = local(2026, 1, 6, 10)


class NoOffset(tzinfo):
    """A time zone that knows no offset: Python counts such datetimes as naive too."""

    def utcoffset(self, dt):
        return None

    def dst(self, dt):
        return None

    def tzname(self, dt):
        return None


NO_OFFSET = datetime(2026, 1, 6, 10, tzinfo=NoOffset())


@pytest.mark.parametrize(
    "call",
    [
        lambda: business_hours_between(NAIVE, AWARE),
        lambda: business_hours_between(AWARE, NAIVE),
        lambda: business_hours_between(NAIVE, NAIVE),
        lambda: add_business_hours(NAIVE, 1),
        lambda: add_working_days(NAIVE, 1),
        lambda: next_business_moment(NAIVE),
        lambda: BusinessCalendar().business_hours_between(NAIVE, AWARE),
        lambda: BusinessCalendar().add_business_hours(NAIVE, 0),
        lambda: BusinessCalendar().add_working_days(NAIVE, 1),
        lambda: BusinessCalendar().next_business_moment(NAIVE),
        lambda: BusinessCalendar().is_business_moment(NAIVE),
        lambda: BusinessCalendar([(NAIVE, AWARE + timedelta(hours=1))]),
        lambda: BusinessCalendar.from_db(NAIVE, AWARE),
        lambda: BusinessCalendar.from_db(AWARE, NAIVE),
        lambda: BusinessCalendar().add_business_hours(NO_OFFSET, 0),
        lambda: BusinessCalendar().business_hours_between(AWARE, NO_OFFSET),
    ],
)
def test_naive_datetimes_are_refused(call):
    # No database access is allowed here: the check comes before any query.
    with pytest.raises(ValueError, match="aware"):
        call()


# --- Properties ----------------------------------------------------------------------------

# Any instant, drawn in UTC (so never an imaginary or ambiguous wall time) and shown in Chicago.
instants = st.datetimes(datetime(2025, 1, 1), datetime(2028, 12, 31), timezones=st.just(UTC)).map(
    lambda d: d.astimezone(CHICAGO)
)
# Instants on the edges that matter: opening, closing, noon, midnight, and a minute either side.
edges = st.builds(
    lambda day, t: datetime.combine(day, t, tzinfo=CHICAGO),
    st.dates(date(2025, 1, 1), date(2028, 12, 31)),
    st.sampled_from([time(0), time(7, 59), time(8), time(8, 1), time(12), time(16, 59), time(17)]),
)
moments = st.one_of(instants, edges)
hours = st.integers(min_value=0, max_value=200 * 60).map(lambda minutes: minutes / 60)


@st.composite
def closures_near(draw, start: datetime) -> list[tuple[datetime, datetime]]:
    """Up to three closures within 300 hours after ``start``, of a minute to three days, in UTC
    (so that comparing them with Chicago times compares instants, not wall-clock times)."""
    found = []
    for _ in range(draw(st.integers(0, 3))):
        begins = start.astimezone(UTC) + timedelta(minutes=draw(st.integers(-600, 300 * 60)))
        found.append((begins, begins + timedelta(minutes=draw(st.integers(1, 3 * 24 * 60)))))
    return found


@settings(deadline=None, max_examples=200)
@given(data=st.data(), start=moments, h=hours)
def test_property_hours_between_start_and_start_plus_h_is_h(data, start, h):
    calendar = BusinessCalendar(data.draw(closures_near(start)))
    assert calendar.business_hours_between(start, calendar.add_business_hours(start, h)) == h


@settings(deadline=None, max_examples=200)
@given(data=st.data(), start=moments, h=hours.filter(lambda h: h > 0))
def test_property_a_deadline_falls_inside_business_hours_and_outside_closures(data, start, h):
    closures = data.draw(closures_near(start))
    calendar = BusinessCalendar(closures)
    due = calendar.add_business_hours(start, h)
    assert due.tzinfo is BUSINESS_TZ
    assert due.astimezone(UTC) > start.astimezone(UTC)
    assert due.weekday() < 5
    assert not is_holiday(due.date())
    assert OPEN < due.time() <= CLOSE
    # Business time ran right up to the deadline: no closure holds the moment just before it.
    assert not any(starts < due <= ends for starts, ends in closures)
    assert calendar.is_business_moment(due - timedelta(microseconds=1))


@settings(deadline=None, max_examples=200)
@given(data=st.data(), points=st.lists(moments, min_size=3, max_size=3))
def test_property_business_hours_between_is_additive(data, points):
    a, b, c = sorted(points, key=lambda moment: moment.astimezone(UTC))
    calendar = BusinessCalendar(data.draw(closures_near(a)))
    ab = calendar.business_time_between(a, b)
    bc = calendar.business_time_between(b, c)
    assert ab + bc == calendar.business_time_between(a, c)
    assert calendar.business_hours_between(a, b) + calendar.business_hours_between(
        b, c
    ) == pytest.approx(calendar.business_hours_between(a, c), abs=1e-9)


@settings(deadline=None, max_examples=200)
@given(data=st.data(), a=moments, later=st.integers(0, 400 * 60))
def test_property_adding_the_hours_between_never_overshoots(data, a, later):
    calendar = BusinessCalendar(data.draw(closures_near(a)))
    a = calendar.next_business_moment(a)
    b = a.astimezone(UTC) + timedelta(minutes=later)
    reached = calendar.add_business_hours(a, calendar.business_hours_between(a, b))
    assert reached.astimezone(UTC) <= b
    # ... and no business time is left between the two.
    assert calendar.business_time_between(reached, b) == timedelta(0)


def brute_force_minutes(start: datetime, end: datetime, closures) -> int:
    """Business minutes in [start, end) by looking at every minute, for whole-minute bounds."""
    count = 0
    t = start.astimezone(UTC)
    while t < end:
        wall = t.astimezone(CHICAGO)
        if (
            wall.weekday() < 5
            and not is_holiday(wall.date())
            and OPEN <= wall.time() < CLOSE
            and not any(s <= t < e for s, e in closures)
        ):
            count += 1
        t += timedelta(minutes=1)
    return count


minute_instants = st.integers(0, 4 * 365 * 24 * 60).map(
    lambda m: (datetime(2025, 1, 1, tzinfo=UTC) + timedelta(minutes=m)).astimezone(CHICAGO)
)


@settings(deadline=None, max_examples=100)
@given(
    data=st.data(),
    start=st.one_of(minute_instants, edges),
    length=st.integers(0, 4 * 24 * 60),
)
def test_property_business_hours_between_agrees_with_counting_minutes(data, start, length):
    closures = data.draw(closures_near(start))  # whole minutes, as start is
    end = start + timedelta(minutes=length)
    calendar = BusinessCalendar(closures)
    expected = brute_force_minutes(start, end, closures)
    assert calendar.business_time_between(start, end) == timedelta(minutes=expected)


@pytest.mark.parametrize(
    "start",
    [
        datetime(2026, 3, 8, 7, 30, tzinfo=UTC),  # 1:30 CST, half an hour before the change
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),  # 1:30 CDT, the first of two 1:30s
        datetime(2026, 11, 1, 7, 30, tzinfo=UTC),  # 1:30 CST, the second
    ],
)
def test_starts_in_the_small_hours_of_dst_sundays(start):
    calendar = BusinessCalendar()
    monday = start.astimezone(CHICAGO).date() + timedelta(days=1)
    opening = datetime.combine(monday, OPEN, tzinfo=CHICAGO)
    assert calendar.next_business_moment(start) == opening
    assert calendar.add_business_hours(start, 9) == datetime.combine(monday, CLOSE, tzinfo=CHICAGO)
