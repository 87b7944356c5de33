"""A saved reply in real Chromium: the help desk chooses one on the ticket page, the message
form fills with its text for this ticket (no inline script: the page's CSP holds), and sending
it also takes its action; without JavaScript the same choice pre-fills the form from the server."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from playwright.sync_api import expect

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import ReplyOwner, TicketMessage
from helpdesk.tickets import saved_replies
from tests.browser.conftest import (
    TIMEOUT_MS,
    assert_no_csp_violations,
    sign_in_on,
    watch_for_csp_violations,
)
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.browser

TITLE = "Which workstation?"
BODY = "Hello {expert_name}, on which workstation does {tracking_number} happen?"


def _setup(world):
    """The ticket and the reply, made through the services in a thread of their own: the
    services' after-commit live updates call async_to_sync, which Playwright's running loop
    forbids in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_make, world).result()


def _make(world):
    ticket = th.in_progress(world)
    saved_replies.create_reply(
        by=Actor.of(world.hannah),
        title=TITLE,
        body=BODY,
        owner=ReplyOwner.HELP_DESK,
        action=Action.REQUEST_INFO,
    )
    return ticket


def test_choosing_a_saved_reply_fills_the_message_and_takes_its_action(open_browser, browser_world):
    ticket = _setup(browser_world)
    filled = f"Hello Pat Primary, on which workstation does {ticket.tracking_number} happen?"
    desk = open_browser("hannah")
    desk.goto(f"/tickets/{ticket.pk}/")
    # With JavaScript the choice fills the form at once: the no-script button is hidden.
    expect(desk.get_by_role("button", name="Use this reply")).to_be_hidden()
    desk.get_by_label("Saved reply").select_option(label=f"{TITLE} (then: Request information)")
    message = desk.get_by_role("textbox", name="Message", exact=True)
    expect(message).to_have_value(filled)
    expect(desk.locator("#saved-reply-status")).to_have_text(
        "Sending it also does: Request information."
    )
    message.fill(filled + " Thanks.")
    desk.get_by_role("button", name="Send", exact=True).click()
    expect(desk.get_by_role("status")).to_contain_text("Request information: done.")
    expect(desk.locator("#live-region h1 + p > .badge")).to_have_text("Awaiting information")
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_INFO
    assert TicketMessage.objects.filter(ticket=ticket, body=filled + " Thanks.").count() == 1


def test_without_javascript_the_server_fills_the_form(browser, asgi_live_server, browser_world):
    ticket = _setup(browser_world)
    context = browser.new_context(
        base_url=asgi_live_server, locale="en-US", java_script_enabled=False
    )
    context.set_default_timeout(TIMEOUT_MS)
    violations = watch_for_csp_violations(context)
    try:
        desk = sign_in_on(context.new_page(), "hannah", browser_world.password)
        desk.goto(f"/tickets/{ticket.pk}/")
        desk.get_by_label("Saved reply").select_option(label=f"{TITLE} (then: Request information)")
        desk.get_by_role("button", name="Use this reply").click()
        expect(desk.get_by_role("textbox", name="Message", exact=True)).to_have_value(
            f"Hello Pat Primary, on which workstation does {ticket.tracking_number} happen?"
        )
        desk.get_by_role("button", name="Send", exact=True).click()
        expect(desk.get_by_role("status")).to_contain_text("Request information: done.")
    finally:
        context.close()
    assert_no_csp_violations(violations)
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_INFO
