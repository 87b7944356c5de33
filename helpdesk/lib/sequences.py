"""Yearly reference numbers: tracking numbers CCAP-<year>-<6 digits>, given when a report
reaches the help desk, and any other yearly sequence (security forms' SF-<year>-<5 digits>).

A sequence restarts each year and is never reused. One row per year is locked and incremented
inside the caller's transaction, so concurrent callers get distinct numbers and a rolled-back
transaction gives its number back.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.models import TrackingSequence, YearlySequence

PREFIX = "CCAP"


def format_tracking_number(year: int, value: int) -> str:
    return f"{PREFIX}-{year}-{value:06d}"


def next_tracking_number(year: int | None = None) -> str:
    """Take the next number of ``year`` (this year, Central time, by default)."""
    year = year or timezone.localdate().year
    return format_tracking_number(year, take_next(TrackingSequence, year))


def take_next(sequence: type[YearlySequence], year: int) -> int:
    """The next value of a yearly sequence model."""
    _ensure_year(sequence, year)
    row = sequence._default_manager.select_for_update().get(year=year)
    row.last_value += 1
    row.save(update_fields=["last_value"])
    return row.last_value


def _ensure_year(sequence: type[YearlySequence], year: int) -> None:
    if sequence._default_manager.filter(year=year).exists():
        return
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is fine
            sequence._default_manager.create(year=year, last_value=0)
    except IntegrityError:
        pass
