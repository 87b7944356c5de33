"""What every dashboard section returns: tables of counts, each cell linking to the list it
counts. The page renders them (with a chart where one is named), the CSV writes them."""

from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from django.urls import reverse


class Chart(StrEnum):
    NONE = ""
    GROUPED_BARS = "grouped_bars"  # one group per row, one bar per value column
    HORIZONTAL_BARS = "horizontal_bars"  # one bar per row, the first value column


@dataclass(frozen=True)
class Cell:
    value: int
    url: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    label_heading: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    chart: Chart = Chart.NONE
    note: str = ""
    empty: str = "Nothing to show for these filters."


def link(url_name: str, *args: object, **params: object) -> str:
    """A list page's URL with query parameters; empty values are left out."""
    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    url = reverse(url_name, args=args)
    return f"{url}?{query}" if query else url
