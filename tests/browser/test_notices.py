"""A notice in real Chromium: the help desk publishes one for one agency; its local expert
sees the banner on every page and reads the notice; a local expert of another agency sees
neither the banner nor the notice."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from helpdesk.models import Notice
from tests.browser.conftest import nav_link

pytestmark = pytest.mark.browser

TITLE = "CCMS case search returns no results"


def test_a_published_notice_reaches_its_audience_only(open_browser, browser_world):
    world = browser_world
    desk = open_browser("hannah")
    desk.goto("/notices/")
    desk.get_by_role("link", name="Publish a notice").click()
    expect(desk.get_by_role("heading", level=1)).to_have_text(
        "Publish a notice of a system problem"
    )
    desk.get_by_label("Title").fill(TITLE)
    desk.get_by_label("CCMS", exact=True).check()
    desk.get_by_label("Outage", exact=True).check()
    desk.get_by_label("Local experts of some agencies").check()
    desk.get_by_label("Agencies", exact=True).select_option(label=world.office.agency.name)
    desk.get_by_label("Message").fill("Searches return nothing since 9:00. MIS is looking at it.")
    desk.get_by_role("button", name="Publish and send").click()
    # It mails people at once: the page says how many first.
    expect(desk.get_by_text("2 local experts will be emailed now")).to_be_visible()
    desk.get_by_role("button", name="Publish and email 2 people").click()

    notice = Notice.objects.get()
    expect(desk.get_by_role("heading", level=1)).to_have_text(f"Notice {notice.pk}: {TITLE}")
    expect(desk.get_by_role("status")).to_contain_text(
        re.compile(r"published; it is going to 2 local expert addresses")
    )
    assert sorted(m.to[0] for m in mail.outbox) == ["alex@example.org", "pat@example.org"]

    # A local expert of that agency sees the banner on every page, and opens the notice.
    expert = open_browser("pat")
    banner = expert.get_by_role("region", name="Known system problems")
    expect(banner).to_contain_text(f"Outage · CCMS: {TITLE}")
    nav_link(expert, "Incoming").click()
    expect(banner).to_contain_text(TITLE)
    banner.get_by_role("link", name=TITLE).click()
    expect(expert.get_by_role("heading", level=1)).to_have_text(f"Notice {notice.pk}: {TITLE}")
    expect(expert.get_by_role("button", name="Resolve and send")).to_have_count(0)

    # A local expert of another agency sees no banner, and the notice is not there for them.
    outsider = open_browser("otto")
    expect(outsider.get_by_role("heading", level=1)).to_be_visible()
    expect(outsider.get_by_role("region", name="Known system problems")).to_have_count(0)
    response = outsider.goto(f"/notices/{notice.pk}/")
    assert response.status == 404

    # Resolved: the banner goes.
    desk.get_by_label("Resolution").fill("Searches work again.")
    desk.get_by_role("button", name="Resolve and send").click()
    expect(desk.get_by_role("status")).to_contain_text("resolved")
    expert.reload()
    expect(expert.get_by_role("region", name="Known system problems")).to_have_count(0)
