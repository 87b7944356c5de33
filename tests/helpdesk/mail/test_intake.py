"""The intake's rules, end to end through ``intake.ingest``: who may submit, threads, loops,
duplicates, attachments, failures and the help desk's decisions on the quarantine."""

from datetime import timedelta
from email.utils import parseaddr

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from escalation.workflow import Priority
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.mail import handlers, intake
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    InboundMessage,
    InboundStatus,
    OutboundEmail,
    Outcome,
    PersonEmail,
    QuarantineReason,
    Ticket,
    TicketMessage,
)
from tests.factories import AbsenceFactory
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.mail.messages import FORM, email_bytes
from tests.outgoing_mail import assert_ours, message_id_sent_to

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200


# --- Who may submit -------------------------------------------------------------------------------


def test_a_form_from_the_primary_becomes_a_submitted_ticket(world, ingest, mailoutbox):
    raw = email_bytes(message_id="<form-1@example.org>")

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert result.as_json() == {
        "message_id": "<form-1@example.org>",
        "outcome": "ticket_created",
        "ticket": ticket.tracking_number,
    }
    assert ticket.state == S.SUBMITTED
    assert ticket.source == "email"
    assert ticket.office == world.office
    assert ticket.local_expert == world.pat
    assert (ticket.system, ticket.who_affected, ticket.can_duplicate) == (
        "ccms",
        "some_coworkers",
        True,
    )
    assert ticket.secondary_email == "alice@example.org"
    assert "sanction on case 4411" in ticket.description
    assert ticket.incomplete_fields == []
    stored = InboundMessage.objects.get(pk=result.inbound.pk)
    assert stored.raw_bytes == raw
    assert stored.status == InboundStatus.PROCESSED
    assert stored.ticket == ticket
    # One copy each to the expert and the form's secondary contact, each its own Message-ID.
    assert sorted(m.to[0] for m in mailoutbox) == ["alice@example.org", "pat@example.org"]
    ack = next(m for m in mailoutbox if m.to == ["pat@example.org"])
    assert ticket.tracking_number in ack.subject
    assert_ours(ack, auto_replied=True, in_reply_to="<form-1@example.org>")
    assert OutboundEmail.objects.get(kind="acknowledgement").auto_reply_to == "pat@example.org"


def test_the_alternate_may_submit_from_any_of_their_addresses_in_any_case(world, ingest):
    PersonEmail.objects.create(person=world.alex, address="Alex.Alternate@Home.Example")

    result = ingest(email_bytes(sender="ALEX.ALTERNATE@home.example"))

    assert result.outcome == Outcome.TICKET_CREATED
    assert result.ticket.local_expert == world.alex


def test_a_report_missing_fields_is_a_ticket_marked_incomplete_and_the_sender_is_asked(
    world, ingest, mailoutbox
):
    body = "CCTS will not let anyone in since this morning.\n\nSystem: CCTS\n"

    result = ingest(email_bytes(body=body, subject="CCTS down"))

    ticket = result.ticket
    assert ticket.state == S.SUBMITTED
    assert ticket.incomplete_fields == [
        "date and time the problem occurred",
        "can you duplicate the problem?",
        "who is experiencing the problem?",
    ]
    assert ticket.contact_email == "pat@example.org"  # the sender's own details fill the contact
    [ack] = mailoutbox
    assert "date and time the problem occurred" in ack.body
    assert "who is experiencing the problem?" in ack.body


def test_someone_not_a_local_expert_is_quarantined_and_told_who_their_expert_is(
    world, ingest, mailoutbox
):
    raw = email_bytes(sender="Alice Agency <alice@example.org>", message_id="<alice-1@example.org>")
    result = ingest(raw)

    assert result.outcome == Outcome.QUARANTINED
    assert result.ticket is None
    assert result.inbound.quarantine_reason == QuarantineReason.NOT_LOCAL_EXPERT
    assert not Ticket.objects.exists()
    [reply] = mailoutbox
    assert reply.to == ["alice@example.org"]
    assert "Pat Primary <pat@example.org>" in reply.body
    assert "Alex Alternate" in reply.body
    assert_ours(reply, auto_replied=True, in_reply_to="<alice-1@example.org>")
    assert OutboundEmail.objects.get().auto_reply_to == "alice@example.org"  # the sender's count


def test_with_both_local_experts_away_the_sender_is_not_sent_to_them(world, ingest, mailoutbox):
    """Sending an agency user to two absent experts would leave the problem with nobody: the
    reply says the help desk reads it, and the quarantine tells the desk why to release it."""
    for expert in (world.pat, world.alex):
        AbsenceFactory(person=expert)  # covering now

    result = ingest(email_bytes(sender="Alice Agency <alice@example.org>"))

    assert result.inbound.quarantine_reason == QuarantineReason.NOT_LOCAL_EXPERT
    assert "Neither local expert of their office can act now" in result.inbound.detail
    [reply] = mailoutbox
    assert "both away" in reply.body
    assert "Pat Primary" not in reply.body
    assert "take your problem to your office's local expert" not in reply.body


def test_with_the_primary_away_the_sender_is_sent_to_the_alternate_first(world, ingest, mailoutbox):
    AbsenceFactory(person=world.pat)

    result = ingest(email_bytes(sender="Alice Agency <alice@example.org>"))

    assert "can act now" not in result.inbound.detail
    [reply] = mailoutbox
    assert "both away" not in reply.body
    assert reply.body.index("Alex Alternate") < reply.body.index("Pat Primary")


def test_a_stranger_gets_the_reply_without_names(world, ingest, mailoutbox):
    result = ingest(email_bytes(sender="someone@elsewhere.example"))

    assert result.inbound.quarantine_reason == QuarantineReason.NOT_LOCAL_EXPERT
    [reply] = mailoutbox
    assert "your supervisor does" in reply.body
    assert "Pat" not in reply.body


def test_automatic_replies_per_sender_are_limited_per_day(world, ingest, mailoutbox, settings):
    settings.MAIL_AUTO_REPLIES_PER_DAY = 2
    for _ in range(4):
        ingest(email_bytes(sender="alice@example.org"))

    assert len(mailoutbox) == 2
    assert InboundMessage.objects.filter(outcome=Outcome.QUARANTINED).count() == 4


def test_a_local_expert_without_a_sign_in_is_held_for_release(world, ingest):
    world.pat.user = None
    world.pat.save()

    result = ingest(email_bytes())

    assert result.inbound.quarantine_reason == QuarantineReason.NO_SIGN_IN


# --- No loops (RFC 3834) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto-Submitted": "auto-replied"},
        {"Auto-Submitted": "auto-generated; owner-email=x@example.org"},
        {"Precedence": "bulk"},
        {"Precedence": "junk"},
        {"Precedence": "list"},
        {"List-Id": "<ccap-field.lists.example>"},
        {"Return-Path": "<>"},
        {"X-Loop": "ccap-helpdesk@localhost"},
    ],
)
def test_automatic_mail_is_stored_and_never_answered(world, ingest, mailoutbox, headers):
    result = ingest(email_bytes(sender="alice@example.org", headers=headers))

    assert result.outcome == Outcome.AUTO_REPLY_IGNORED
    assert mailoutbox == []
    assert not Ticket.objects.exists()
    assert InboundMessage.objects.get().raw_bytes  # kept all the same


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.org", "postmaster@example.org"])
def test_bounces_from_mail_systems_are_ignored(world, ingest, mailoutbox, sender):
    result = ingest(email_bytes(sender=sender))

    assert result.outcome == Outcome.AUTO_REPLY_IGNORED
    assert mailoutbox == []


def test_auto_submitted_no_is_a_person(world, ingest):
    result = ingest(email_bytes(headers={"Auto-Submitted": "no"}))

    assert result.outcome == Outcome.TICKET_CREATED


def test_a_bounce_of_our_email_is_linked_to_its_ticket_but_changes_nothing(world, ingest):
    ticket = ingest(email_bytes()).ticket
    sent = OutboundEmail.objects.get(ticket=ticket)
    bounce = email_bytes(
        sender="MAILER-DAEMON@mx.example.org",
        subject="Undelivered Mail Returned to Sender",
        body="This is the mail system.",
        headers={"In-Reply-To": sent.message_id},
    )

    result = ingest(bounce)

    assert result.outcome == Outcome.AUTO_REPLY_IGNORED
    assert result.ticket == ticket
    assert not ticket.messages.exists()


# --- Spoofing -------------------------------------------------------------------------------------


def test_dmarc_failure_from_our_own_server_quarantines(world, ingest, mailoutbox, settings):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = ["mx.illinois.example"]
    headers = {
        "Authentication-Results": "mx.illinois.example; spf=fail; dmarc=fail header.from=x.org"
    }

    result = ingest(email_bytes(headers=headers))

    assert result.inbound.quarantine_reason == QuarantineReason.SPOOFED
    assert mailoutbox == []  # a forged sender must not get mail from us
    assert not Ticket.objects.exists()


def test_authentication_results_from_anyone_else_are_ignored(world, ingest, settings):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = ["mx.illinois.example"]
    headers = {"Authentication-Results": "evil.example; dmarc=fail"}

    assert ingest(email_bytes(headers=headers)).outcome == Outcome.TICKET_CREATED


# --- Duplicates -----------------------------------------------------------------------------------


def test_the_same_message_twice_creates_one_ticket(world, ingest):
    raw = email_bytes(message_id="<twice@example.org>")

    first, second = ingest(raw), ingest(raw)

    assert second.outcome == Outcome.DUPLICATE
    assert second.ticket == first.ticket
    assert second.inbound.duplicate_of == first.inbound
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.count() == 2


def test_the_same_message_by_another_route_is_a_duplicate(world, ingest):
    raw = email_bytes(message_id="<routes@example.org>")
    ingest(raw)

    again = ingest(b"Received: from relay2.example.org by mx; Mon, 23 Nov 2026\r\n" + raw)

    assert again.outcome == Outcome.DUPLICATE


def test_same_message_id_different_content_is_kept_and_flagged(world, ingest):
    ingest(email_bytes(message_id="<reused@example.org>"))

    other = ingest(email_bytes(message_id="<reused@example.org>", body="Something else."))

    assert other.outcome == Outcome.QUARANTINED
    assert other.inbound.quarantine_reason == QuarantineReason.MESSAGE_ID_CONFLICT
    assert Ticket.objects.count() == 1


def test_without_message_id_the_content_hash_finds_duplicates(world, ingest):
    raw = email_bytes(message_id=None)

    first, second = ingest(raw), ingest(raw)

    assert first.outcome == Outcome.TICKET_CREATED
    assert second.outcome == Outcome.DUPLICATE
    assert first.as_json()["message_id"] is None


# --- Threads --------------------------------------------------------------------------------------


def _reply(
    ticket, *, sender="Pat Primary <pat@example.org>", body="More detail.", proven=True, **kw
):
    """A reply on the ticket's thread; ``proven``: it answers a message we sent to the sender
    (its In-Reply-To), as a reply from a mail program does."""
    quoted = f"{body}\n\nOn Mon, Nov 23, 2026 at 9:00 AM CCAP Help Desk wrote:\n> Old text\n"
    if proven:
        proof = message_id_sent_to(parseaddr(sender)[1])
        kw["headers"] = {"In-Reply-To": proof, "References": proof, **kw.get("headers", {})}
    return email_bytes(
        sender=sender, subject=f"RE: [{ticket.tracking_number}] Received", body=quoted, **kw
    )


def test_a_reply_with_the_tracking_number_is_a_follow_up_with_the_quote_trimmed(world, ingest):
    ticket = ingest(email_bytes()).ticket

    result = ingest(_reply(ticket, body="It happens on every case."))

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert result.ticket == ticket
    message = ticket.messages.get()
    assert message.body == "It happens on every case."
    assert message.author == world.pat.user
    assert message.source == "email"


def test_a_reply_found_by_in_reply_to(world, ingest):
    ticket = ingest(email_bytes()).ticket
    sent = OutboundEmail.objects.get(ticket=ticket)
    reply = email_bytes(
        subject="Re: your message", body="Thanks!", headers={"In-Reply-To": sent.message_id}
    )

    result = ingest(reply)

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert result.ticket == ticket


def test_a_reply_from_outside_the_ticket_is_quarantined_not_attached(world, ingest):
    ticket = ingest(email_bytes()).ticket

    result = ingest(_reply(ticket, sender="otto@example.org"))

    assert result.inbound.quarantine_reason == QuarantineReason.NOT_PARTICIPANT
    assert not ticket.messages.exists()


def test_the_secondary_contact_may_reply_without_a_sign_in(world, ingest):
    ticket = ingest(email_bytes()).ticket  # the form names alice@example.org as secondary
    world.alice.user.delete()

    result = ingest(_reply(ticket, sender="Alice Agency <alice@example.org>"))

    message = ticket.messages.get()
    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert message.author is None
    assert message.author_label == "Alice Agency <alice@example.org>"


def test_help_desk_staff_may_reply_by_email(world, ingest):
    ticket = ingest(email_bytes()).ticket

    ingest(_reply(ticket, sender="hannah@example.org", body="Looking into it."))

    assert ticket.messages.get().author == world.hannah


def test_the_local_experts_reply_resumes_a_ticket_awaiting_information(world, ingest):
    ticket = th.awaiting_info(world)

    ingest(_reply(ticket, body="The case number is 4411."))

    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS
    assert ticket.messages.filter(body="The case number is 4411.").exists()


def test_the_local_experts_reply_reopens_a_resolved_ticket(world, ingest):
    ticket = th.resolved(world)

    ingest(_reply(ticket, body="Still broken."))

    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS


def test_a_reply_to_a_ticket_closed_long_ago_starts_a_new_linked_ticket(world, ingest):
    with time_machine.travel(timezone.now() - timedelta(days=30)):
        old = th.closed(world)

    result = ingest(_reply(old, body="It is back."))

    assert result.outcome == Outcome.TICKET_CREATED
    new = result.ticket
    assert new != old
    assert new.state == S.SUBMITTED
    assert old in new.related.all()
    old.refresh_from_db()
    assert old.state == S.CLOSED
    assert not old.messages.filter(body="It is back.").exists()


def test_a_reply_to_a_ticket_closed_recently_is_added_to_it(world, ingest):
    old = th.closed(world)

    result = ingest(_reply(old, body="Thanks, all good."))

    assert result.outcome == Outcome.FOLLOWUP_ADDED
    assert result.ticket == old


# --- Attachments ----------------------------------------------------------------------------------


def test_attachments_are_kept_and_refused_ones_noted(world, ingest, settings):
    settings.ATTACHMENT_MAX_BYTES = 10_000
    parts = [
        ("screen shot.png", "image/png", PNG),
        ("evil.pdf", "application/pdf", b"<html><script>alert(1)</script></html>"),
        ("big.pdf", "application/pdf", b"%PDF-1.4\n" + b"0" * 20_000),
    ]

    ticket = ingest(email_bytes(attachments=parts)).ticket

    [kept] = ticket.attachments.all()
    assert (kept.original_name, kept.content_type) == ("screen shot.png", "image/png")
    note = ticket.events.get(kind="email_received").note
    assert "evil.pdf is not a type we accept" in note
    assert "big.pdf (19.5\xa0KB) is larger than the" in note


# --- Quiet imports, failures, handlers, pending ---------------------------------------------------


def test_backlog_mail_is_imported_without_any_reply(world, ingest, mailoutbox):
    result = ingest(email_bytes(), quiet=True)

    assert result.outcome == Outcome.TICKET_CREATED
    assert mailoutbox == []
    assert "No automatic acknowledgement" in result.ticket.events.get(kind="email_received").note


def test_an_error_rolls_back_marks_the_message_failed_and_it_can_be_reprocessed(world, ingest):
    def broken(parsed, inbound, sender):
        raise RuntimeError("handler bug")

    handlers.mail_handlers.register(handlers.MailHandler("broken", broken))
    try:
        result = ingest(email_bytes())
    finally:
        handlers.mail_handlers.unregister("broken")

    inbound = InboundMessage.objects.get()
    assert result.outcome == "failed"
    assert inbound.status == InboundStatus.FAILED
    assert "handler bug" in inbound.error
    assert not Ticket.objects.exists()

    again = intake.reprocess(inbound, by=Actor.system("test"))

    assert again.outcome == Outcome.TICKET_CREATED
    assert AuditEvent.objects.filter(kind=AuditKind.MAIL_REPROCESSED).exists()


def test_only_failed_messages_are_reprocessed(world, ingest):
    result = ingest(email_bytes())

    with pytest.raises(ValidationError):
        intake.reprocess(result.inbound, by=Actor.system("test"))


def test_a_registered_handler_of_a_higher_app_can_claim_a_message(world, ingest):
    handlers.mail_handlers.register(
        handlers.MailHandler(
            "signed forms",
            lambda parsed, inbound, sender: (
                handlers.Handled("filed on SF-2026-00001")
                if "SF-2026-00001" in parsed.subject
                else None
            ),
        )
    )
    try:
        result = ingest(email_bytes(sender="alice@example.org", subject="Signed SF-2026-00001"))
    finally:
        handlers.mail_handlers.unregister("signed forms")

    assert result.outcome == Outcome.HANDLED
    assert result.inbound.detail == "signed forms: filed on SF-2026-00001"


def test_stored_but_unprocessed_messages_are_picked_up(world):
    inbound = intake.store(email_bytes(), source="drop")

    [result] = intake.process_pending()

    assert result.inbound.pk == inbound.pk
    assert result.outcome == Outcome.TICKET_CREATED
    assert intake.process_pending() == []


def test_unreadable_mail_is_quarantined_with_its_reason(world, ingest):
    result = ingest(b"\r\n\r\n")

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.UNREADABLE


# --- Release and discard --------------------------------------------------------------------------


def test_help_desk_releases_a_quarantined_report_into_a_ticket(world, ingest, mailoutbox):
    inbound = ingest(email_bytes(sender="alice@example.org")).inbound

    ticket = intake.release(
        inbound, by=Actor.of(world.hannah), note="Pat is out; Alice may send it."
    ).ticket

    inbound.refresh_from_db()
    assert ticket.state == S.SUBMITTED
    assert ticket.office == world.office
    assert ticket.local_expert == world.pat  # the office's acting expert
    assert inbound.outcome == Outcome.RELEASED
    assert inbound.decided_by == world.hannah
    event = AuditEvent.objects.get(kind=AuditKind.MAIL_RELEASED)
    assert event.actor == world.hannah
    assert event.after["ticket"] == ticket.reference


def test_a_quarantined_reply_is_released_onto_its_ticket(world, ingest):
    ticket = ingest(email_bytes()).ticket
    inbound = ingest(_reply(ticket, sender="otto@example.org", body="Same here.")).inbound

    released = intake.release(inbound, by=Actor.of(world.hannah))

    assert released.ticket == ticket
    assert ticket.messages.get().body == "Same here."


@pytest.mark.parametrize("who", ["pat", "mike"])
def test_only_help_desk_staff_release_or_discard(world, ingest, who):
    inbound = ingest(email_bytes(sender="alice@example.org")).inbound
    user = world.pat.user if who == "pat" else world.mike

    with pytest.raises(PermissionDenied):
        intake.release(inbound, by=Actor.of(user))
    with pytest.raises(PermissionDenied):
        intake.discard(inbound, by=Actor.of(user), reason="spam")


def test_discard_needs_a_reason_and_is_audited(world, ingest):
    inbound = ingest(email_bytes(sender="alice@example.org")).inbound

    with pytest.raises(ValidationError):
        intake.discard(inbound, by=Actor.of(world.hannah), reason="  ")
    intake.discard(inbound, by=Actor.of(world.hannah), reason="Sent to the wrong mailbox.")

    inbound.refresh_from_db()
    assert inbound.outcome == Outcome.DISCARDED
    assert inbound.raw_bytes
    assert (
        AuditEvent.objects.get(kind=AuditKind.MAIL_DISCARDED).note == "Sent to the wrong mailbox."
    )
    with pytest.raises(ValidationError):
        intake.release(inbound, by=Actor.of(world.hannah))


def test_a_release_with_no_office_known_asks_for_one(world, ingest):
    inbound = ingest(email_bytes(sender="stranger@elsewhere.example")).inbound

    with pytest.raises(ValidationError):
        intake.release(inbound, by=Actor.of(world.hannah))
    ticket = intake.release(inbound, by=Actor.of(world.hannah), office=world.other_office).ticket

    assert ticket is not None
    assert ticket.office == world.other_office


def test_html_only_form_from_outlook(world, ingest):
    html = (
        "<html><body><p class=MsoNormal>Please see below.</p><table>"
        "<tr><td><p class=MsoNormal><b>System:</b></p></td><td><p>InfoView</p></td></tr>"
        "<tr><td>Can you duplicate the problem?</td><td>No</td></tr>"
        "<tr><td>Who is experiencing the problem?</td><td>My entire team</td></tr>"
        "<tr><td>Date &amp; Time the problem occurred:</td><td>11/19/2026 2:15 PM</td></tr>"
        "<tr><td>Description</td><td><p>Reports time out.</p><p>Every report.</p></td></tr>"
        "</table></body></html>"
    )
    raw = email_bytes(body="", html=html)

    ticket = ingest(raw).ticket

    assert (ticket.system, ticket.can_duplicate, ticket.who_affected) == (
        "infoview",
        False,
        "entire_team",
    )
    assert ticket.description == "Reports time out.\n\nEvery report."
    assert ticket.incomplete_fields == []


def test_messages_keep_the_form_text_for_staff(world, ingest):
    ticket = ingest(email_bytes(body=FORM)).ticket

    assert not TicketMessage.objects.filter(ticket=ticket).exists()
    assert ticket.events.filter(kind="email_received").exists()


def test_the_experts_reply_with_the_missing_fields_completes_the_report(world, ingest):
    ticket = ingest(email_bytes(body="CCTS is down.\n\nSystem: CCTS\n", subject="CCTS down")).ticket
    assert ticket.priority == Priority.LOW  # "who is affected" unknown: the default guess
    answer = (
        "Here you go.\n\nDate & Time the problem occurred: 11/20/2026 9:00 AM\n"
        "Can you duplicate the problem? No\n"
        "Who is experiencing the problem? My entire CCR&R/Site\n"
    )

    result = ingest(_reply(ticket, body=answer))

    ticket.refresh_from_db()
    assert ticket.incomplete_fields == []
    assert ticket.can_duplicate is False
    assert ticket.who_affected == "entire_agency"
    assert ticket.priority == Priority.CRITICAL
    assert "Form completed" in result.inbound.detail
    assert ticket.events.filter(kind="form_completed").exists()


def test_a_reply_does_not_overwrite_fields_that_were_not_missing(world, ingest):
    ticket = ingest(email_bytes()).ticket

    ingest(_reply(ticket, body="Who is experiencing the problem? Just me\nSystem: IVR"))

    ticket.refresh_from_db()
    assert (ticket.who_affected, ticket.system) == ("some_coworkers", "ccms")
