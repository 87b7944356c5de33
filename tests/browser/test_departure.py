"""A departure in real Chromium, one browser per person on the ASGI server: the local expert
reports that a staff member of their office left; the help desk sees both revocations with
their deadlines, the CCTS one already done by the provisioning task (the entry is gone from the
real slapd), and records CMS's confirmation for the CCMS one; none is left open."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from access import provisioning
from access.models import (
    AccessRequest,
    Account,
    AccountState,
    Departure,
    RequestState,
    TargetSystem,
)
from helpdesk.models import OutboundEmail
from tests.access.conftest import CCTS_OU, directory, provisioning_slapd  # noqa: F401
from tests.browser.conftest import nav_link
from tests.factories import PersonFactory

pytestmark = [pytest.mark.browser, pytest.mark.ldap]

CONFIRMATION = "CMS confirmed by phone, ticket 5521."


@pytest.fixture
def systems(transactional_db):
    """The seeded systems, there even after an earlier transactional test flushed the
    database (post_migrate seeds them again)."""
    assert TargetSystem.objects.filter(code__in=["ccts", "ccms"]).count() == 2


def _account(person, code: str, identifier: str) -> Account:
    return Account.objects.create(
        person=person,
        credential_group=TargetSystem.objects.get(code=code).credential_group,
        identifier=identifier,
        state=AccountState.ACTIVE,
    )


def _in_directory(entry: provisioning.Entry) -> bool:
    connection = provisioning.connect()
    try:
        return provisioning.exists(connection, entry)
    finally:
        connection.unbind_s()


def test_a_departure_is_revoked_in_the_directory_and_confirmed_by_cms(
    systems,
    directory,  # noqa: F811 - the real slapd, with CCTS provisioned in it
    open_browser,
    browser_world,
):
    world = browser_world
    dana = PersonFactory(
        office=world.office, first_name="Dana", last_name="Departing", email="dana@example.org"
    )
    _account(dana, "ccts", "DHSDA01")
    _account(dana, "ccms", "Dana.Departing")
    entry = provisioning.Entry(
        base_dn=CCTS_OU,
        uid="DHSDA01",
        first_name="Dana",
        last_name="Departing",
        email="dana@example.org",
    )
    connection = provisioning.connect()
    assert provisioning.create(connection, entry)
    connection.unbind_s()
    assert _in_directory(entry)

    # The local expert reports that Dana left.
    expert = open_browser("pat")
    expert.goto(f"/access/people/{dana.pk}/")
    expect(expert.get_by_role("heading", level=1)).to_have_text("Access of Dana Departing")
    report = expert.get_by_role("region", name="Report a departure")
    report.get_by_label("What happened").select_option(label="Left the agency")
    report.get_by_label("Effective on").fill(f"{timezone.localdate():%Y-%m-%d}")
    report.get_by_label("Note").fill("Her last day was today.")
    report.get_by_role("button", name="Report the departure").click()
    # What cannot be undone is confirmed, with the number of accounts it revokes.
    expect(expert.get_by_role("heading", level=1)).to_have_text(
        "Report the departure of Dana Departing?"
    )
    expect(expert.get_by_text("2 accounts of Dana Departing will be revoked")).to_be_visible()
    expert.get_by_role("button", name="Report the departure and revoke 2 accounts").click()

    expect(expert.get_by_role("heading", level=1)).to_have_text("Open revocations")
    departure = Departure.objects.get(person=dana)
    deadline = timezone.localtime(departure.deadline)
    due = f"{deadline:%a %b %-d, %-I:%M %p}"
    expect(expert.get_by_role("status")).to_have_text(
        f"2 revocations opened, due {deadline:%A %B %-d, %-I:%M %p}."
    )
    assert departure.reported_by == world.pat.user

    # The help desk, in its own browser, sees both revocations with their deadline: the CCTS
    # one was done in the directory by the provisioning task as soon as it was submitted.
    helpdesk = open_browser("hannah")
    helpdesk.goto("/access/revocations/")
    open_rows = helpdesk.get_by_role("table", name="Open revocations").locator("tbody tr")
    expect(open_rows).to_have_count(1)
    ccms_row = open_rows.filter(has_text="Dana Departing")
    for text in (due, "CCMS", "Dana.Departing", "Central Management Services (CMS)"):
        expect(ccms_row).to_contain_text(text)
    expect(ccms_row).to_contain_text("Submitted to the fulfiller")
    expect(ccms_row).not_to_contain_text("Overdue")
    closed_rows = helpdesk.get_by_role("table", name="Closed in the last 14 days").locator(
        "tbody tr"
    )
    expect(closed_rows).to_have_count(1)
    ccts_row = closed_rows.filter(has_text="Dana Departing")
    for text in (due, "CCTS", "DHSDA01", "CCAP Help Desk", "Completed"):
        expect(ccts_row).to_contain_text(text)
    expect(ccts_row).not_to_contain_text("Late")
    assert not _in_directory(entry)
    ccts = AccessRequest.objects.get(departure=departure, system__code="ccts")
    assert (ccts.state, ccts.provisioning_error) == (RequestState.COMPLETED, "")
    assert ccts.account.state == AccountState.REVOKED
    # CMS was asked, with the ID and the deadline.
    [asked] = [m for m in mail.outbox if settings.ACCESS_CMS_EMAIL in m.to]
    assert "Dana.Departing" in asked.body
    assert OutboundEmail.objects.filter(kind="access_request", sent_at__isnull=False).exists()

    # CMS confirmed by phone: the help desk records it on the request page.
    ccms_row.get_by_role("link", name=due).click()
    expect(helpdesk.get_by_role("heading", level=1)).to_have_text(
        "Revoke access on CCMS for Dana Departing"
    )
    expect(helpdesk.locator("#request-state")).to_have_text("Submitted to the fulfiller")
    completion = helpdesk.get_by_role("region", name="Record completion")
    expect(completion.get_by_label("External Illinois.gov ID created")).to_have_count(0)
    completion.get_by_label("Confirmation (who confirmed, their reference)").fill(CONFIRMATION)
    completion.get_by_role("button", name="Completed").click()

    expect(helpdesk.get_by_role("status")).to_have_text(
        "Revoke access on CCMS for Dana Departing: completed."
    )
    expect(helpdesk.locator("#request-state")).to_have_text("Completed")
    expect(helpdesk.get_by_role("main")).to_contain_text(CONFIRMATION)
    expect(helpdesk.get_by_role("region", name="Record completion")).to_have_count(0)

    # None is left open; both are listed as completed.
    nav_link(helpdesk, "Revocations").click()
    expect(helpdesk.get_by_role("heading", level=1)).to_have_text("Open revocations")
    expect(helpdesk.get_by_role("main")).to_contain_text("No open revocations.")
    expect(helpdesk.get_by_role("table", name="Open revocations")).to_have_count(0)
    expect(closed_rows).to_have_count(2)
    expect(closed_rows.filter(has_text="Completed")).to_have_count(2)
    assert set(dana.accounts.values_list("state", flat=True)) == {AccountState.REVOKED}
    assert not departure.requests.open().exists()
    ccms = departure.requests.get(system__code="ccms")
    assert (ccms.outcome_note, ccms.closed_at is not None) == (CONFIRMATION, True)
    dana.refresh_from_db()
    assert not dana.active
    # The local expert's page shows the same, after a reload.
    expert.reload()
    expect(expert.get_by_role("main")).to_contain_text("No open revocations.")


def test_finding_a_leavers_open_browser_is_signed_out_until_the_help_desk_reactivates(
    open_browser, browser_world
):
    """Alice is signed in when her local expert reports that she left: her next page is the
    sign-in page, and her password no longer opens anything. The help desk brings her back on
    her access page, with a reason; then she signs in afresh."""
    world = browser_world
    alice = open_browser("alice")
    expect(alice.get_by_role("heading", level=1)).not_to_have_text("Sign in")

    expert = open_browser("pat")
    expert.goto(f"/access/people/{world.alice.pk}/")
    report = expert.get_by_role("region", name="Report a departure")
    report.get_by_label("What happened").select_option(label="Left the agency")
    report.get_by_label("Effective on").fill(f"{timezone.localdate():%Y-%m-%d}")
    report.get_by_role("button", name="Report the departure").click()
    expert.get_by_role("button", name=re.compile(r"^Report the departure and revoke")).click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("Open revocations")

    alice.reload()
    expect(alice).to_have_url(re.compile(r"/accounts/login/"))
    expect(open_browser("alice")).to_have_url(re.compile(r"/accounts/login/"))

    # Her expert cannot bring her back; the help desk can, on her access page.
    expert.goto(f"/access/people/{world.alice.pk}/")
    expect(expert.get_by_role("region", name="Reactivate")).to_have_count(0)
    helpdesk = open_browser("hannah")
    helpdesk.goto(f"/access/people/{world.alice.pk}/")
    reactivate = helpdesk.get_by_role("region", name="Reactivate")
    reactivate.get_by_label("Why they are back").fill("Report was a mistake.")
    reactivate.get_by_role("button", name="Reactivate").click()
    expect(helpdesk.get_by_role("status")).to_have_text(
        "Alice Agency is active again; designations are not restored."
    )
    expect(helpdesk.get_by_role("region", name="Reactivate")).to_have_count(0)

    # Her old browser stays signed out; a fresh sign-in works.
    alice.reload()
    expect(alice).to_have_url(re.compile(r"/accounts/login/"))
    again = open_browser("alice")
    expect(again).not_to_have_url(re.compile(r"/accounts/login/"))
