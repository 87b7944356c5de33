"""The effective date of a departure, read from an email ("left on Friday", "her last day was
11/25/2026", "effective November 25"): the departure clock counts from it
(``access.services.departure_clock``), so a date that cannot be read is asked for, never
guessed as today."""

import re
from datetime import date, datetime, time, timedelta

from dateutil import parser as dateparser

# A date after one of the words that say "this is when they left", or on its own.
_CUE = (
    r"(?:left|leaves|leaving|last\s+day|effective|departed|departure\s+date|date\s+of\s+departure"
    r"|resigned|retired|separated|terminated|as\s+of|changed\s+(?:job\s+)?function)"
)
_MONTHS = (
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?"
    r"(?:,?\s+\d{4})?"
)
_NUMERIC = r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{4}-\d{2}-\d{2}"
_WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_RELATIVE = r"today|yesterday|(?:last\s+|this\s+(?:past\s+)?)?(?:" + "|".join(_WEEKDAYS) + ")"
_DATE = rf"(?P<date>{_NUMERIC}|{_MONTHS}|{_RELATIVE})"
_AFTER_CUE = re.compile(rf"\b{_CUE}\b[^.\n]{{0,40}}?\b{_DATE}\b", re.IGNORECASE)
_ANY_DATE = re.compile(rf"\b(?P<date>{_NUMERIC}|{_MONTHS})\b", re.IGNORECASE)
# Further from the report than this, a date is more likely something else in the message.
_MOST_DAYS_BACK = 366
_MOST_DAYS_AHEAD = 60


def departure_date_in(text: str, *, today: date) -> date | None:
    """The departure date the text gives, or ``None``: first a date after a cue word, then the
    only explicit date in the text (two different ones are not guessed between)."""
    for match in _AFTER_CUE.finditer(text):
        found = _read(match.group("date"), today)
        if found is not None:
            return found
    dates = {d for m in _ANY_DATE.finditer(text) if (d := _read(m.group("date"), today))}
    return dates.pop() if len(dates) == 1 else None


def _read(words: str, today: date) -> date | None:
    lowered = " ".join(words.lower().split())
    if lowered == "today":
        return today
    if lowered == "yesterday":
        return today - timedelta(days=1)
    weekday = lowered.split()[-1]
    if weekday in _WEEKDAYS:  # the last such day on or before today: they have left
        return today - timedelta(days=(today.weekday() - _WEEKDAYS.index(weekday)) % 7)
    try:
        found = dateparser.parse(lowered, default=_noon(today), dayfirst=False).date()
    except (ValueError, OverflowError):
        return None
    if not _WRITTEN_YEAR.search(lowered) and found > today + timedelta(days=_MOST_DAYS_AHEAD):
        found = found.replace(year=found.year - 1)  # "December 30" read in January
    earliest = today - timedelta(days=_MOST_DAYS_BACK)
    return found if earliest <= found <= today + timedelta(days=_MOST_DAYS_AHEAD) else None


_WRITTEN_YEAR = re.compile(r"\d{4}|/\d{2}$")


def _noon(today: date) -> datetime:
    """The parts a date leaves out (its year), from today; a naive time, as dateutil wants."""
    return datetime.combine(today, time(12))  # noqa: DTZ001 - only the date is kept
