"""Webhooks in real Chromium: an administrator finds the page in the navigation, adds a
webhook and reads its secret once, changes it, pauses it, opens its delivery log and resends a
failed delivery; every one of these pages passes axe-core at both widths. (The whole-site crawl
of test_accessibility.py reaches the same pages through the demo's webhook.)"""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import Page, expect

from helpdesk.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks import secrets
from tests.browser.conftest import TIMEOUT_MS, nav_link, sign_in_on
from tests.browser.test_accessibility import AXE, AXE_OPTIONS, WIDTHS

pytestmark = pytest.mark.browser

URL = "https://hooks.example.org/ccap"


def _axe(page: Page) -> list[str]:
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.add_script_tag(path=str(AXE))
        result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
        found += [f"{page.url} at {width}: {v['id']}: {v['help']}" for v in result["violations"]]
    return found


def _failed_delivery(subscription_id: int) -> WebhookDelivery:
    def make() -> WebhookDelivery:
        return WebhookDelivery.objects.create(
            subscription_id=subscription_id,
            event_type="ticket.created",
            body="{}",
            status=DeliveryStatus.FAILED,
            attempts=7,
            status_code=500,
            error="The receiver answered 500.",
        )

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(make).result()


@pytest.fixture
def admin_page(browser, live_server, browser_world) -> Iterator[Page]:
    """Ada signed in, in a context that lets axe's script in (as the crawl does)."""
    context = browser.new_context(base_url=live_server.url, locale="en-US", bypass_csp=True)
    context.set_default_timeout(TIMEOUT_MS)
    yield sign_in_on(context.new_page(), "ada", browser_world.password)
    context.close()


def test_an_administrator_adds_changes_pauses_and_resends(admin_page):
    page = admin_page
    found = []
    nav_link(page, "Webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhooks")
    found += _axe(page)

    page.get_by_role("link", name="Add a webhook").click()
    found += _axe(page)
    page.get_by_label("Address (URL)").fill(URL)
    page.get_by_label("Ticket created").check()
    page.get_by_label("Notice published").check()
    page.get_by_role("button", name="Add").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Webhook added")
    subscription = WebhookSubscription.objects.get()
    expect(page.get_by_role("textbox", name="Secret")).to_have_value(
        secrets.decrypt(subscription.secret_encrypted)
    )
    found += _axe(page)

    page.get_by_role("link", name="All webhooks").click()
    page.get_by_role("link", name=URL, exact=True).click()
    found += _axe(page)
    page.get_by_label("Notice resolved").check()
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Webhook changed.")
    page.get_by_role("button", name=f"Pause {URL}").click()
    expect(page.locator("td .badge.warn")).to_have_text("Paused")
    found += _axe(page)

    delivery = _failed_delivery(subscription.pk)
    page.get_by_role("link", name=f"Delivery log of {URL}").click()
    found += _axe(page)
    page.get_by_role("button", name=f"Resend {delivery.webhook_id}").click()
    expect(page.locator(".messages")).to_contain_text("Delivery queued again.")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING  # paused: it waits for the resume

    page.get_by_role("link", name="Change this webhook").click()
    page.get_by_role("link", name="Delete this webhook").click()
    found += _axe(page)
    page.get_by_role("button", name="Delete").click()
    expect(page.locator(".messages")).to_contain_text("Webhook deleted.")
    assert not WebhookSubscription.objects.exists()
    assert found == []
