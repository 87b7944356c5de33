"""The emailed acknowledgement link in real Chromium: its token after "#" is never sent to the
server; the page's static script posts it, takes it out of the address bar, and the reader
acknowledges. The CSP watch of the fixtures fails the test on any blocked script."""

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from helpdesk.models import ProcedureAcknowledgement, ProcedureAudience
from helpdesk.procedures import onboarding
from tests.helpdesk.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.browser


def test_the_emailed_link_opens_acknowledges_and_never_sends_its_token(page: Page, browser_world):
    ProcedureFactory(title="Reporting a CCTS problem", audience=ProcedureAudience.ALL)
    onboarding.send_packets([browser_world.alice.pk], kind=onboarding.WELCOME)  # autocommit
    link = re.search(r"https?://\S+(/procedures/acknowledge/#(\S+))", str(mail.outbox[-1].body))
    assert link is not None
    path, token = link[1], link[2]
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url + (request.post_data or "")))

    page.goto(path)
    expect(page.get_by_role("button", name="I have read these")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Reporting a CCTS problem"))).to_be_visible()
    assert "#" not in page.url  # out of the address bar and the history
    assert [u for u in sent if token in u and "code=" not in u] == []  # only ever posted
    page.get_by_role("button", name="I have read these").click()
    expect(page.get_by_role("status")).to_contain_text("1 acknowledgement recorded")
    row = ProcedureAcknowledgement.objects.get(person=browser_world.alice)
    assert row.acknowledged_at is not None
