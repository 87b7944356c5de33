"""Bulk work in real Chromium: help desk staff tick two tickets on their queue, choose
"Assign", read on the confirmation page what will happen, confirm, and see both done."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from escalation.workflow import TicketState as S
from helpdesk.models import Ticket
from tests.helpdesk.dashboards.conftest import make_ticket

pytestmark = pytest.mark.browser


def test_help_desk_staff_select_two_tickets_and_assign_them(sign_in, browser_world):
    # Written directly: the services' live pushes cannot run on the thread Playwright's loop
    # holds (tests/browser/conftest.py); the bulk action itself runs them on the server.
    one, two, left = (
        make_ticket(
            browser_world.office,
            S.SUBMITTED,
            timezone.now(),
            tracking_number=f"CCAP-2026-00004{n}",
        )
        for n in range(3)
    )
    page = sign_in("hannah")
    page.goto("/queues/help_desk/")
    page.get_by_label(f"Select {one.reference}").check()
    page.get_by_label(f"Select {two.reference}").check()
    page.get_by_role("button", name="Assign…", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Assign: 2 tickets")
    expect(page.locator("#consequence")).to_contain_text("2 tickets will be assigned")
    listed = page.get_by_role("table", name="The selected tickets")
    expect(listed.get_by_role("link", name=one.reference)).to_be_visible()
    expect(listed.get_by_role("link", name=two.reference)).to_be_visible()
    expect(listed.get_by_role("link", name=left.reference)).to_have_count(0)
    assert not Ticket.objects.filter(assignee__isnull=False).exists()  # nothing until confirmed

    page.get_by_label("Assignee").select_option(str(browser_world.hannah.pk))
    page.get_by_role("button", name="Assign: 2 tickets").click()

    expect(page.get_by_role("status")).to_contain_text("2 tickets done, 0 refused")
    expect(page.locator("#bulk-done li")).to_have_count(2)
    assignees = dict(Ticket.objects.values_list("pk", "assignee"))
    assert assignees == {
        one.pk: browser_world.hannah.pk,
        two.pk: browser_world.hannah.pk,
        left.pk: None,
    }
