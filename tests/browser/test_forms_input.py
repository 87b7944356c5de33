"""Forms in real Chromium (issue 16, points 1 and 8): a local expert is offered no internal-note
box; a message past its limit is counted as it is typed, refused on the same page next to the
box with all of it still there, and sent once shortened; a 5,000-character word makes no page
wider than the window."""

import re
from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

from helpdesk.actor import Actor
from helpdesk.lib.inputs import MESSAGE_MAX
from helpdesk.tickets import live
from helpdesk.tickets import services as svc
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.browser

LONG_WORD = "x" * 5000


@pytest.fixture
def quietly(monkeypatch):
    """Data made here, in the test's thread, where Playwright's loop runs: the live push to
    pages (none is open yet) cannot hop into an event loop from this thread, so it is off while
    the data is made; the server's own pushes, in its threads, are untouched."""

    @contextmanager
    def quietly():
        with monkeypatch.context() as patched:
            patched.setattr(live, "_send_many", lambda signals: None)
            yield

    return quietly


def test_a_message_past_its_limit_is_refused_on_the_page_with_all_of_it_kept(
    open_browser, browser_world, quietly
):
    with quietly():
        ticket = th.in_progress(browser_world)
    expert = open_browser("pat")
    expert.goto(f"/tickets/{ticket.pk}/")
    form = expert.locator("#message-form")
    expect(form.get_by_label("Message")).to_be_visible()
    # No box whose use the server would refuse.
    expect(expert.get_by_label(re.compile("Internal note"))).to_have_count(0)

    box = form.get_by_label("Message")
    counter = form.locator(".counter")
    expect(counter).to_have_text(f"0 of {MESSAGE_MAX} characters")
    too_long = "The session drops. " + "y" * MESSAGE_MAX
    box.fill(too_long)
    over = len(too_long) - MESSAGE_MAX
    expect(counter).to_have_text(f"{len(too_long)} of {MESSAGE_MAX} characters: {over} too many")
    expect(counter).to_have_class(re.compile(r"\bover\b"))
    form.get_by_role("button", name="Send").click()

    # The same page, the error at the box, every character still in it.
    form = expert.locator("#message-form")
    expect(form.locator(".errorlist")).to_contain_text(
        f"Keep this to {MESSAGE_MAX} characters or fewer"
    )
    expect(form.get_by_label("Message")).to_have_value(too_long)
    assert not ticket.messages.exists()

    form.get_by_label("Message").fill("The session drops after 10 minutes.")
    form.get_by_role("button", name="Send").click()
    expect(expert.get_by_role("status")).to_contain_text("Message added.")
    expect(expert.locator(".timeline")).to_contain_text("The session drops after 10 minutes.")


@pytest.mark.parametrize("width", [1280, 390])
def test_a_five_thousand_character_word_wraps_inside_the_window(
    open_browser, browser_world, quietly, width
):
    with quietly():
        ticket = th.in_progress(browser_world)
        ticket.summary = "Summary " + LONG_WORD[:190]
        ticket.description = f"Before {LONG_WORD} after"
        ticket.save(update_fields=["summary", "description"])
        svc.post_message(ticket, by=Actor.of(browser_world.pat.user), body=LONG_WORD)
    desk = open_browser("hannah")
    desk.set_viewport_size({"width": width, "height": 900})
    for url in (f"/tickets/{ticket.pk}/", "/queues/help_desk/"):
        desk.goto(url)
        expect(desk.get_by_role("heading", level=1)).to_be_visible()
        scroll, inner = desk.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert scroll <= inner, f"{url} at {width}px is {scroll}px wide"
