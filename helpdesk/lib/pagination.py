"""Paging large querysets: pick the page's ids first, then load only those rows."""

from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet


class IdsFirstPaginator(Paginator):
    """A deep page (OFFSET 50,000) with joins makes the database join every skipped row; the
    ids alone skip cheaply, and the joins then run for the 25 rows shown (one more query)."""

    object_list: QuerySet[Any]  # a queryset, not any sequence: it is asked for ids first

    def page(self, number: int | str) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        ids = list(self.object_list.values_list("pk", flat=True)[bottom:top])
        rows = {row.pk: row for row in self.object_list.filter(pk__in=ids).order_by()}
        return Page([rows[pk] for pk in ids if pk in rows], number, self)
