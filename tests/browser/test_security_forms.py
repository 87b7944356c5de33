"""Security forms in real Chromium, one browser per person on the ASGI server: the local expert
issues the forms a new staff member needs for CCMS; the help desk uploads the signed copy,
checks it, verifies and files it; the tracking page shows it filed."""

import re

import pytest
from playwright.sync_api import Page, expect

from forms_4052_4055.models import FormState, SecurityForm
from helpdesk.models import AuditEvent, AuditKind, OutboundEmail
from tests.browser.conftest import nav_link
from tests.factories import PersonFactory

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"SF-\d{4}-\d{5}")
SIGNED_PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _status(page: Page):
    return page.get_by_role("status")


def _open_tracking(page: Page) -> None:
    nav_link(page, "Security forms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Security forms")


def test_local_expert_issues_and_the_help_desk_files(open_browser, browser_world):
    newcomer = PersonFactory(
        office=browser_world.office, first_name="Nia", last_name="Newcomer", job_title="Intake"
    )

    # The local expert issues the forms CCMS needs.
    expert = open_browser("pat")
    _open_tracking(expert)
    expert.get_by_role("link", name="Issue forms").click()
    expect(expert.get_by_role("heading", level=1)).to_have_text("Issue security forms")
    expert.get_by_label("Staff member").select_option(
        label="Nia Newcomer (Northern Lights CCR&R - Rockford office)"
    )
    systems = expert.get_by_role("group", name="Systems needed")
    systems.get_by_role("checkbox", name="CCMS").check()
    expect(systems.get_by_role("checkbox", name="CCTS")).not_to_be_checked()
    expert.get_by_role("button", name="Issue").click()

    expect(expert.get_by_role("heading", level=1)).to_have_text("Security forms of Nia Newcomer")
    expect(_status(expert)).to_contain_text(
        re.compile(
            rf"Issued 4052 \(({REFERENCE.pattern})\), 4055 \({REFERENCE.pattern}\); "
            r"emailed to Nia Newcomer\."
        )
    )
    row = expert.get_by_role("row").filter(has=expert.get_by_role("cell", name="4052", exact=True))
    expect(row).to_contain_text("Issued")
    reference = row.get_by_role("link", name=REFERENCE).inner_text()
    form = SecurityForm.objects.get(reference=reference)
    assert form.person == newcomer
    assert form.form_type.code == "4052"
    assert form.systems == ["ccms"]
    assert form.ccms_role == "CCAP caseworker"
    assert form.issued_by == browser_world.pat.user
    issued = OutboundEmail.objects.filter(kind="form_issued", subject__contains=reference)
    assert newcomer.primary_email in issued.get().recipients

    # The help desk opens it from the tracking page, uploads the signed copy, checks it.
    helpdesk = open_browser("hannah")
    helpdesk.goto("/forms/")
    helpdesk.get_by_role("row").filter(has_text=reference).get_by_role(
        "link", name=reference
    ).click()
    expect(helpdesk.get_by_role("heading", level=1)).to_have_text(f"{reference}: form 4052")
    expect(helpdesk.locator("#form-state")).to_have_text("Issued")
    helpdesk.get_by_label("Signed copy (PDF or image)").set_input_files(
        files=[{"name": "nia-signed.pdf", "mimeType": "application/pdf", "buffer": SIGNED_PDF}]
    )
    helpdesk.get_by_role("button", name="Upload the signed copy").click()
    expect(_status(helpdesk)).to_have_text("Signed copy received.")
    expect(helpdesk.locator("#form-state")).to_have_text("Received")
    expect(helpdesk.get_by_role("link", name="nia-signed.pdf")).to_be_visible()

    verify = helpdesk.get_by_role("region", name="Verify")
    checklist = verify.get_by_role("group")
    expect(checklist).to_have_count(len(form.form_type.checklist))
    for item in form.form_type.checklist:
        verify.get_by_role("group", name=item, exact=True).get_by_role("radio", name="Yes").check()
    verify.get_by_role("button", name="Record the check").click()
    expect(_status(helpdesk)).to_have_text("Verified. File it to put it on record.")
    expect(helpdesk.locator("#form-state")).to_have_text("Verified")

    helpdesk.get_by_role("button", name="File it").click()
    expect(_status(helpdesk)).to_have_text(f"{reference} filed.")
    expect(helpdesk.locator("#form-state")).to_have_text("Filed")

    # The tracking page lists what is outstanding (the 4055 still waits for its signed copy);
    # filtered to filed forms, it shows the 4052 filed.
    other = SecurityForm.objects.get(person=newcomer, form_type__code="4055")
    _open_tracking(helpdesk)
    expect(helpdesk.get_by_role("row").filter(has_text=other.reference)).to_contain_text("Issued")
    expect(helpdesk.get_by_role("row").filter(has_text=reference)).to_have_count(0)
    helpdesk.get_by_label("State").select_option(label="Filed")
    helpdesk.get_by_role("button", name="Filter").click()
    expect(helpdesk).to_have_url(re.compile(r"[?&]state=filed"))
    rows = helpdesk.locator("tbody").get_by_role("row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(reference)
    expect(rows.first).to_contain_text("Nia Newcomer")
    expect(rows.first).to_contain_text("Filed")

    form.refresh_from_db()
    assert form.state == FormState.FILED
    assert form.filed_by == browser_world.hannah
    assert form.documents.get().original_name == "nia-signed.pdf"
    transitions = AuditEvent.objects.for_object(form).filter(kind=AuditKind.TRANSITION)
    assert transitions.count() == 3  # received, verified, filed
    other.refresh_from_db()
    assert other.state == FormState.ISSUED
