"""The header's search box in Chromium: the help desk types the number an agency user's report
had before it reached them (its id, the old "Report #<id>") and lands on the ticket, shown by
its one tracking number; words find it too, with the word marked."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from helpdesk.actor import Actor
from helpdesk.models import System, WhoAffected
from helpdesk.reports import services as reports

pytestmark = pytest.mark.browser


def test_the_header_box_finds_a_report_by_its_old_number_and_by_words(sign_in, browser_world):
    def report():
        return reports.report_to_local_expert(
            by=Actor.of(browser_world.alice.user),
            summary="Pangolin screen stays blank",
            system=System.CCMS,
            description="The case list is blank.",
            who_affected=WhoAffected.JUST_ME,
        )

    # Off Playwright's thread: its event loop would refuse the live update's async_to_sync.
    with ThreadPoolExecutor(1) as pool:
        ticket = pool.submit(report).result()
    page = sign_in("hannah")
    box = page.get_by_role("search").get_by_label("Search the help desk")
    box.fill(f"Report #{ticket.pk}")
    box.press("Enter")
    results = page.locator("#search-tickets + ol")
    expect(results.get_by_role("link", name=ticket.tracking_number)).to_be_visible()
    page.get_by_role("search").last.get_by_label("Words or a ticket number").fill("pangolins")
    page.get_by_role("button", name="Search").last.click()
    expect(results.locator("mark")).to_have_text("Pangolin")
    results.get_by_role("link", name=ticket.tracking_number).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.tracking_number)
