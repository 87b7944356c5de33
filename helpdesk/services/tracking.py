"""Tracking numbers: CCAP-<year>-<6 digits>, given when a report reaches the help desk.

The sequence restarts each year and is never reused. One row per year is locked and
incremented inside the caller's transaction, so concurrent escalations get distinct numbers
and a rolled-back escalation gives its number back.
"""

from django.db import IntegrityError, transaction
from django.utils import timezone

from helpdesk.models import TrackingSequence

PREFIX = "CCAP"


def format_tracking_number(year: int, value: int) -> str:
    return f"{PREFIX}-{year}-{value:06d}"


def next_tracking_number(year: int | None = None) -> str:
    """Take the next number of ``year`` (this year, Central time, by default)."""
    year = year or timezone.localdate().year
    _ensure_year(year)
    sequence = TrackingSequence.objects.select_for_update().get(year=year)
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    return format_tracking_number(year, sequence.last_value)


def _ensure_year(year: int) -> None:
    if TrackingSequence.objects.filter(year=year).exists():
        return
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is fine
            TrackingSequence.objects.create(year=year, last_value=0)
    except IntegrityError:
        pass
