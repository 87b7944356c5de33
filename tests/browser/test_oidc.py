"""Single sign-on end to end in real Chromium: the help desk's login page sends the browser to
a real OpenID Connect provider (django-oidc-provider, tests/oidc_provider), the person signs
in there, and comes back signed in to the help desk with the roles of their groups."""

import re

import pytest
from playwright.sync_api import Page, expect

from helpdesk.models import SignInSource, User
from tests.browser.conftest import nav_link
from tests.oidc_provider.fixture import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def sso_here(settings, live_server, oidc_provider):
    oidc_provider.allow_redirect(f"{live_server.url}/oidc/callback/")
    return oidc_provider.switch_on_for(settings)


def _sign_in_at_provider(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Test IdP").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Test identity provider")
    page.get_by_label("IdP username").fill(username)
    page.get_by_label("IdP password").fill(PASSWORD)
    page.get_by_role("button", name="Continue to the help desk").click()


def test_an_agency_user_signs_in_with_single_sign_on(page: Page, browser_world, sso_here):
    sso_here.add_user("gale", "ccap-agency")
    _sign_in_at_provider(page, "gale")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Gale")
    user = User.objects.get(username="idp-gale")
    assert user.sign_in_source == SignInSource.OIDC
    expect(nav_link(page, "Report a problem")).to_be_visible()


def test_help_desk_staff_from_single_sign_on_are_asked_for_our_second_factor(
    page: Page, browser_world, sso_here
):
    sso_here.add_user("hollis", "ccap-helpdesk")
    _sign_in_at_provider(page, "hollis")
    expect(page).to_have_url(re.compile(r"/account/security/\?next="))
    expect(page.get_by_role("link", name="Set up an authenticator app")).to_be_visible()
