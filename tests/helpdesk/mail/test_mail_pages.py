"""The inbound mail pages: help desk staff only, every byte a stranger sent shown escaped, the
raw copy only ever downloaded, and the quarantine actions through the services."""

from email.message import EmailMessage

import pytest
from django.urls import reverse

from helpdesk.lib.confirm import FIELD
from helpdesk.mail import handlers, intake
from helpdesk.models import AuditEvent, AuditKind, InboundMessage, InboundStatus, Outcome
from tests.confirming import confirmation_page
from tests.helpdesk.mail.messages import email_bytes

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def quarantined(world):
    raw = email_bytes(
        sender=f'"{XSS}" <alice@example.org>', subject=f"Help {XSS}", body=f"Body {XSS}"
    )
    return intake.ingest(raw, source="pipe").inbound


def _login(client, world, who):
    users = {
        "hannah": world.hannah,
        "ada": world.ada,
        "mike": world.mike,
        "pat": world.pat.user,
        "alice": world.alice.user,
    }
    client.force_login(users[who])


@pytest.mark.parametrize(
    ("who", "status"), [("hannah", 200), ("ada", 200), ("mike", 403), ("pat", 403), ("alice", 403)]
)
def test_only_help_desk_staff_and_administrators_see_inbound_mail(
    client, world, quarantined, who, status
):
    _login(client, world, who)
    urls = [
        reverse("inbound_list"),
        reverse("inbound_detail", args=[quarantined.pk]),
        reverse("inbound_raw", args=[quarantined.pk]),
    ]

    assert [client.get(url).status_code for url in urls] == [status] * 3


@pytest.mark.parametrize("action", ["inbound_release", "inbound_discard", "inbound_reprocess"])
def test_actions_are_refused_to_others(client, world, quarantined, action):
    _login(client, world, "pat")

    response = client.post(reverse(action, args=[quarantined.pk]), {"reason": "x"})

    assert response.status_code == 403
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.QUARANTINED


def test_anonymous_visitors_are_sent_to_sign_in(client, quarantined):
    response = client.get(reverse("inbound_raw", args=[quarantined.pk]))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_what_a_stranger_wrote_is_escaped_everywhere(client, world, quarantined):
    _login(client, world, "hannah")

    pages = [
        client.get(reverse("inbound_list")).content.decode(),
        client.get(reverse("inbound_detail", args=[quarantined.pk])).content.decode(),
    ]

    for page in pages:
        assert "<script>alert" not in page
        assert "<img src=x" not in page
    assert "&lt;script&gt;alert" in pages[1]


def test_the_raw_message_is_only_ever_a_download(client, world, quarantined):
    _login(client, world, "hannah")

    response = client.get(reverse("inbound_raw", args=[quarantined.pk]))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]
    assert response.content == InboundMessage.objects.get(pk=quarantined.pk).raw_bytes


def test_the_quarantine_list_shows_the_reason(client, world, quarantined):
    _login(client, world, "hannah")

    page = client.get(reverse("inbound_list")).content.decode()

    assert "Sender is not a designated local expert" in page
    assert "Quarantine (1)" in page


def test_release_from_the_page_makes_a_ticket(client, world, quarantined):
    _login(client, world, "hannah")

    response = client.post(
        reverse("inbound_release", args=[quarantined.pk]),
        {"office": world.office.pk, "note": "Pat asked Alice to send it."},
    )

    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.RELEASED
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[quarantined.ticket.pk])
    assert AuditEvent.objects.filter(kind=AuditKind.MAIL_RELEASED, actor=world.hannah).exists()


def test_discard_from_the_page_needs_a_reason(client, world, quarantined):
    _login(client, world, "hannah")
    url = reverse("inbound_discard", args=[quarantined.pk])

    response = client.post(url, {"reason": ""})
    assert response.status_code == 400  # on the page, next to the field
    assert response.context["discard_form"].errors["reason"]
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.QUARANTINED

    # Discarding cannot be undone: a direct POST only asks, the confirmed one discards.
    asked = confirmation_page(client, url, {"reason": "Spam."})
    page = asked.content.decode()
    assert "will never become a ticket or a reply, and its sender is not told." in page
    assert 'class="danger"' in page
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.QUARANTINED
    client.post(url, {"reason": "Spam.", FIELD: "1"})
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.QUARANTINED

    client.post(url, {"reason": "Spam.", FIELD: asked.context["token"]})
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.DISCARDED
    assert quarantined.decision_note == "Spam."


def test_discard_counts_the_files_that_will_not_reach_a_ticket(client, world):
    message = EmailMessage()
    message["From"] = "stranger@example.com"
    message["To"] = "helpdesk@example.org"
    message["Subject"] = "Two files"
    message["Message-ID"] = "<two-files@example.com>"
    message.set_content("See attached.")
    for name in ("a.pdf", "b.pdf"):
        message.add_attachment(b"%PDF-1.4 x", maintype="application", subtype="pdf", filename=name)
    inbound = intake.ingest(message.as_bytes(), source="pipe").inbound
    inbound.refresh_from_db()
    assert inbound.outcome == Outcome.QUARANTINED
    _login(client, world, "hannah")
    url = reverse("inbound_discard", args=[inbound.pk])
    page = confirmation_page(client, url, {"reason": "Spam."}).content.decode()
    assert "Its 2 attached files will not be added to any ticket." in page
    assert "stranger@example.com" in page


def test_reprocess_from_the_page(client, world):
    handlers.mail_handlers.register(handlers.MailHandler("broken", lambda *a: 1 / 0))
    try:
        failed = intake.ingest(email_bytes(), source="pipe").inbound
    finally:
        handlers.mail_handlers.unregister("broken")
    _login(client, world, "hannah")

    assert "Reprocess" in client.get(reverse("inbound_detail", args=[failed.pk])).content.decode()
    client.post(reverse("inbound_reprocess", args=[failed.pk]))

    failed.refresh_from_db()
    assert failed.status == InboundStatus.PROCESSED
    assert failed.outcome == Outcome.TICKET_CREATED


def test_the_ticket_timeline_links_staff_to_the_email(client, world):
    ticket = intake.ingest(email_bytes(), source="pipe").ticket
    inbound = InboundMessage.objects.get()
    _login(client, world, "hannah")

    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert reverse("inbound_detail", args=[inbound.pk]) in page


def test_help_desk_navigation_has_inbound_mail(client, world):
    _login(client, world, "hannah")

    assert reverse("inbound_list") in client.get(reverse("home")).content.decode()


def test_the_help_desk_home_shows_the_quarantine(client, world, quarantined):
    _login(client, world, "hannah")

    page = client.get(reverse("home")).content.decode()

    assert "1 message in quarantine" in page


def test_a_refused_release_comes_back_on_the_page_with_the_note_kept(client, world, quarantined):
    _login(client, world, "hannah")
    response = client.post(
        reverse("inbound_release", args=[quarantined.pk]),
        {"office": "999999", "note": "Pat asked Alice to send it."},
    )
    assert response.status_code == 400
    form = response.context["release_form"]
    assert form.errors["office"]
    assert form["note"].value() == "Pat asked Alice to send it."
    assert "Pat asked Alice to send it." in response.content.decode()
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.QUARANTINED
