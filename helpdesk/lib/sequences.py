"""Yearly reference numbers: tracking numbers CCAP-<year>-<6 digits>, given when a ticket is
created (its one reference at every tier, issue 16), and any other yearly sequence
(security forms' SF-<year>-<5 digits>).

A sequence restarts each year and is never reused. One row per year is locked and incremented
inside the caller's transaction, so concurrent callers get distinct numbers and a rolled-back
transaction gives its number back.
"""

from typing import Any

from django.db import IntegrityError, connections, models, router, transaction
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
    """The next value of a yearly sequence model, and only in a year's first call the row's
    creation."""
    taken = increment(sequence, key="year", value=year, counter="last_value")
    if taken is None:
        _create_year(sequence, year)
        taken = increment(sequence, key="year", value=year, counter="last_value")
    assert taken is not None, "the year's row exists now"
    return int(taken[0])


def increment(
    model: type[models.Model],
    *,
    key: str,
    value: int | str,
    counter: str,
    also: tuple[str, ...] = (),
    by: int = 1,
) -> tuple[Any, ...] | None:
    """``UPDATE model SET counter = counter + by WHERE key = value``: the new counter, then the
    ``also`` columns, in one statement where the database returns updated columns. The update
    locks the row until the caller's transaction ends, so concurrent callers queue. ``None``
    when no row has that key. ``by`` > 1 takes a run of places at once (a batch)."""
    connection = connections[router.db_for_write(model)]
    if not connection.features.can_return_columns_from_insert:  # SQLite before 3.35
        return _increment_and_read(model, key, value, counter, also, by)
    quote = connection.ops.quote_name
    table, where, bump = quote(model._meta.db_table), quote(key), quote(counter)
    returned = ", ".join(quote(name) for name in (counter, *also))
    # Names from the model, quoted; the value is a parameter.
    sql = f"UPDATE {table} SET {bump} = {bump} + %s WHERE {where} = %s RETURNING {returned}"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [int(by), value])
        row = cursor.fetchone()
    return tuple(row) if row else None


def _increment_and_read(
    model: type[models.Model],
    key: str,
    value: int | str,
    counter: str,
    also: tuple[str, ...],
    by: int = 1,
) -> tuple[Any, ...] | None:
    rows = model._default_manager.filter(**{key: value})
    if not rows.update(**{counter: F(counter) + by}):
        return None
    return tuple(rows.values_list(counter, *also).get())


def _create_year(sequence: type[YearlySequence], year: int) -> None:
    try:
        with transaction.atomic():  # a savepoint: losing the race to create is fine
            sequence._default_manager.create(year=year, last_value=0)
    except IntegrityError:
        pass
