"""Cursor pagination over the queue's own orderings (``helpdesk.tickets.selectors.SORTS``, each
followed by ``-id``): the cursor is the last row's sort value and id, signed, so a page is one
indexed range query however deep it is, and rows written meanwhile neither repeat nor vanish."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core import signing
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils.dateparse import parse_datetime
from rest_framework import exceptions

from helpdesk.tickets.selectors import SORTS

_SALT = "helpdesk.api.cursor"


@dataclass(frozen=True)
class Key:
    field: str
    descending: bool
    nulls_last: bool


def key_of(sort: str) -> Key:
    """How the queue orders by ``sort``, read from the one definition of its orderings."""
    order = SORTS[sort]
    if isinstance(order, OrderBy):
        expression = order.expression
        assert isinstance(expression, F), "the queue sorts by fields"
        return Key(expression.name, order.descending, bool(order.nulls_last))
    assert isinstance(order, str)
    return Key(order.lstrip("-"), order.startswith("-"), False)


def encode(sort: str, row: Any) -> str:
    key = key_of(sort)
    value = getattr(row, key.field)
    if isinstance(value, datetime):
        value = value.isoformat()
    return signing.dumps([sort, value, row.pk], salt=_SALT, compress=True)


def decode(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        cursor_sort, value, pk = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None
    if cursor_sort != sort or not isinstance(pk, int):
        raise exceptions.ValidationError(
            {"cursor": ["This cursor belongs to another sort: start again."]}
        )
    key = key_of(sort)
    if isinstance(value, str) and key.field.endswith("_at"):
        value = parse_datetime(value)
    return value, pk


def after(sort: str, value: Any, pk: int) -> Q:
    """The rows after (``value``, ``pk``) in the queue's order: by the field, then ``-id``."""
    key = key_of(sort)
    field = key.field
    same_then_older = Q(**{field: value, "pk__lt": pk})
    if value is None:
        # Only a nulls-last ordering reaches a NULL: the rest is the NULLs with smaller ids.
        return Q(**{f"{field}__isnull": True, "pk__lt": pk})
    beyond = Q(**{f"{field}__{'lt' if key.descending else 'gt'}": value})
    rest = beyond | same_then_older
    if key.nulls_last:
        rest |= Q(**{f"{field}__isnull": True})
    return rest


def page(tickets: QuerySet[Any], sort: str, cursor: str | None, size: int) -> tuple[list[Any], str]:
    """One page of ``tickets`` (already ordered by ``sort``) and the cursor of the next ("" at
    the end). One query: a row more than the page says whether there is a next."""
    if cursor:
        value, pk = decode(cursor, sort)
        tickets = tickets.filter(after(sort, value, pk))
    rows = list(tickets[: size + 1])
    if len(rows) <= size:
        return rows, ""
    rows = rows[:size]
    return rows, encode(sort, rows[-1])


def encode_offset(offset: int) -> str:
    """The cursor of a short list (inbound mail, notices): a signed offset."""
    return signing.dumps(["offset", offset], salt=_SALT)


def offset_of(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, offset = signing.loads(cursor, salt=_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]}) from None
    if kind != "offset" or not isinstance(offset, int) or offset < 0:
        raise exceptions.ValidationError({"cursor": ["This cursor is not valid."]})
    return offset
