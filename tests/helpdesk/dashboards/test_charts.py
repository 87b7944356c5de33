"""The SVG chart module on its own."""

import re
import xml.etree.ElementTree as ET

from helpdesk.dashboards import charts
from helpdesk.dashboards.tables import Cell, Chart, Row, Table

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # noqa: S314 - our own output, parsed to check it is well formed


def _bars(root: ET.Element) -> list[ET.Element]:
    return [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]


def test_horizontal_bars_are_proportional_and_labelled():
    root = _parse(charts.horizontal_bars("c", "Top systems", ["CCTS", "CCMS", "IVR"], [10, 5, 0]))
    widths = [float(bar.get("width")) for bar in _bars(root)]
    assert widths == [charts.HBAR_MAX, charts.HBAR_MAX / 2, 0.0]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert texts == ["CCTS", "10", "CCMS", "5", "IVR", "0"]


def test_charts_name_themselves_for_assistive_technology():
    root = _parse(charts.horizontal_bars("c", "Top agencies", ["A"], [3]))
    assert root.get("role") == "img"
    assert root.get("aria-label") == "Top agencies"
    assert root.find(f"{SVG}title").text == "Top agencies"


def test_grouped_bars_have_one_bar_per_series_and_value_labels():
    series = [charts.Series("Opened", [4, 2]), charts.Series("Resolved", [1, 0])]
    root = _parse(charts.grouped_bars("w", "Weekly", ["Nov 9", "Nov 16"], series))
    heights = [float(bar.get("height")) for bar in _bars(root)]
    assert heights == [charts.PLOT_HEIGHT, charts.PLOT_HEIGHT / 4, charts.PLOT_HEIGHT / 2, 0.0]
    values = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "value"]
    assert values == ["4", "1", "2", "0"]
    categories = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "category"]
    assert categories == ["Nov 9", "Nov 16"]


def test_the_second_series_is_hatched_and_named_in_a_legend():
    series = [charts.Series("Opened", [1]), charts.Series("Resolved", [1])]
    svg = charts.grouped_bars("w", "Weekly", ["Nov 9"], series)
    root = _parse(svg)
    fills = [bar.get("fill") for bar in _bars(root)]
    assert fills[0].startswith("#")
    assert fills[1] == "url(#w-hatch)"
    assert root.find(f".//{SVG}pattern").get("id") == "w-hatch"
    assert {"Opened", "Resolved"} <= {t.text for t in root.iter(f"{SVG}text")}


def test_no_data_gives_an_empty_state_message_not_a_chart():
    assert "No data to chart" in charts.horizontal_bars("c", "T", ["A", "B"], [0, 0])
    assert "No data to chart" in charts.horizontal_bars("c", "T", [], [])
    empty = charts.grouped_bars("w", "T", ["Nov 9"], [charts.Series("Opened", [0])])
    assert "No data to chart" in empty
    assert "<svg" not in empty


def test_text_is_escaped():
    svg = charts.horizontal_bars("c", "<b>T</b>", ['<script>alert("x")</script>'], [1])
    assert "<script" not in svg
    assert "<b>" not in svg
    root = _parse(svg)
    assert root.find(f"{SVG}title").text == "<b>T</b>"


def test_long_labels_are_shortened_on_the_bar_but_whole_in_its_tooltip():
    name = "The Very Long Name of a Child Care Resource and Referral Agency"
    root = _parse(charts.horizontal_bars("c", "T", [name], [1]))
    shown = next(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "category")
    assert len(shown) == charts.LABEL_CHARS
    assert shown.endswith("…")
    assert _bars(root)[0].find(f"{SVG}title").text == f"{name}: 1"


def test_chart_for_follows_the_table_kind():
    rows = (Row("A", (Cell(2), Cell(1))),)
    grouped = Table("g", "G", "Week", ("Opened", "Resolved"), rows, Chart.GROUPED_BARS)
    assert len(_bars(_parse(charts.chart_for(grouped)))) == 2
    horizontal = Table("h", "H", "X", ("N",), (Row("A", (Cell(2),)),), Chart.HORIZONTAL_BARS)
    assert re.search(r'id="chart-h"', charts.chart_for(horizontal))
    assert charts.chart_for(Table("t", "T", "X", ("N",), rows[:0])) == ""
