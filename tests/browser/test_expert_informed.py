"""Keeping the local expert informed, in real Chromium: an agency user reports a problem while
both of the office's local experts are away and is told it went to the help desk, whose queue
shows the flag; an MIS staff member takes ownership of a ticket from its page."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from helpdesk.actor import Actor
from helpdesk.models import Ticket
from helpdesk.tickets import services as svc
from tests.browser.conftest import sign_in_on
from tests.factories import AbsenceFactory
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.browser

TRACKING = re.compile(r"CCAP-\d{4}-\d{6}")


def test_a_report_with_both_experts_away_goes_to_the_help_desk(sign_in, browser_world, page):
    for expert in (browser_world.pat, browser_world.alex):
        AbsenceFactory(person=expert)
    sign_in("alice")
    page.goto("/report/")
    page.get_by_label("Summary").fill("CCMS case screen freezes on save")
    page.get_by_label("System").select_option(label="CCMS")
    page.get_by_label("Who is experiencing the problem?").select_option(label="Just me")
    page.get_by_label("Description").fill("It freezes when I save a case note.")
    page.get_by_role("button", name="Send to my local expert").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("your report went straight to the CCAP Help Desk as")
    expect(status).to_contain_text(TRACKING)
    expect(page.get_by_text("No local expert available", exact=True)).to_be_visible()
    ticket = Ticket.objects.get(summary="CCMS case screen freezes on save")
    assert ticket.no_local_expert
    assert "ccap-helpdesk@localhost" in {a for m in mail.outbox for a in m.to}

    page.context.clear_cookies()
    sign_in_on(page, "hannah", browser_world.password)
    page.goto("/queues/help_desk/")
    row = page.locator(f'tr[data-ticket="{ticket.pk}"]')
    expect(row.get_by_text("No local expert available")).to_be_visible()


def test_mis_staff_take_ownership_on_the_ticket_page(sign_in, browser_world, page, monkeypatch):
    # The ticket is made through the services in this thread, where Playwright's event loop
    # runs and a live-update push cannot; nobody watches it live here anyway.
    monkeypatch.setattr("helpdesk.tickets.live._send_many", lambda signals: None)
    ticket = th.with_mis(browser_world)
    sign_in("mike")
    page.goto(f"/tickets/{ticket.pk}/")
    page.get_by_role("button", name="Take ownership (MIS)").click()
    expect(page.get_by_role("status")).to_contain_text("You are the MIS owner of this ticket.")
    expect(page.locator("#live-region h1 + p")).to_contain_text("MIS owner: Mike Mis")
    expect(page.get_by_role("button", name=re.compile("Take ownership"))).to_have_count(0)
    ticket.refresh_from_db()
    assert ticket.mis_owner == browser_world.mike
    mail.outbox.clear()
    svc.add_message(ticket, by=Actor.of(browser_world.pat.user), body="Any news?")
    assert {a for m in mail.outbox for a in m.to} == {"mike@example.org"}
