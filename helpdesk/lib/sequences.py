"""Yearly reference numbers: tracking numbers CCAP-<year>-<6 digits>, given when a ticket is
created (its one reference at every tier, issue 16), and any other yearly sequence
(security forms' SF-<year>-<5 digits>).

A sequence restarts each year and is never reused. One row per year is locked and incremented
inside the caller's transaction, so concurrent callers get distinct numbers and a rolled-back
transaction gives its number back.
"""

from django.db import IntegrityError, connections, router, transaction
from django.db.models import F
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
    """The next value of a yearly sequence model: one ``UPDATE ... RETURNING`` (the update
    locks the row until the caller's transaction ends), and only in a year's first call the
    row's creation."""
    value = _increment(sequence, year)
    if value is None:
        _create_year(sequence, year)
        value = _increment(sequence, year)
    assert value is not None, "the year's row exists now"
    return value


def _increment(sequence: type[YearlySequence], year: int) -> int | None:
    connection = connections[router.db_for_write(sequence)]
    if not connection.features.can_return_columns_from_insert:  # SQLite before 3.35
        return _increment_and_read(sequence, year)
    quote = connection.ops.quote_name
    table, value, key = (quote(name) for name in (sequence._meta.db_table, "last_value", "year"))
    # Names from the model, quoted; the year is a parameter.
    sql = f"UPDATE {table} SET {value} = {value} + 1 WHERE {key} = %s RETURNING {value}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
    return int(row[0]) if row else None


def _increment_and_read(sequence: type[YearlySequence], year: int) -> int | None:
    manager = sequence._default_manager
    if not manager.filter(year=year).update(last_value=F("last_value") + 1):
        return None
    return int(manager.values_list("last_value", flat=True).get(year=year))


def _create_year(sequence: type[YearlySequence], year: int) -> None:
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is fine
            sequence._default_manager.create(year=year, last_value=0)
    except IntegrityError:
        pass
