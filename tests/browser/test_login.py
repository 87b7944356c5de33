"""Signing in, the home page by role, recording an absence and signing out, in real Chromium."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import nav_link
from tests.factories import AbsenceFactory

pytestmark = pytest.mark.browser


def _offices_panel(page: Page):
    return page.locator("section.panel").filter(
        has=page.get_by_role("heading", name="Your offices", level=2)
    )


def _office_row(page: Page):
    return _offices_panel(page).get_by_role("row").filter(has_text="Rockford office")


def test_local_expert_signs_in_and_sees_their_offices(page: Page, sign_in):
    sign_in("pat")

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Pat")
    panel = _offices_panel(page)
    expect(panel).to_be_visible()
    expect(panel.get_by_role("link", name="Rockford office")).to_be_visible()
    expect(_office_row(page).locator(".badge", has_text="You")).to_be_visible()
    expect(nav_link(page, "Absences")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Administration")).to_have_count(0)


def test_alternate_acts_once_the_primary_is_away(page: Page, sign_in, browser_world):
    sign_in("alex")

    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Alex")
    row = _office_row(page)
    expect(row).to_contain_text("Pat Primary")
    expect(row.locator(".badge", has_text="You")).to_have_count(0)

    AbsenceFactory(person=browser_world.pat)  # covering now
    page.reload()

    expect(row.locator(".badge", has_text="You")).to_be_visible()
    expect(row).not_to_contain_text("Pat Primary")


def test_wrong_password_keeps_the_login_page_with_an_error(page: Page, sign_in):
    sign_in("pat", password="not the password")

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("alert")).to_contain_text("enter a correct username and password")
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)


def test_local_expert_records_an_absence(page: Page, sign_in):
    sign_in("pat")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Pat")
    starts = timezone.localdate() + timedelta(days=14)
    ends = starts + timedelta(days=3)

    nav_link(page, "Absences").click()
    page.get_by_role("link", name="Record an absence").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Record an absence")
    expect(page.get_by_label("Local expert")).to_have_count(0)  # only themself: hidden
    page.get_by_label("Away from").fill(f"{starts:%Y-%m-%d}T08:00")
    page.get_by_label("Back on").fill(f"{ends:%Y-%m-%d}T17:00")
    page.get_by_label("Reason").fill("Training in Springfield")
    page.get_by_role("button", name="Record the absence").click()

    expect(page).to_have_url(re.compile(r"/absences/$"))
    expect(page.get_by_role("status")).to_contain_text("Absence recorded for")
    row = page.get_by_role("row").filter(has_text="Training in Springfield")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Pat Primary")
    expect(row).to_contain_text(f"{starts:%b} {starts.day} {starts.year}, 8:00 AM")
    expect(row).to_contain_text(f"{ends:%b} {ends.day} {ends.year}, 5:00 PM")


def test_sign_out_returns_to_the_login_page(page: Page, sign_in):
    sign_in("pat")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Pat")

    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
