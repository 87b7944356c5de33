"""Age in business days, counted without looking at each ticket.

A ticket's age on ``today`` is the number of business days after the local date it arrived,
up to and including ``today``: arrived today, 0; arrived yesterday (a business day), 1; arrived
on Friday and seen on Monday, 1. Going back over the business days up to ``today``, newest
first (``today`` included when it is one), the (n+1)-th of them is the earliest arrival date
of age n or less. So each bucket is a range of arrival instants, computed once with the
business calendar, and tickets are counted in the database with conditional aggregates.
"""

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q

from escalation.calendar import BusinessCalendar
from helpdesk.tickets.rules import day_start


@dataclass(frozen=True)
class AgeBucket:
    key: str
    label: str
    low: int  # business days, included
    high: int | None  # included; None: no upper limit


BUCKETS = (
    AgeBucket("0-1", "0–1 business days", 0, 1),
    AgeBucket("2-5", "2–5 business days", 2, 5),
    AgeBucket("6-10", "6–10 business days", 6, 10),
    AgeBucket("11+", "11 or more business days", 11, None),
)
BUCKET_KEYS = [bucket.key for bucket in BUCKETS]
_DEEPEST = max(bucket.high or bucket.low for bucket in BUCKETS)


def business_days_back(today: date, count: int) -> list[date]:
    """The last ``count`` business days up to ``today`` (included), newest first."""
    # 7/5 of the days, plus room for holidays and closures; one query for the closures.
    span = timedelta(days=count * 7 // 5 + 30)
    calendar = BusinessCalendar.from_db(day_start(today - span), day_start(today))
    days: list[date] = []
    day = today
    while len(days) < count:
        if calendar.is_business_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days


@dataclass(frozen=True)
class AgeBoundaries:
    """Arrival instants: ``starts[n]`` is the earliest arrival of age n business days or less."""

    starts: tuple[datetime, ...]

    @classmethod
    def on(cls, today: date) -> "AgeBoundaries":
        return cls(tuple(day_start(d) for d in business_days_back(today, _DEEPEST + 1)))

    def q(self, field: str, bucket: AgeBucket) -> Q:
        """Arrived (``field``) at an age within ``bucket``."""
        q = Q(**{f"{field}__isnull": False})
        if bucket.high is not None:
            q &= Q(**{f"{field}__gte": self.starts[bucket.high]})
        if bucket.low > 0:
            q &= Q(**{f"{field}__lt": self.starts[bucket.low - 1]})
        return q


def bucket(key: str) -> AgeBucket:
    return next(b for b in BUCKETS if b.key == key)


def bucket_of(age: int) -> AgeBucket:
    """The bucket an age in business days falls in."""
    return next(b for b in BUCKETS if age >= b.low and (b.high is None or age <= b.high))


def ages_on(today: date, arrivals: list[datetime]) -> list[int]:
    """Each arrival's age on ``today`` in business days (the rule of this module: the business
    days after its local date, up to and including ``today``), from one calendar."""
    if not arrivals:
        return []
    days = [a.astimezone(day_start(today).tzinfo).date() for a in arrivals]
    earliest = min(days)
    calendar = BusinessCalendar.from_db(day_start(earliest), day_start(today + timedelta(days=1)))
    business = []
    day = earliest + timedelta(days=1)
    while day <= today:
        if calendar.is_business_day(day):
            business.append(day)
        day += timedelta(days=1)
    return [len(business) - bisect_right(business, arrived) for arrived in days]
