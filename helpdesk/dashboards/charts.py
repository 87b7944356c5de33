"""Server-side SVG bar charts, with no JavaScript.

Every piece of text goes through ``format_html`` (escaped: agency names are user data). Each
chart has ``role="img"``, an ``aria-label`` and a ``<title>``, prints each bar's value, and
tells its series apart by a hatching pattern and a legend as well as by colour, so it reads
without colour. The page also shows the same numbers in a table next to it.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from helpdesk.dashboards.tables import Chart, Table

FONT = 11
PLOT_HEIGHT = 150  # grouped bars: the tallest bar
BAR_WIDTH = 14
GROUP_GAP = 14
HBAR_MAX = 260  # horizontal bars: the longest bar
HBAR_ROW = 24
LABEL_WIDTH = 180
LABEL_CHARS = 28
# Series fills: solid, then hatched, so they differ in shape as well as colour.
FILLS = ("#1f5f99", "url(#{id}-hatch)")
EMPTY = "No data to chart for these filters."


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[int]


def _scale(value: int, largest: int, length: float) -> float:
    return round(value / largest * length, 1) if largest else 0.0


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def empty_state(message: str = EMPTY) -> SafeString:
    return format_html('<p class="chart-empty muted">{}</p>', message)


def _svg(chart_id: str, title: str, width: float, height: float, body: SafeString) -> SafeString:
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" '
        'aria-label="{title}" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
        'font-family="sans-serif" font-size="{font}">'
        '<title id="{id}-title">{title}</title>'
        '<defs><pattern id="{id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
        'patternTransform="rotate(45)"><rect width="6" height="6" fill="#e3eef8"/>'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#b35c00" stroke-width="3"/></pattern></defs>'
        "{body}</svg>",
        id=chart_id,
        title=title,
        w=width,
        h=height,
        font=FONT,
        body=body,
    )


def grouped_bars(
    chart_id: str, title: str, categories: Sequence[str], series: Sequence[Series]
) -> SafeString:
    """Vertical bars, one group per category, one bar per series, each with its value."""
    largest = max((v for s in series for v in s.values), default=0)
    if not categories or largest == 0:
        return empty_state()
    group = BAR_WIDTH * len(series) + GROUP_GAP
    top, left, legend = 36, 8, 18
    width = left * 2 + group * len(categories)
    height = top + PLOT_HEIGHT + 20 + legend
    baseline = top + PLOT_HEIGHT
    parts = []
    for i, category in enumerate(categories):
        x0 = left + i * group + GROUP_GAP / 2
        for j, one in enumerate(series):
            value = one.values[i]
            bar = _scale(value, largest, PLOT_HEIGHT)
            x = x0 + j * BAR_WIDTH
            parts.append(
                format_html(
                    '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="{}" '
                    'stroke="#1f5f99"><title>{}: {} {}</title></rect>'
                    '<text class="value" x="{}" y="{}" text-anchor="middle">{}</text>',
                    x,
                    baseline - bar,
                    BAR_WIDTH - 2,
                    bar,
                    FILLS[j % len(FILLS)].format(id=chart_id),
                    category,
                    value,
                    one.name,
                    x + (BAR_WIDTH - 2) / 2,
                    baseline - bar - 3,
                    value,
                )
            )
        parts.append(
            format_html(
                '<text class="category" x="{}" y="{}" text-anchor="middle">{}</text>',
                x0 + BAR_WIDTH * len(series) / 2,
                baseline + 14,
                category,
            )
        )
    parts.append(
        format_html(
            '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#333"/>',
            left,
            baseline,
            width - left,
            baseline,
        )
    )
    parts.append(_legend(chart_id, series, left, 6))
    return _svg(chart_id, title, width, height, mark_safe("".join(parts)))  # noqa: S308 - parts are format_html output


def _legend(chart_id: str, series: Sequence[Series], x: float, y: float) -> SafeString:
    return format_html_join(
        "",
        '<rect class="key" x="{}" y="{}" width="14" height="14" fill="{}" stroke="#1f5f99"/>'
        '<text x="{}" y="{}">{}</text>',
        (
            (
                x + i * 110,
                y,
                FILLS[i % len(FILLS)].format(id=chart_id),
                x + i * 110 + 18,
                y + 11,
                s.name,
            )
            for i, s in enumerate(series)
        ),
    )


def horizontal_bars(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[int]
) -> SafeString:
    """One bar per label, labelled directly on the left, its value at its end."""
    largest = max(values, default=0)
    if not labels or largest == 0:
        return empty_state()
    top = 6
    width = LABEL_WIDTH + HBAR_MAX + 50
    height = top * 2 + HBAR_ROW * len(labels)
    rows = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * HBAR_ROW
        bar = _scale(value, largest, HBAR_MAX)
        rows.append(
            format_html(
                '<text class="category" x="{}" y="{}" text-anchor="end">{}</text>'
                '<rect class="bar" x="{}" y="{}" width="{}" height="{}" fill="#1f5f99">'
                "<title>{}: {}</title></rect>"
                '<text class="value" x="{}" y="{}">{}</text>',
                LABEL_WIDTH - 6,
                y + 15,
                _short(label),
                LABEL_WIDTH,
                y + 3,
                bar,
                HBAR_ROW - 6,
                label,
                value,
                LABEL_WIDTH + bar + 4,
                y + 15,
                value,
            )
        )
    return _svg(chart_id, title, width, height, mark_safe("".join(rows)))  # noqa: S308 - parts are format_html output


def chart_for(table: Table) -> SafeString:
    """The table's chart, or an empty string when it has none."""
    chart_id = f"chart-{table.key}"
    labels = [row.label for row in table.rows]
    if table.chart == Chart.GROUPED_BARS:
        series = [
            Series(name, [row.cells[i].value for row in table.rows])
            for i, name in enumerate(table.columns)
        ]
        return grouped_bars(chart_id, table.title, labels, series)
    if table.chart == Chart.HORIZONTAL_BARS:
        return horizontal_bars(
            chart_id, table.title, labels, [row.cells[0].value for row in table.rows]
        )
    return SafeString("")
