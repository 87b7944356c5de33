"""The agency's staff list in real Chromium (issue 18): the local expert adds a person to their
office (a mistake in the phone shown next to the field, everything typed kept), corrects them,
requests access for them, marks them as left through the departure's confirmation, and asks
for a designation change that the help desk approves; the requester is emailed the decision,
and the help desk sees every change on its review page."""

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from access.models import AccessRequest, Departure, RequestState, TargetSystem
from helpdesk.models import LocalExpertDesignation, Person, StaffChange
from tests.browser.conftest import nav_link

pytestmark = pytest.mark.browser


@pytest.fixture
def systems(transactional_db):
    """The seeded systems (post_migrate seeds them again after an earlier test's flush)."""
    assert TargetSystem.objects.filter(code="awvs").exists()


def test_a_local_expert_runs_their_offices_staff_list(systems, open_browser, browser_world):
    world = browser_world
    today = f"{timezone.localdate():%Y-%m-%d}"
    expert = open_browser("pat")
    nav_link(expert, "My office's staff").click()
    heading = "Staff of Northern Lights CCR&R - Rockford office"
    expect(expert.get_by_role("heading", level=1)).to_have_text(heading)
    expect(expert.get_by_role("table", name="People of the office")).to_contain_text("Alice Agency")

    # Add Dana; the phone is wrong at first: the form comes back with it said, all kept.
    expert.get_by_role("link", name="Add a person").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text(
        "Add a person to Northern Lights CCR&R - Rockford office"
    )
    expert.get_by_label("First name").fill("Dana")
    expert.get_by_label("Last name").fill("Newcomer")
    expert.get_by_label("Email").fill("dana.newcomer@example.org")
    expert.get_by_label("Phone").fill("555")
    expert.get_by_label("Role in the office").fill("Caseworker")
    expert.get_by_role("button", name="Add the person").click()
    expect(expert.get_by_role("alert")).to_contain_text("Enter a phone number with its area code")
    expect(expert.get_by_label("First name")).to_have_value("Dana")
    expect(expert.get_by_label("Email")).to_have_value("dana.newcomer@example.org")
    expert.get_by_label("Phone").fill("815-555-0142")
    expert.get_by_role("button", name="Add the person").click()
    expect(expert.get_by_role("status")).to_have_text("Dana Newcomer added to the staff list.")
    rows = expert.get_by_role("table", name="People of the office").locator("tbody tr")
    dana_row = rows.filter(has_text="Dana Newcomer")
    expect(dana_row).to_contain_text("(815) 555-0142")
    expect(dana_row).to_contain_text("No access yet.")
    dana = Person.objects.get(first_name="Dana", last_name="Newcomer")

    # She is the office manager, not a caseworker.
    expert.get_by_role("link", name="Edit Dana Newcomer").click()
    expect(expert.get_by_label("Role in the office")).to_have_value("Caseworker")
    expert.get_by_label("Role in the office").fill("Office manager")
    expert.get_by_role("button", name="Save").click()
    expect(expert.get_by_role("status")).to_have_text("Dana Newcomer saved.")
    expect(dana_row).to_contain_text("Office manager")

    # Request access for her: the person's access page, its request form.
    expert.get_by_role("link", name="Request access for Dana Newcomer").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("Access of Dana Newcomer")
    new = expert.get_by_role("region", name="New request")
    new.get_by_label("System").select_option(label="AWVS")
    new.get_by_label("Reason").fill("Needs AWVS for provider visits.")
    new.get_by_role("button", name="Request").click()
    expect(expert.get_by_role("status")).to_contain_text("AWVS")
    requested = AccessRequest.objects.get(person=dana)
    nav_link(expert, "My office's staff").click()
    expect(dana_row).to_contain_text("AWVS")
    expect(dana_row).to_contain_text(requested.get_state_display())

    # She leaves after all: the departure, confirmed, on the same page.
    expert.get_by_role("link", name="Mark as left (Dana Newcomer)").click()
    report = expert.get_by_role("region", name="Report a departure")
    report.get_by_label("What happened").select_option(label="Left the agency")
    report.get_by_label("Effective on").fill(today)
    report.get_by_role("button", name="Report the departure").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text(
        "Report the departure of Dana Newcomer?"
    )
    expect(expert.get_by_text("1 pending request will be cancelled.")).to_be_visible()
    expert.get_by_role("button", name=re.compile(r"^Report the departure and revoke")).click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("Open revocations")
    assert Departure.objects.filter(person=dana, reported_by=world.pat.user).exists()
    requested.refresh_from_db()
    assert requested.state == RequestState.CANCELLED
    nav_link(expert, "My office's staff").click()
    expect(dana_row).to_contain_text("Left")
    expect(expert.get_by_role("link", name="Edit Dana Newcomer")).to_have_count(0)

    # Alice should be the alternate: asked of the help desk.
    expert.get_by_role("link", name="Request a designation change").click()
    expert.get_by_label("Person").select_option(label="Alice Agency")
    expert.get_by_label("As the office's").select_option(label="Alternate")
    expert.get_by_label("Effective on").fill(today)
    expert.get_by_label("Reason").fill("Alex moves to the Belvidere office.")
    expert.get_by_role("button", name="Send the request").click()
    expect(expert.get_by_role("status")).to_have_text(
        "Your request was sent to the help desk for approval."
    )
    expect(expert.get_by_role("main")).to_contain_text("Waiting for the help desk")

    # The help desk approves it, and sees the staff list's changes.
    desk = open_browser("hannah")
    nav_link(desk, "Designation requests").click()
    asked = desk.get_by_role("region", name="Alice Agency as alternate of")
    expect(asked).to_contain_text("Alex moves to the Belvidere office.")
    asked.get_by_label("Note (optional)").fill("Confirmed with the agency director.")
    asked.get_by_role("button", name="Approve").click()
    expect(desk.get_by_role("status")).to_contain_text("Approved: Alice Agency as alternate")
    alternate = LocalExpertDesignation.objects.get(office=world.office, role="alternate")
    assert alternate.person == world.alice
    [decision] = [m for m in mail.outbox if "Designation change approved" in m.subject]
    assert decision.to == ["pat@example.org"]
    assert "Confirmed with the agency director." in decision.body

    nav_link(desk, "Staff list changes").click()
    changes = desk.get_by_role("table", name="Changes").locator("tbody tr")
    expect(changes).to_have_count(3)
    expect(changes.nth(0)).to_contain_text("Person left: Dana Newcomer")
    expect(changes.nth(0)).to_contain_text("A departure is undone by reactivating the person")
    expect(changes.nth(1)).to_contain_text("Person edited: Dana Newcomer")
    expect(changes.nth(1)).to_contain_text("Caseworker → Office manager")
    expect(changes.nth(2)).to_contain_text("Person added: Dana Newcomer")
    expect(changes.nth(2)).to_contain_text("Cannot be undone: They already have records")
    assert StaffChange.objects.count() == 3

    # The expert's page shows the new alternate.
    expert.reload()
    expect(expert.get_by_role("main")).to_contain_text("Alternate: Alice Agency")
