"""Business-day age boundaries: weekends, State holidays and closures do not count."""

from datetime import date

import pytest

from escalation.models import BusinessClosure
from helpdesk.tickets.aging import BUCKETS, AgeBoundaries, business_days_back
from tests.helpdesk.dashboards.conftest import at

pytestmark = pytest.mark.django_db


def test_it_walks_back_over_business_days_only():
    # Nov 11 (Veterans' Day) and Nov 3 (Election Day, an even year) are State holidays.
    assert business_days_back(date(2026, 11, 18), 11) == [
        date(2026, 11, d) for d in (18, 17, 16, 13, 12, 10, 9, 6, 5, 4, 2)
    ]


def test_a_weekend_today_is_not_counted():
    assert business_days_back(date(2026, 11, 21), 2) == [date(2026, 11, 20), date(2026, 11, 19)]


def test_a_snow_day_is_not_a_business_day():
    BusinessClosure.objects.create(starts_at=at(11, 16, 0), ends_at=at(11, 17, 0), reason="Snow")
    assert business_days_back(date(2026, 11, 18), 3) == [
        date(2026, 11, 18), date(2026, 11, 17), date(2026, 11, 13)
    ]  # fmt: skip


def test_an_early_closing_still_leaves_a_business_day():
    BusinessClosure.objects.create(starts_at=at(11, 16, 12), ends_at=at(11, 16, 17), reason="Noon")
    assert date(2026, 11, 16) in business_days_back(date(2026, 11, 18), 3)


def test_buckets_are_contiguous_and_cover_every_age():
    ages = AgeBoundaries.on(date(2026, 11, 18))
    # 0-1 starts Nov 17, 2-5 Nov 10, 6-10 Nov 2; 11+ is everything before.
    assert [s.date() for s in (ages.starts[1], ages.starts[5], ages.starts[10])] == [
        date(2026, 11, 17), date(2026, 11, 10), date(2026, 11, 2)
    ]  # fmt: skip
    assert [(b.low, b.high) for b in BUCKETS] == [(0, 1), (2, 5), (6, 10), (11, None)]
    assert all(s.utcoffset() is not None for s in ages.starts)
