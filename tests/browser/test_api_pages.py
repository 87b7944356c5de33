"""The API's pages in a browser: a member of staff reaches the token page from their security
page, makes a token (its secret shown once), reaches the API's docs page from there, and
revokes the token; each page passes axe-core at both widths, under the site's CSP (the
context fixture fails the test on any CSP violation)."""

import pytest
from playwright.sync_api import Page, expect

from helpdesk.models import ApiToken
from tests.browser.test_accessibility import WIDTHS, _axe

pytestmark = pytest.mark.browser


def _no_violations(page: Page) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert _axe(page) == [], (page.url, width)


def test_make_a_token_read_the_docs_and_revoke_it(sign_in, browser_world):
    page = sign_in("hannah")
    page.goto("/account/security/")
    page.get_by_role("link", name="Your API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", exact=True)).to_be_visible()
    _no_violations(page)
    page.get_by_label("Name").fill("Agency ticket sync")
    page.get_by_label("Read and write", exact=True).check()
    page.get_by_role("button", name="Make the token").click()
    secret = page.locator("code.secret").inner_text()
    assert secret.startswith("ccap_")
    token = ApiToken.objects.get(user=browser_world.hannah)
    assert token.scope == "write"
    _no_violations(page)

    page.get_by_role("link", name="The API's operations").click()
    expect(page.get_by_role("heading", name="CCAP Help Desk API")).to_be_visible()
    expect(page.get_by_text("GET /api/v1/tickets/", exact=True)).to_be_visible()
    _no_violations(page)

    page.go_back()
    page.goto("/account/security/tokens/")
    assert secret not in page.content()
    page.get_by_role("button", name="Revoke Agency ticket sync").click()
    expect(page.get_by_role("cell", name="Revoked")).to_be_visible()
    _no_violations(page)
