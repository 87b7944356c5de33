"""Second factors in real Chromium: setting up an authenticator app from its key and signing
in with it, a passkey on Chromium's virtual authenticator (CDP WebAuthn domain), and a
recovery code."""

import re
from base64 import b32decode

import pytest
from django_otp.oath import hotp
from playwright.sync_api import Page, expect

from helpdesk.directory.roles import Role
from tests.browser.conftest import next_totp_code, sign_in_on
from tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.browser


def _code_from_key(key: str, step: int) -> str:
    """What an authenticator app computes from the key typed into it (RFC 6238)."""
    secret = b32decode(key.replace(" ", "") + "=" * (-len(key.replace(" ", "")) % 8))
    return f"{hotp(secret, step):06d}"


def test_new_staff_set_up_an_authenticator_app_and_sign_in_with_it(page: Page, browser_world):
    import time

    UserFactory(username="hugo", first_name="Hugo", roles=[Role.HELP_DESK])
    sign_in_on(page, "hugo", TEST_PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/security/\?next="))
    expect(page.get_by_role("heading", level=1)).to_have_text("Second factor")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.locator(".qr svg")).to_be_visible()
    key = page.locator("#totp-key").inner_text()
    now = int(time.time() // 30)
    page.get_by_label("Six-digit code from the app").fill(_code_from_key(key, now))
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_role("status")).to_contain_text("The authenticator app is set up.")
    page.goto("/queues/help_desk/")
    expect(page).to_have_url(re.compile(r"/queues/help_desk/$"))

    page.get_by_role("button", name="Sign out").first.click()
    sign_in_on(page, "hugo", TEST_PASSWORD, second_factor=False)
    expect(page).to_have_url(re.compile(r"/account/security/verify/"))
    page.get_by_label("Code").fill(_code_from_key(key, now + 1))
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hugo")


def test_a_wrong_code_is_refused_at_the_second_step(page: Page, browser_world):
    sign_in_on(page, "mike", browser_world.password, second_factor=False)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Verify").click()
    error = page.locator(".errorlist[role=alert]")
    expect(error).to_have_text("That code is not right, or it was already used.")
    page.goto("/dashboard/mis/")
    expect(page).to_have_url(re.compile(r"/account/security/verify/"))


@pytest.fixture
def passkeys_here(settings, live_server):
    """Passkeys answer on the live server's origin (http://localhost is a secure context)."""
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    settings.OTP_WEBAUTHN_RP_ID = "localhost"


def _virtual_authenticator(page: Page) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )


def test_staff_add_a_passkey_and_pass_the_second_step_with_it(
    page: Page, browser_world, passkeys_here
):
    _virtual_authenticator(page)
    sign_in_on(page, "hannah", browser_world.password)
    page.goto("/account/security/")
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.locator("#passkey-register-status-message")).to_have_text(
        "Registration successful!"
    )
    page.reload()
    expect(page.get_by_text("1 passkey", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign out").first.click()
    sign_in_on(page, "hannah", browser_world.password, second_factor=False)
    expect(page).to_have_url(re.compile(r"/account/security/verify/"))
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hannah")
    page.wait_for_load_state()
    page.goto("/queues/help_desk/")
    expect(page).to_have_url(re.compile(r"/queues/help_desk/$"))


def test_a_recovery_code_signs_staff_in_once(page: Page, browser_world):
    sign_in_on(page, "ada", browser_world.password)
    page.goto("/account/security/")
    page.get_by_role("button", name="Issue new recovery codes").click()
    codes = page.locator(".recovery-codes code").all_inner_texts()
    assert len(codes) == 10

    page.get_by_role("button", name="Sign out").first.click()
    sign_in_on(page, "ada", browser_world.password, second_factor=False)
    page.get_by_label("Code").fill(codes[3])
    page.get_by_role("button", name="Verify").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("status")).to_contain_text("9 remain")

    page.get_by_role("button", name="Sign out").first.click()
    sign_in_on(page, "ada", browser_world.password, second_factor=False)
    page.get_by_label("Code").fill(codes[3])
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".errorlist[role=alert]")).to_be_visible()


def test_the_persona_fixture_types_a_fresh_code_each_time(page: Page, browser_world):
    """sign_in_on copes with two sign-ins in one 30-second step (each code works once)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.get(user=browser_world.hannah)
    first = next_totp_code(device)
    sign_in_on(page, "hannah", browser_world.password)
    expect(page).to_have_url(re.compile(r"/$"))
    assert next_totp_code(device) != first
