"""The layout on a phone and on paper: a compact header, the navigation's menus (with and
without scripts), tables as stacked rows, and a ticket printed without the site around it.
The axe gate (test_accessibility.py) checks every page for sideways scrolling."""

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import TIMEOUT_MS, in_a_thread, nav_link, sign_in_on
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def test_the_header_is_compact_on_a_phone_and_the_menus_open_and_close(sign_in):
    page = sign_in("hannah")
    page.set_viewport_size(PHONE)
    header = page.locator("header.site-header")
    height = header.bounding_box()["height"]
    assert height <= 110, f"the header is {height} px tall on a phone"
    nav = page.get_by_role("navigation", name="Main")
    # A handful of entries, whatever the roles: the areas are menus.
    assert nav.locator(":scope > ul > li").count() <= 5
    queue = nav_link(page, "Queue")
    expect(queue).to_be_visible()
    box = queue.bounding_box()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]
    page.keyboard.press("Escape")
    expect(queue).to_be_hidden()
    nav_link(page, "Queue").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Help desk queue")


def test_the_menus_work_without_scripts(browser: Browser, live_server, browser_world):
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        sign_in_on(page, "pat", browser_world.password)
        nav_link(page, "Absences").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Local expert absences")
    finally:
        context.close()


def test_a_queue_is_stacked_rows_with_their_column_names_on_a_phone(sign_in, browser_world):
    in_a_thread(th.in_progress, browser_world)
    page = sign_in("hannah")
    page.set_viewport_size(PHONE)
    page.goto("/queues/help_desk/")
    cell = page.locator("tbody tr[data-ticket] td[data-label='Summary']").first
    label = cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"Summary: "'
    assert cell.evaluate("td => getComputedStyle(td).display") == "block"
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_ticket_prints_without_the_header_and_the_controls(sign_in, browser_world):
    ticket = in_a_thread(th.in_progress, browser_world)
    page = sign_in("hannah")
    page.goto(f"/tickets/{ticket.pk}/")
    page.emulate_media(media="print")
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("footer.site-footer")).to_be_hidden()
    expect(page.get_by_role("button", name="Send")).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.get_by_role("heading", name="Timeline")).to_be_visible()
    assert page.pdf()[:4] == b"%PDF"
