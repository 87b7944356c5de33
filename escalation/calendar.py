"""The business calendar: when the clocks of the service levels run.

Business hours are 8:00-17:00, Monday to Friday, in America/Chicago, except State of Illinois
employee holidays (as observed) and the closures an administrator adds (``BusinessClosure``).

All arithmetic is done per local day, in integer microseconds since the epoch: each business
day's window is [8:00, 17:00) local time turned into UTC, so a business day is always nine hours,
DST changes (2 a.m. on Sundays) included, and ``add_business_hours`` and
``business_hours_between`` invert each other exactly.

``BusinessCalendar`` works on closures given to it (a sweep loads them once); the module-level
functions build one from the database for the range they need and delegate to it.
"""

import bisect
import math
from collections.abc import Iterable, Sequence
from datetime import MAXYEAR, MINYEAR, UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("America/Chicago")
OPEN = time(8, 0)
CLOSE = time(17, 0)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_US_PER_HOUR = 3_600_000_000
_ONE_DAY = timedelta(days=1)
# Walking further than this without meeting any business time means the closures never end.
_MAX_IDLE_DAYS = 366

# --- State of Illinois employee holidays --------------------------------------------------------

_MONDAY, _THURSDAY, _SATURDAY, _SUNDAY = 0, 3, 5, 6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    last = date(year + 1, 1, 1) - _ONE_DAY if month == 12 else date(year, month + 1, 1) - _ONE_DAY
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _actual_holidays(year: int) -> list[tuple[date, str]]:
    """The holidays of ``year`` on their own dates, before moving weekend ones."""
    thanksgiving = _nth_weekday(year, 11, _THURSDAY, 4)
    days = [
        (date(year, 1, 1), "New Year's Day"),
        (_nth_weekday(year, 1, _MONDAY, 3), "Martin Luther King Jr. Day"),
        (date(year, 2, 12), "Lincoln's Birthday"),
        (_nth_weekday(year, 2, _MONDAY, 3), "Washington's Birthday"),
        (_last_weekday(year, 5, _MONDAY), "Memorial Day"),
        (date(year, 6, 19), "Juneteenth"),
        (date(year, 7, 4), "Independence Day"),
        (_nth_weekday(year, 9, _MONDAY, 1), "Labor Day"),
        (_nth_weekday(year, 10, _MONDAY, 2), "Columbus Day"),
        (date(year, 11, 11), "Veterans' Day"),
        (thanksgiving, "Thanksgiving Day"),
        (thanksgiving + _ONE_DAY, "Day after Thanksgiving"),
        (date(year, 12, 25), "Christmas Day"),
    ]
    if year % 2 == 0:
        # The Tuesday after the first Monday of November.
        days.append((_nth_weekday(year, 11, _MONDAY, 1) + _ONE_DAY, "General Election Day"))
    # Casimir Pulaski Day (first Monday of March) is a working day for state offices.
    return days


def _observed(day: date) -> date:
    """Saturday holidays are observed the Friday before, Sunday ones the Monday after."""
    if day.weekday() == _SATURDAY:
        return day - _ONE_DAY
    if day.weekday() == _SUNDAY:
        return day + _ONE_DAY
    return day


@lru_cache(maxsize=256)
def _holidays_of(year: int) -> dict[date, str]:
    observed_days: dict[date, str] = {}
    # A neighbouring year's holiday may be observed in this one (New Year's Day on a Saturday
    # is observed on December 31 of the year before).
    for source_year in (year - 1, year, year + 1):
        if not MINYEAR < source_year < MAXYEAR:
            continue
        for actual, name in _actual_holidays(source_year):
            observed = _observed(actual)
            if observed.year != year:
                continue
            if observed != actual:
                name = f"{name} (observed)"
            if observed in observed_days:
                name = f"{observed_days[observed]}; {name}"
            observed_days[observed] = name
    return dict(sorted(observed_days.items()))


def state_holidays(year: int) -> dict[date, str]:
    """The days of ``year`` the State offices are closed for a holiday, as observed."""
    return dict(_holidays_of(year))


def is_holiday(day: date) -> bool:
    return day in _holidays_of(day.year)


# --- Conversions ---------------------------------------------------------------------------------


def _require_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(f"The business calendar needs aware datetimes, not {moment!r}.")


def _to_us(moment: datetime) -> int:
    _require_aware(moment)
    return (moment - _EPOCH) // _MICROSECOND


def _from_us(us: int) -> datetime:
    return (_EPOCH + timedelta(microseconds=us)).astimezone(BUSINESS_TZ)


def _local_date(moment: datetime) -> date:
    return moment.astimezone(BUSINESS_TZ).date()


def _local_midnight(day: date) -> datetime:
    # Midnight always exists in America/Chicago (its changes happen at 2 a.m.).
    return datetime.combine(day, time(0), tzinfo=BUSINESS_TZ)


@lru_cache(maxsize=16384)
def _window(day: date) -> tuple[int, int] | None:
    """The day's business window [open, close) in microseconds, ignoring closures; None on
    weekends and holidays. 8:00 and 17:00 are never skipped or repeated by DST."""
    if day.weekday() >= _SATURDAY or is_holiday(day):
        return None
    return (
        _to_us(datetime.combine(day, OPEN, tzinfo=BUSINESS_TZ)),
        _to_us(datetime.combine(day, CLOSE, tzinfo=BUSINESS_TZ)),
    )


def _hours_to_us(hours: float) -> int:
    if not math.isfinite(hours) or hours < 0:
        raise ValueError(f"Business hours must be a finite number >= 0, not {hours!r}.")
    return round(hours * _US_PER_HOUR)


# --- The calendar ------------------------------------------------------------------------------

Interval = tuple[int, int]  # [a, b) in microseconds since the epoch


class BusinessCalendar:
    """Business time, given the closures as (starts_at, ends_at) pairs of aware datetimes.

    The closures are fixed for the life of the object, so the business intervals of each day
    are kept once computed: one calendar may serve a whole sweep.
    """

    def __init__(self, closures: Iterable[tuple[datetime, datetime]] = ()) -> None:
        self._closure_starts: list[int] = []
        self._closure_ends: list[int] = []
        self._free_by_day: dict[date, tuple[Interval, ...]] = {}
        self._add_closures(closures)

    @classmethod
    def from_db(cls, start: datetime, end: datetime) -> "BusinessCalendar":
        """A calendar with the closures stored for the local days from ``start`` to ``end``;
        it fetches more, a chunk at a time, if asked about days outside them."""
        _require_aware(start, end)
        return _DatabaseCalendar(_local_date(start), max(_local_date(start), _local_date(end)))

    def _add_closures(self, closures: Iterable[tuple[datetime, datetime]]) -> None:
        intervals = [(_to_us(s), _to_us(e)) for s, e in closures]
        intervals += zip(self._closure_starts, self._closure_ends, strict=True)
        merged: list[list[int]] = []
        for s, e in sorted(i for i in intervals if i[1] > i[0]):
            if merged and s <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        self._closure_starts = [s for s, _ in merged]
        self._closure_ends = [e for _, e in merged]
        self._free_by_day.clear()

    def _ensure_closures(self, day: date) -> None:
        """Hook for calendars that load closures lazily; this one knows them all."""

    def _free(self, day: date) -> tuple[Interval, ...]:
        """The day's business intervals [a, b), in microseconds, in order."""
        free = self._free_by_day.get(day)
        if free is not None:
            return free
        window = _window(day)
        if window is None:
            free = ()
        else:
            self._ensure_closures(day)
            opens, closes = window
            intervals = []
            ends = self._closure_ends
            i = bisect.bisect_right(ends, opens)
            while i < len(ends) and self._closure_starts[i] < closes:
                if self._closure_starts[i] > opens:
                    intervals.append((opens, self._closure_starts[i]))
                opens = max(opens, ends[i])
                i += 1
            if opens < closes:
                intervals.append((opens, closes))
            free = tuple(intervals)
        self._free_by_day[day] = free
        return free

    def is_holiday(self, day: date) -> bool:
        return is_holiday(day)

    def is_business_day(self, day: date) -> bool:
        """A weekday, not a holiday, and not closed for the whole of 8:00-17:00."""
        return bool(self._free(day))

    def is_business_moment(self, at: datetime) -> bool:
        """Whether business time is running at ``at`` (open at 8:00, closed at 17:00)."""
        t = _to_us(at)
        return any(a <= t < b for a, b in self._free(_local_date(at)))

    def next_business_moment(self, at: datetime) -> datetime:
        """``at`` (in BUSINESS_TZ) if business time is running then, else the next opening."""
        t = _to_us(at)
        day = _local_date(at)
        for _ in range(_MAX_IDLE_DAYS):
            for a, b in self._free(day):
                if t < b:
                    return at.astimezone(BUSINESS_TZ) if t >= a else _from_us(a)
            day += _ONE_DAY
        raise ValueError(f"No business time within {_MAX_IDLE_DAYS} days of {at}.")

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The business time in [start, end), exactly."""
        s, e = _to_us(start), _to_us(end)
        if e <= s:
            return timedelta(0)
        total = 0
        day, last = _local_date(start), _local_date(end)
        while day <= last:
            for a, b in self._free(day):
                overlap = min(b, e) - max(a, s)
                if overlap > 0:
                    total += overlap
            day += _ONE_DAY
        return timedelta(microseconds=total)

    def business_hours_between(self, start: datetime, end: datetime) -> float:
        """Hours of business time in [start, end); 0 when end <= start."""
        return (self.business_time_between(start, end) // _MICROSECOND) / _US_PER_HOUR

    def add_business_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest moment at which ``duration`` of business time has run since ``start``."""
        need = duration // _MICROSECOND
        if need < 0:
            raise ValueError(f"Business time must not be negative, not {duration!r}.")
        if need == 0:
            return self.next_business_moment(start)
        s = _to_us(start)
        day = _local_date(start)
        idle = 0
        while idle < _MAX_IDLE_DAYS:
            free = self._free(day)
            idle = idle + 1 if not free else 0
            for a, b in free:
                if b <= s:
                    continue
                begins = max(a, s)
                if need <= b - begins:
                    return _from_us(begins + need)
                need -= b - begins
            day += _ONE_DAY
        raise ValueError(f"No business time within {_MAX_IDLE_DAYS} days after {day}.")

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The earliest moment at which ``hours`` business hours have run since ``start``, in
        BUSINESS_TZ; with ``hours`` 0, ``start`` moved on to the next business moment."""
        _require_aware(start)
        return self.add_business_time(start, timedelta(microseconds=_hours_to_us(hours)))

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """The deadline of "within n working days": the end of business of the n-th business
        day after ``start``'s local date (that day itself does not count). The end of business
        is 17:00, or earlier when a closure takes the end of that day. With n = 0, the end of
        business of ``start``'s own day, or of the next business day if that day is not one."""
        _require_aware(start)
        if n < 0:
            raise ValueError(f"The number of working days must be >= 0, not {n!r}.")
        day = _local_date(start)
        if n == 0 and self._free(day):
            return _from_us(self._free(day)[-1][1])
        counted = idle = 0
        while counted < max(n, 1):
            day += _ONE_DAY
            if self._free(day):
                counted += 1
                idle = 0
            else:
                idle += 1
                if idle >= _MAX_IDLE_DAYS:
                    raise ValueError(f"No business day within {_MAX_IDLE_DAYS} days of {start}.")
        return _from_us(self._free(day)[-1][1])


class _DatabaseCalendar(BusinessCalendar):
    """A calendar reading ``BusinessClosure`` rows for the local days it is asked about, one
    query for the range it was made for and one more per chunk beyond it."""

    CHUNK = timedelta(days=62)

    def __init__(self, first_day: date, last_day: date) -> None:
        super().__init__()
        self._first_day = first_day
        self._last_day = last_day
        self._load(first_day, last_day)

    def _load(self, first_day: date, last_day: date) -> None:
        # Imported here so that the calendar can be imported before the app registry is ready.
        from escalation.models import BusinessClosure

        rows = BusinessClosure.objects.filter(
            starts_at__lt=_local_midnight(last_day + _ONE_DAY),
            ends_at__gt=_local_midnight(first_day),
        ).values_list("starts_at", "ends_at")
        self._add_closures(list(rows))

    def _ensure_closures(self, day: date) -> None:
        if day < self._first_day:
            first_day = min(day, self._first_day - self.CHUNK)
            self._load(first_day, self._first_day - _ONE_DAY)
            self._first_day = first_day
        elif day > self._last_day:
            last_day = max(day, self._last_day + self.CHUNK)
            self._load(self._last_day + _ONE_DAY, last_day)
            self._last_day = last_day


# --- Module-level functions: closures from the database ------------------------------------------

# Calendar days enough for most business-day counts: 7/5 of them, plus holidays and closures.
_SLACK = timedelta(days=21)


def _horizon(business_days: float) -> timedelta:
    return timedelta(days=min(math.ceil(business_days * 7 / 5), 3660)) + _SLACK


def is_business_day(day: date) -> bool:
    """A weekday, not a holiday, and not closed (BusinessClosure) for the whole of 8:00-17:00."""
    if _window(day) is None:
        return False
    return _DatabaseCalendar(day, day).is_business_day(day)


def business_hours_between(start: datetime, end: datetime) -> float:
    """Hours of business time in [start, end); 0 when end <= start."""
    if _to_us(end) <= _to_us(start):  # instants: wall clocks would mislead around DST
        return 0.0
    return BusinessCalendar.from_db(start, end).business_hours_between(start, end)


def add_business_hours(start: datetime, hours: float) -> datetime:
    """The earliest moment at which ``hours`` business hours have run since ``start``, in
    BUSINESS_TZ; with ``hours`` 0, ``start`` moved on to the next business moment."""
    return add_business_hours_each(start, [hours])[0]


def add_business_hours_each(start: datetime, hours: Sequence[float]) -> list[datetime]:
    """``add_business_hours`` for several targets counted from one start (a ticket's response
    and resolution clocks): one calendar, so one read of the closures, for all of them."""
    _require_aware(start)
    amounts = [_hours_to_us(h) for h in hours]
    if not amounts:
        return []
    calendar = BusinessCalendar.from_db(start, start + _horizon(max(amounts) / _US_PER_HOUR / 9))
    return [calendar.add_business_time(start, timedelta(microseconds=us)) for us in amounts]


def add_working_days(start: datetime, n: int) -> datetime:
    """The deadline of "within n working days": the end of business (17:00, or earlier if a
    closure takes the end of that day) of the n-th business day after ``start``'s local date."""
    _require_aware(start)
    calendar = BusinessCalendar.from_db(start, start + _horizon(max(n, 0)))
    return calendar.add_working_days(start, n)


def working_days_after(day: date, until: date, calendar: BusinessCalendar | None = None) -> int:
    """The business days after ``day`` up to and including ``until`` (0 when ``until`` is not
    after ``day``): how many working days late something due on ``day`` is on ``until``.
    ``calendar``: one already made (``BusinessCalendar.from_db``), to count many at once."""
    if until <= day:
        return 0
    calendar = calendar or _DatabaseCalendar(day, until)
    days = (day + timedelta(days=n) for n in range(1, (until - day).days + 1))
    return sum(calendar.is_business_day(d) for d in days)


def start_of_day(day: date) -> datetime:
    """Midnight at the start of ``day`` in BUSINESS_TZ."""
    return _local_midnight(day)


def next_business_moment(at: datetime) -> datetime:
    """``at`` (in BUSINESS_TZ) if business time is running then, else the next opening."""
    _require_aware(at)
    return BusinessCalendar.from_db(at, at + _horizon(1)).next_business_moment(at)
