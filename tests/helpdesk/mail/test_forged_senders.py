"""Issue 14, "forged senders are believed": each test is named after the finding it guards.

A mail sender is believed only as far as it is proven: an aligned DMARC pass from our own mail
server, or a reply quoting a Message-ID we sent to that very address. An ambiguous From is
matched to no one. An unproven reply that would speak for someone is held for the help desk,
with nothing added, changed or mailed on."""

import smtplib
import uuid
from email.utils import format_datetime

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.urls import reverse
from django.utils import timezone

from escalation.workflow import TicketState as S
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.mail import intake
from helpdesk.mail.parse import parse_message
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    OutboundEmail,
    OutboundRecipient,
    Outcome,
    QuarantineReason,
    SenderProof,
    Ticket,
)
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.mail.messages import FORM
from tests.outgoing_mail import message_id_sent_to

TRUSTED = "mx.illinois.example"


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run ``make()`` and what waits for its commit (the emails it queues are sent)."""

    def run(make):
        with django_capture_on_commit_callbacks(execute=True):
            return make()

    return run


def raw_mail(*from_lines: str, subject: str = "CCMS: cannot remove a sanction", **headers) -> bytes:
    """A message with exactly these From lines, written as given (no library rewrites them)."""
    lines = [f"From: {line}" for line in from_lines]
    lines += [
        "To: ccap-helpdesk@localhost",
        f"Subject: {subject}",
        f"Date: {format_datetime(timezone.now())}",
        f"Message-ID: <{uuid.uuid4().hex}@mail.example>",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n" + FORM.replace("\n", "\r\n")).encode()


def reply_on(ticket: Ticket, sender: str, body: str = "The case number is 4411.", **headers):
    return raw_mail(sender, subject=f"RE: [{ticket.tracking_number}] Question", **headers) + (
        f"\r\n{body}\r\n".encode()
    )


def reply_body(ticket: Ticket, sender: str, body: str, **headers) -> bytes:
    """A reply whose whole text is ``body`` (no form in it)."""
    lines = [
        f"From: {sender}",
        "To: ccap-helpdesk@localhost",
        f"Subject: RE: [{ticket.tracking_number}] Question",
        f"Message-ID: <{uuid.uuid4().hex}@mail.example>",
        *(f"{name.replace('_', '-')}: {value}" for name, value in headers.items()),
    ]
    return ("\r\n".join(lines) + f"\r\n\r\n{body}\r\n").encode()


# --- 1. One reading of From ----------------------------------------------------------------------

AMBIGUOUS = {
    "quoted_local_part_holding_at": '"pat@example.org"@evil.example',
    "address_as_unquoted_display_name": "pat@example.org <attacker@evil.example>",
    "two_mailboxes": "Pat Primary <pat@example.org>, attacker@evil.example",
    "trailing_text": "Pat Primary <pat@example.org> attacker@evil.example",
    "unbalanced_quote": '"Pat Primary <pat@example.org>',
    "unclosed_bracket": "Pat Primary <pat@example.org",
    "group_syntax": "Staff: pat@example.org;",
    "quoted_local_part_in_brackets": 'Pat <"pat@example.org"@evil.example>',
    "domain_literal": "pat@[192.0.2.1]",
}


@pytest.mark.parametrize("from_line", AMBIGUOUS.values(), ids=AMBIGUOUS.keys())
def test_finding_ambiguous_from_is_never_matched_to_pat(world, ingest, from_line):
    result = ingest(raw_mail(from_line))

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.AMBIGUOUS_SENDER
    assert result.inbound.from_address == ""  # matched to no one
    assert result.ticket is None
    assert not Ticket.objects.exists()
    assert result.inbound.raw_bytes.startswith(b"From: ")  # stored, for a person to read


def test_finding_quoted_local_part_holding_at_is_not_matched_to_pat():
    parsed = parse_message(raw_mail('"pat@example.org"@evil.example'))

    assert parsed.from_address == ""
    assert "quoted local part" in parsed.sender_problem


def test_finding_two_from_headers_are_ambiguous(world, ingest):
    result = ingest(raw_mail("Pat Primary <pat@example.org>", "attacker@evil.example"))

    assert result.inbound.quarantine_reason == QuarantineReason.AMBIGUOUS_SENDER
    assert "several From headers" in result.inbound.detail


def test_finding_encoded_word_display_name_is_not_an_address(world, ingest):
    """The display name says Pat's address; the mailbox is the attacker's, and is read so."""
    from_line = "=?utf-8?q?pat@example.org?= <attacker@evil.example>"
    parsed = parse_message(raw_mail(from_line))
    assert (parsed.from_address, parsed.sender_problem) == ("attacker@evil.example", "")

    result = ingest(raw_mail(from_line))

    assert result.inbound.from_address == "attacker@evil.example"
    assert result.inbound.quarantine_reason == QuarantineReason.NOT_LOCAL_EXPERT
    assert not Ticket.objects.exists()


def test_finding_comment_holding_an_address_is_not_the_address(world, ingest):
    result = ingest(raw_mail("Pat (pat@example.org) <attacker@evil.example>"))

    assert result.inbound.from_address == "attacker@evil.example"
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(
    "from_line",
    [
        '"Primary, Pat" <pat@example.org>',  # Outlook: "Last, First"
        "Pat Primary <PAT@Example.org>",
        "pat@example.org (Pat Primary)",
        "=?utf-8?q?P=C3=A4t_Primary?= <pat@example.org>",
    ],
)
def test_ordinary_outlook_from_headers_are_still_pats(world, ingest, from_line):
    result = ingest(raw_mail(from_line))

    assert result.outcome == Outcome.TICKET_CREATED
    assert result.ticket.local_expert == world.pat


# --- 2. DMARC alignment --------------------------------------------------------------------------


@pytest.fixture
def awaiting(world, committed):
    """A ticket waiting on Pat, the question mailed to Pat (and the form's secondary contact)."""
    return committed(lambda: th.awaiting_info(world))


def test_finding_dmarc_pass_for_another_domain_is_not_believed(world, ingest, settings, awaiting):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]
    forged = reply_on(
        awaiting,
        "Pat Primary <pat@example.org>",
        Authentication_Results=f"{TRUSTED}; spf=pass; dmarc=pass header.from=evil.example",
    )

    result = ingest(forged)

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY
    assert result.inbound.sender_proof == ""
    awaiting.refresh_from_db()
    assert awaiting.state == S.AWAITING_INFO


def test_an_aligned_dmarc_pass_from_our_server_proves_the_sender(world, ingest, settings, awaiting):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]
    reply = reply_on(
        awaiting,
        "Pat Primary <pat@example.org>",
        Authentication_Results=f"{TRUSTED}; dmarc=pass (p=reject) header.from=mail.example.org",
    )

    result = ingest(reply)

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert result.inbound.sender_proof == SenderProof.DMARC
    awaiting.refresh_from_db()
    assert awaiting.state == S.IN_PROGRESS


def test_finding_forged_dmarc_pass_below_our_servers_header_is_not_believed(
    world, ingest, settings, awaiting
):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]
    ours = f"{TRUSTED}; dmarc=none header.from=example.org"
    forged = f"{TRUSTED}; dmarc=pass header.from=example.org"  # written by the sender
    raw = reply_on(awaiting, "pat@example.org", Authentication_Results=ours)
    raw = raw.replace(b"\r\n\r\n", f"\r\nAuthentication-Results: {forged}\r\n\r\n".encode(), 1)

    result = ingest(raw)

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY


def test_finding_dmarc_is_not_believed_without_a_trusted_server(world, ingest, settings, awaiting):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = []  # the default configuration
    forged = reply_on(
        awaiting,
        "pat@example.org",
        Authentication_Results=f"{TRUSTED}; dmarc=pass header.from=example.org",
    )

    assert ingest(forged).inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY


def test_dmarc_fail_from_our_server_still_quarantines_as_spoofed(world, ingest, settings):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]
    raw = raw_mail(
        "pat@example.org", Authentication_Results=f"{TRUSTED}; dmarc=fail header.from=example.org"
    )

    assert ingest(raw).inbound.quarantine_reason == QuarantineReason.SPOOFED


# --- 3. Replies that prove themselves ------------------------------------------------------------


def test_finding_forged_staff_reply_is_not_stored_as_staff_nor_mailed_out(world, ingest, committed):
    ticket = committed(lambda: th.in_progress(world))
    mail.outbox.clear()

    result = ingest(reply_body(ticket, "Hannah Helpdesk <hannah@example.org>", "Delete case 4411."))

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY
    assert result.ticket == ticket  # held with the ticket, for the help desk
    assert not ticket.messages.exists()
    assert mail.outbox == []  # nothing relayed to the local expert from our address
    assert not OutboundEmail.objects.filter(kind="reply").exists()


def test_finding_forged_expert_reply_does_not_move_awaiting_info(world, ingest, awaiting):
    mail.outbox.clear()

    result = ingest(reply_body(awaiting, "Pat Primary <pat@example.org>", "PC-12."))

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY
    awaiting.refresh_from_db()
    assert awaiting.state == S.AWAITING_INFO
    assert not awaiting.messages.filter(body__contains="PC-12").exists()
    assert mail.outbox == []


def test_finding_forged_expert_reply_does_not_reopen_a_resolved_ticket(world, ingest, committed):
    ticket = committed(lambda: th.resolved(world))

    result = ingest(reply_body(ticket, "pat@example.org", "Still broken."))

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED


def test_a_reply_to_the_message_id_we_sent_to_that_address_is_verified(world, ingest, awaiting):
    question = OutboundRecipient.objects.get(
        email__kind="info_requested", address="pat@example.org"
    )

    result = ingest(
        reply_body(
            awaiting, "Pat Primary <Pat@Example.ORG>", "PC-12.", In_Reply_To=question.message_id
        )
    )

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert result.inbound.sender_proof == SenderProof.REPLY
    awaiting.refresh_from_db()
    assert awaiting.state == S.IN_PROGRESS
    assert awaiting.messages.filter(author=world.pat.user, body="PC-12.").exists()


def test_finding_reply_with_a_message_id_sent_to_someone_else_is_not_verified(
    world, ingest, awaiting
):
    """Alice, the form's secondary contact, got her own copy of the question: its Message-ID
    proves Alice, never Pat."""
    alices = OutboundRecipient.objects.get(
        email__kind="info_requested", address="alice@example.org"
    )

    result = ingest(
        reply_body(awaiting, "pat@example.org", "PC-12.", In_Reply_To=alices.message_id)
    )

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY
    awaiting.refresh_from_db()
    assert awaiting.state == S.AWAITING_INFO


def test_finding_thread_message_id_quoted_to_everyone_proves_no_one(world, ingest, awaiting):
    """Every later email about a ticket names the thread's Message-ID in References, to every
    recipient: it finds the ticket, but proves nothing."""
    root = OutboundEmail.objects.filter(ticket=awaiting).order_by("created_at", "id").first()

    result = ingest(reply_body(awaiting, "pat@example.org", "PC-12.", References=root.message_id))

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY


def test_finding_one_recipients_message_id_is_never_sent_to_another(world, awaiting):
    """Alice's copy of each email threads under Alice's own copy of the first, never Pat's."""
    pats = set(
        OutboundRecipient.objects.filter(address="pat@example.org").values_list(
            "message_id", flat=True
        )
    )
    to_alice = [m for m in mail.outbox if m.to == ["alice@example.org"]]
    assert len(to_alice) >= 2  # the acknowledgement and the question
    for message in to_alice:
        headers = message.message()
        quoted = {headers["Message-ID"], headers["In-Reply-To"], headers["References"]}
        assert not quoted & pats


def test_message_ids_are_one_per_recipient_and_unguessable(world, awaiting):
    question = OutboundEmail.objects.get(kind="info_requested")
    ids = [c.message_id for c in question.copies.all()]

    assert len(ids) == len(set(ids)) == 2
    assert question.message_id not in ids
    for message_id in ids:
        random_part = message_id.strip("<>").split("@")[0].rsplit(".", 1)[-1]
        assert len(random_part) >= 24  # 144 random bits, url-safe base64


def test_finding_staff_address_is_not_a_participant_on_a_ticket_they_cannot_open(
    world, ingest, committed
):
    """MIS sees only what reached MIS: even a proven reply from Mike is not taken on a ticket
    the help desk never escalated."""
    ticket = committed(lambda: th.in_progress(world))
    proof = message_id_sent_to("mike@example.org")

    result = ingest(reply_body(ticket, "mike@example.org", "Closing this.", In_Reply_To=proof))

    assert result.inbound.quarantine_reason == QuarantineReason.NOT_PARTICIPANT
    assert not ticket.messages.exists()


def test_a_proven_mis_reply_on_a_ticket_with_mis_is_theirs(world, ingest, committed):
    ticket = committed(lambda: th.with_mis(world))
    to_mike = OutboundRecipient.objects.filter(address="mike@example.org").first()

    result = ingest(
        reply_body(ticket, "mike@example.org", "Fixed in CCTS.", In_Reply_To=to_mike.message_id)
    )

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert ticket.messages.get().author == world.mike


def test_an_unproven_follow_up_that_changes_nothing_is_added_unattributed(world, ingest, committed):
    ticket = committed(lambda: th.in_progress(world))

    result = ingest(reply_body(ticket, "Pat Primary <pat@example.org>", "It happens again."))

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    message = ticket.messages.get()
    assert message.author is None  # not stored as Pat's
    assert message.author_label == "Pat Primary <pat@example.org> (sender not verified)"
    event = ticket.events.filter(kind="email_received").latest("at")
    assert event.data["sender_verified"] is False
    assert "Sender not verified" in event.note


def test_a_new_report_from_outlook_still_makes_a_ticket_marked_unverified(world, ingest, client):
    result = ingest(raw_mail('"Primary, Pat" <pat@example.org>'))

    assert result.outcome == Outcome.TICKET_CREATED
    assert result.inbound.sender_verified is False
    event = result.ticket.events.get(kind="email_received")
    assert event.data["sender_verified"] is False
    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[result.ticket.pk])).content.decode()
    assert '<span class="badge warn">Sender not verified</span>' in page


def test_the_ticket_page_says_when_the_sender_was_verified(world, ingest, client, settings):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]
    raw = raw_mail(
        "pat@example.org", Authentication_Results=f"{TRUSTED}; dmarc=pass header.from=example.org"
    )
    ticket = ingest(raw).ticket

    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    assert '<span class="badge ok">Sender verified</span>' in page
    assert "Sender not verified" not in page


def test_the_help_desk_vouches_for_a_held_reply_by_releasing_it(world, ingest, awaiting):
    held = ingest(reply_body(awaiting, "pat@example.org", "PC-12.")).inbound

    intake.release(held, by=Actor.of(world.hannah), note="Pat confirmed by phone.")

    awaiting.refresh_from_db()
    assert awaiting.state == S.IN_PROGRESS
    assert awaiting.messages.filter(author=world.pat.user, body="PC-12.").exists()
    held.refresh_from_db()
    assert (held.outcome, held.sender_proof) == (Outcome.RELEASED, SenderProof.HELP_DESK)
    audit = AuditEvent.objects.get(kind=AuditKind.MAIL_RELEASED)
    assert audit.actor == world.hannah
    assert audit.before["quarantine_reason"] == QuarantineReason.UNVERIFIED_REPLY


# --- Sending a copy per recipient, retried copy by copy -------------------------------------------


class RefusesAliceOnce(LocmemBackend):
    refused = False

    def send_messages(self, messages):
        if messages[0].to == ["alice@example.org"] and not RefusesAliceOnce.refused:
            RefusesAliceOnce.refused = True
            raise smtplib.SMTPRecipientsRefused({"alice@example.org": (451, b"try later")})
        return super().send_messages(messages)


@pytest.mark.django_db
def test_a_retry_sends_only_the_copies_not_sent(settings, mailoutbox):
    settings.EMAIL_BACKEND = "tests.helpdesk.mail.test_forged_senders.RefusesAliceOnce"
    RefusesAliceOnce.refused = False
    row = emails.queue(
        "access_review",
        to=["pat@example.org", "alice@example.org", "alex@example.org"],
        key="test:retry",
        context={"campaign": {"name": "R", "deadline": timezone.now()}, "pending": 1},
    )

    assert emails.deliver(row.pk) == "pending"  # Pat's copy went; Alice's was refused
    assert emails.deliver(row.pk) == "sent"

    assert sorted(m.to[0] for m in mailoutbox) == [
        "alex@example.org",
        "alice@example.org",
        "pat@example.org",
    ]
    assert all(c.sent_at for c in row.copies.all())


def test_a_reply_quoting_only_its_copys_message_id_finds_the_ticket(world, ingest, awaiting):
    """Outlook keeps In-Reply-To even when the subject loses the tracking number."""
    question = OutboundRecipient.objects.get(
        email__kind="info_requested", address="pat@example.org"
    )
    raw = reply_body(awaiting, "pat@example.org", "PC-12.", In_Reply_To=question.message_id)
    raw = raw.replace(f"RE: [{awaiting.tracking_number}] Question".encode(), b"RE: Question")

    result = ingest(raw)

    assert (result.outcome, result.ticket) == (Outcome.FOLLOWUP_ADDED, awaiting)


def test_the_admin_shows_who_got_a_copy_but_never_its_message_id(client, world, awaiting):
    question = OutboundEmail.objects.get(kind="info_requested")
    client.force_login(world.ada)

    page = client.get(reverse("admin:helpdesk_outboundemail_change", args=[question.pk]))

    text = page.content.decode()
    assert "alice@example.org" in text
    for copy in question.copies.all():
        assert copy.message_id.strip("<>") not in text


def test_a_copy_that_never_left_proves_no_one(world, ingest, committed):
    """Its Message-ID was never in anyone's mailbox: quoting it is a guess, or a leak."""
    ticket = committed(lambda: th.awaiting_info(world))
    waiting = emails.queue(
        "access_review",
        to=["pat@example.org"],
        key="test:never-sent",
        context={"campaign": {"name": "R", "deadline": timezone.now()}, "pending": 1},
    )  # inside the test's transaction: its send task waits for a commit that never comes
    unsent = waiting.copies.get().message_id

    result = ingest(reply_body(ticket, "pat@example.org", "PC-12.", In_Reply_To=unsent))

    assert result.inbound.quarantine_reason == QuarantineReason.UNVERIFIED_REPLY


def test_the_quarantine_shows_why_a_sender_was_held(world, ingest, client, awaiting):
    ingest(raw_mail('"pat@example.org"@evil.example'))
    held = ingest(reply_body(awaiting, "pat@example.org", "PC-12.")).inbound
    client.force_login(world.hannah)

    listing = client.get(reverse("inbound_list")).content.decode()
    detail = client.get(reverse("inbound_detail", args=[held.pk])).content.decode()

    assert "The From header can be read as more than one sender" in listing
    assert "A reply that would speak for someone, sender not proven" in listing
    assert '<span class="badge warn">Sender not verified</span>' in detail
    assert "answer the question asked and move the ticket back to work" in detail
