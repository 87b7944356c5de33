"""The API's pages in a browser: a member of staff reaches the token page from their security
page, makes a token (its secret shown once), reaches the API's docs page from there, and
revokes the token, under the site's CSP (the context fixture fails the test on any violation);
and each of these pages passes axe-core at both widths (in a context that lets axe's script
in, as the crawl does)."""

import pytest
from playwright.sync_api import Page, expect

from helpdesk.models import ApiToken
from tests.browser.conftest import sign_in_on
from tests.browser.test_accessibility import WIDTHS, _axe

pytestmark = pytest.mark.browser


def _make_token(page: Page) -> str:
    page.goto("/account/security/")
    page.get_by_role("link", name="Your API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    page.get_by_label("Name").fill("Agency ticket sync")
    page.get_by_label("Read and write", exact=True).check()
    page.get_by_role("button", name="Make the token").click()
    return page.locator("code.secret").inner_text()


def test_make_a_token_read_the_docs_and_revoke_it(sign_in, browser_world):
    page = sign_in("hannah")
    secret = _make_token(page)
    assert secret.startswith("ccap_")
    token = ApiToken.objects.get(user=browser_world.hannah)
    assert token.scope == "write"

    page.get_by_role("link", name="The API's operations").click()
    expect(page.get_by_role("heading", name="CCAP Help Desk API")).to_be_visible()
    expect(page.get_by_text("GET /api/v1/tickets/", exact=True)).to_be_visible()

    page.goto("/account/security/tokens/")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke Agency ticket sync").click()
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_api_pages_pass_axe(browser, live_server, browser_world):
    context = browser.new_context(base_url=live_server.url, locale="en-US", bypass_csp=True)
    page = sign_in_on(context.new_page(), "hannah", browser_world.password)
    found = []

    def check() -> None:
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            found.extend(f"{page.url} at {width}: {v}" for v in _axe(page))

    _make_token(page)
    check()  # the secret shown, the token listed, the form again
    page.get_by_role("link", name="The API's operations").click()
    check()
    context.close()
    assert found == []
