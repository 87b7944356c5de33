"""The dashboard in real Chromium: help desk staff open it from the navigation, see the SVG
charts drawn, and follow a figure to the queue listing the same tickets."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.workflow import TicketState as S
from helpdesk.models import System
from tests.browser.conftest import nav_link
from tests.helpdesk.dashboards.conftest import make_ticket

pytestmark = pytest.mark.browser

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def some_tickets(browser_world):
    now = timezone.now()
    office = browser_world.office
    for days, state, system in [
        (1, S.IN_PROGRESS, System.CCTS),
        (2, S.IN_PROGRESS, System.CCMS),
        (3, S.SUBMITTED, System.CCTS),
        (9, S.ESCALATED_TO_MIS, System.INFOVIEW),
        (20, S.CLOSED, System.CCTS),
    ]:
        opened = now - timedelta(days=days)
        extra = {"resolved_at": opened + timedelta(hours=3)} if state == S.CLOSED else {}
        if state == S.ESCALATED_TO_MIS:
            extra["mis_escalated_at"] = opened + timedelta(hours=1)
        make_ticket(office, state, opened, system, **extra)


def test_help_desk_staff_see_the_charts_and_follow_a_figure(sign_in, some_tickets, tmp_path):
    page = sign_in("hannah")
    nav_link(page, "Dashboard").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    for chart in ("weekly", "aging", "top_systems", "top_agencies", "mis_aging"):
        svg = page.locator(f"svg#chart-{chart}")
        expect(svg).to_be_visible()
        assert svg.get_attribute("role") == "img"
        box = svg.bounding_box()
        assert box["width"] > 100
        assert box["height"] > 20
    # Every bar of a non-zero value is drawn with a visible size.
    bars = page.locator("svg#chart-top_systems rect.bar")
    assert bars.count() == 3
    for i in range(bars.count()):
        box = bars.nth(i).bounding_box()
        assert box["width"] > 0
        assert box["height"] > 0
    weekly_bars = page.locator("svg#chart-weekly rect.bar")
    heights = [weekly_bars.nth(i).bounding_box()["height"] for i in range(weekly_bars.count())]
    assert sum(1 for h in heights if h > 0) >= 2

    shot = tmp_path / "dashboard.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    assert shot.stat().st_size > 10_000

    figure = page.locator("#figure-open_by_state")
    row = figure.get_by_role("row", name="In progress at the help desk")
    expect(row.get_by_role("link")).to_have_text("2")
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help desk queue")
    expect(page.get_by_text("2 tickets")).to_be_visible()
    assert page.locator("tbody tr[data-ticket]").count() == 2
