"""The whole escalation in real Chromium, one browser per person on the ASGI server: the local
expert sends a Problem Report Form, the help desk queue shows it live, the help desk escalates
it to MIS, MIS reports the resolution, the help desk resolves it, and the local expert sees it
resolved (live too) and has had the emails."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from helpdesk.models import OutboundEmail, Ticket

pytestmark = pytest.mark.browser

SUMMARY = "CCTS rejects every case note save"
TRACKING = re.compile(r"CCAP-\d{4}-\d{6}")
LIVE_MS = 10_000  # how long a live update may take to show


def _live_region(page: Page):
    return page.locator("#live-region")


def _wait_until_live(page: Page) -> None:
    """The page's websocket is connected (so it hears of changes from now on), and a marker
    is set on the window: it survives live updates, but not a reload or a navigation."""
    expect(_live_region(page)).to_have_attribute("data-live", "connected", timeout=LIVE_MS)
    page.evaluate("window.__notReloaded = true")


def _was_not_reloaded(page: Page) -> bool:
    return page.evaluate("window.__notReloaded === true")


def _state(page: Page):
    """The ticket page's state badge, under the heading."""
    return _live_region(page).locator("h1 + p > .badge")


def _take_action(page: Page, label: str, **fields: str) -> None:
    """Open the action's panel under "What you can do", fill its fields by label, submit."""
    action = page.locator("details.action").filter(
        has=page.locator("summary", has_text=re.compile(rf"^{re.escape(label)}$"))
    )
    expect(action).to_have_count(1)
    action.locator("summary").click()
    for field_label, value in fields.items():
        field = action.get_by_label(field_label)
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(label=value)
        else:
            field.fill(value)
    action.get_by_role("button", name=label).click()
    expect(page.get_by_role("status")).to_contain_text(f"{label}: done.")


def test_problem_report_goes_to_mis_and_comes_back_resolved(open_browser):
    helpdesk = open_browser("hannah")
    helpdesk.goto("/queues/help_desk/")
    expect(helpdesk.get_by_role("heading", level=1)).to_have_text("Help desk queue")
    expect(_live_region(helpdesk)).to_contain_text("No tickets here.")
    _wait_until_live(helpdesk)

    mis = open_browser("mike")
    mis.goto("/queues/mis/")
    expect(_live_region(mis)).to_contain_text("No tickets here.")
    _wait_until_live(mis)

    # The local expert sends the Problem Report Form.
    expert = open_browser("pat")
    expert.goto("/problem-report/")
    expect(expert.get_by_role("heading", level=1)).to_have_text("Problem Report Form")
    expect(expert.get_by_label("Local expert contact")).to_have_value("Pat Primary")
    expect(expert.get_by_role("textbox", name="Email", exact=True)).to_have_value("pat@example.org")
    expert.get_by_label("Office").select_option(label="Northern Lights CCR&R - Rockford office")
    expert.get_by_label("Summary").fill(SUMMARY)
    expert.get_by_role("textbox", name="Phone", exact=True).fill("815-555-0100")
    expert.get_by_label("Secondary contact").fill("Alex Alternate")
    expert.get_by_label("Secondary phone").fill("815-555-0101")
    expert.get_by_label("Secondary email").fill("alex@example.org")
    occurred = timezone.localtime() - timedelta(days=1)
    expert.get_by_label("Date and time the problem occurred").fill(f"{occurred:%Y-%m-%d}T09:30")
    expert.get_by_role("radio", name="Yes").check()
    expert.get_by_label("Who is experiencing the problem?").select_option(label="My entire team")
    expert.get_by_label("Security group").fill("CCR&R caseworkers")
    expert.get_by_label("CCMS screen name").fill("Case notes")
    expert.get_by_role("combobox", name="System", exact=True).select_option(label="CCTS")
    expert.get_by_label("Description").fill("Saving a case note shows error 500 for every case.")
    expert.get_by_label("Steps taken").fill("Cleared the cache, tried another browser and PC.")
    expert.get_by_label("Expected result").fill("The case note is saved.")
    expert.get_by_role("button", name="Send to the help desk").click()

    heading = expert.get_by_role("heading", level=1)
    expect(heading).to_contain_text(SUMMARY)
    expect(heading).to_have_text(re.compile(rf"^{TRACKING.pattern}: {re.escape(SUMMARY)}$"))
    reference = heading.inner_text().split(":")[0]
    expect(expert.get_by_role("status")).to_contain_text(
        f"Sent to the CCAP Help Desk as {reference}"
    )
    _wait_until_live(expert)

    # The help desk queue shows it without a reload.
    row = _live_region(helpdesk).get_by_role("row").filter(has_text=reference)
    expect(row).to_contain_text(SUMMARY, timeout=LIVE_MS)
    expect(row).to_contain_text("Submitted to the help desk")
    expect(_live_region(helpdesk)).to_have_attribute("data-refreshed", re.compile(r"^\d+$"))
    assert _was_not_reloaded(helpdesk), "the help desk queue was reloaded, not updated live"
    # Not MIS's yet.
    expect(_live_region(mis)).to_contain_text("No tickets here.")

    # The help desk takes it and escalates it to MIS.
    row.get_by_role("link", name=reference).click()
    expect(helpdesk.get_by_role("heading", level=1)).to_have_text(f"{reference}: {SUMMARY}")
    _take_action(helpdesk, "Assign", Assignee="Hannah Helpdesk (hannah)")
    expect(_state(helpdesk)).to_have_text("In progress at the help desk")
    expect(_live_region(helpdesk)).to_contain_text("assigned to Hannah Helpdesk")
    _take_action(
        helpdesk,
        "Escalate to MIS",
        Note="Reproduced on two PCs: the save fails on the server.",
        **{"MIS ticket number": "MIS-4711"},
    )
    expect(_state(helpdesk)).to_have_text("Escalated to MIS")
    expect(_live_region(helpdesk)).to_contain_text("MIS ticket MIS-4711")
    _wait_until_live(helpdesk)

    # MIS's queue shows it without a reload; MIS reports the resolution.
    mis_row = _live_region(mis).get_by_role("row").filter(has_text=reference)
    expect(mis_row).to_contain_text("Escalated to MIS", timeout=LIVE_MS)
    assert _was_not_reloaded(mis), "the MIS queue was reloaded, not updated live"
    mis_row.get_by_role("link", name=reference).click()
    expect(mis.get_by_role("heading", level=1)).to_have_text(f"{reference}: {SUMMARY}")
    _take_action(
        mis,
        "Report MIS resolution",
        Resolution="Fixed a corrupt index on the case notes table.",
    )
    expect(_state(mis)).to_have_text("In progress at the help desk")

    # Back with the help desk, whose open ticket page (with its MIS number field pre-filled)
    # updates live; it resolves the ticket.
    expect(_state(helpdesk)).to_have_text("In progress at the help desk", timeout=LIVE_MS)
    expect(_live_region(helpdesk)).to_contain_text("Fixed a corrupt index on the case notes")
    expect(helpdesk.locator("#live-notice")).to_have_count(0)
    assert _was_not_reloaded(helpdesk), "the help desk ticket page was reloaded, not updated"
    _take_action(helpdesk, "Resolve", Resolution="MIS repaired the case notes table.")
    expect(_state(helpdesk)).to_have_text("Resolved")

    # The local expert's ticket page, open all along, shows it resolved.
    expect(_state(expert)).to_have_text("Resolved", timeout=LIVE_MS)
    expect(_live_region(expert)).to_contain_text("MIS repaired the case notes table.")
    expect(expert.locator("#live-notice")).to_have_count(0)
    assert _was_not_reloaded(expert), "the local expert's ticket page was reloaded"
    expert.reload()
    expect(_state(expert)).to_have_text("Resolved")

    # And received the emails: acknowledgement, escalation notice, resolution.
    ticket = Ticket.objects.get(tracking_number=reference)
    assert ticket.state == "resolved"
    emails = list(OutboundEmail.objects.filter(ticket=ticket))
    to_pat = {email.kind: email for email in emails if _to_pat(email.recipients)}
    assert {"acknowledgement", "escalated_notice", "resolved"} <= to_pat.keys(), emails
    for kind in ("acknowledgement", "escalated_notice", "resolved"):
        assert to_pat[kind].sent_at is not None, kind
        assert reference in to_pat[kind].subject, kind
    inbox = [m for m in mail.outbox if "pat@example.org" in m.to]
    subjects = {m.subject for m in inbox}
    for kind in ("acknowledgement", "escalated_notice", "resolved"):
        assert to_pat[kind].subject in subjects, (kind, subjects)
    # MIS heard of the escalation, the help desk (assignee) of MIS's resolution.
    kinds = {email.kind: email.recipients for email in emails}
    assert "mike@example.org" in kinds["escalated_to_mis"]
    assert "hannah@example.org" in kinds["mis_resolved"]


def _to_pat(recipients: list[str]) -> bool:
    return "pat@example.org" in [address.lower() for address in recipients]
