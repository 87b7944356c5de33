"""The periods the agency reports cover: a calendar month and a calendar quarter, and the
first business day of a month (the State calendar: ``escalation.calendar``), when the monthly
report is mailed."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from escalation.calendar import is_business_day

FIRST_YEAR, LAST_YEAR = 2000, 2100
_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # included
    kind: str  # "month" or "quarter"

    @property
    def year(self) -> int:
        return self.first.year

    @property
    def number(self) -> int:
        """The month (1-12) or the quarter (1-4)."""
        return self.first.month if self.kind == "month" else (self.first.month - 1) // 3 + 1

    @property
    def slug(self) -> str:
        """``2026-11`` or ``2026Q4``: in file names, send keys and the command's options."""
        if self.kind == "month":
            return f"{self.year}-{self.number:02d}"
        return f"{self.year}Q{self.number}"

    @property
    def label(self) -> str:
        if self.kind == "month":
            return date_format(self.first, "F Y")
        return _("%(year)d, quarter %(quarter)d") % {"year": self.year, "quarter": self.number}

    def previous(self) -> "Period":
        day = self.first - timedelta(days=1)
        return month(day.year, day.month) if self.kind == "month" else quarter_of(day)

    def next(self) -> "Period":
        day = self.last + timedelta(days=1)
        return month(day.year, day.month) if self.kind == "month" else quarter_of(day)


def month(year: int, number: int) -> Period:
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 12):
        raise ValueError(f"No such month: {year}-{number}.")
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return Period(first, following - timedelta(days=1), "month")


def quarter(year: int, number: int) -> Period:
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= number <= 4):
        raise ValueError(f"No such quarter: {year} Q{number}.")
    first = date(year, 3 * number - 2, 1)
    return Period(first, month(year, 3 * number).last, "quarter")


def quarter_of(day: date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def parse_quarter(text: str) -> Period:
    """``2026Q4`` or ``2026-Q4``."""
    found = _QUARTER.match(text.strip())
    if found is None:
        raise ValueError(f"Not a quarter: {text!r} (e.g. 2026Q4).")
    return quarter(int(found[1]), int(found[2]))


def parse_month(text: str) -> Period:
    """``2026-11``."""
    found = _MONTH.match(text.strip())
    if found is None:
        raise ValueError(f"Not a month: {text!r} (e.g. 2026-11).")
    return month(int(found[1]), int(found[2]))


def first_business_day(year: int, number: int) -> date:
    """The month's first day that is a business day: not a weekend, a State holiday or a
    closure (``escalation.calendar.is_business_day``)."""
    day = date(year, number, 1)
    while not is_business_day(day):
        day += timedelta(days=1)
    return day
