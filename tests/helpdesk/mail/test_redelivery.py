"""Re-delivery: the same message arriving again, by whatever route and in whatever line endings,
is a duplicate of what was received (nothing created, linked to the first), before any other
verdict; a message really changed under a Message-ID already seen is kept and flagged."""

import pytest

from helpdesk.mail import intake
from helpdesk.mail.fingerprint import content_fingerprint
from helpdesk.models import InboundMessage, OutboundEmail, Outcome, QuarantineReason, Ticket
from tests.helpdesk.mail.messages import email_bytes

RELAY_HEADERS = (
    b"Return-Path: <pat@example.org>\r\n"
    b"Delivered-To: ccap-helpdesk@localhost\r\n"
    b"X-Original-To: ccap-helpdesk@localhost\r\n"
    b"Received: from mx2.example.net (mx2.example.net [192.0.2.7])\r\n"
    b"\tby mail.localhost with ESMTPS id 4Q; Thu, 3 Dec 2026 07:00:01 +0000\r\n"
    b"Authentication-Results: mail.localhost; dmarc=none header.from=example.org\r\n"
    b"ARC-Seal: i=1; a=rsa-sha256; d=example.net; s=arc; cv=none; b=AAAA\r\n"
    b"DKIM-Signature: v=1; a=rsa-sha256; d=example.net; s=relay; b=BBBB\r\n"
    b"X-Spam-Status: No, score=-0.1\r\n"
)


def crlf(raw: bytes) -> bytes:
    """As it travels over SMTP (``email_bytes`` writes LF, as a Maildir holds it)."""
    return lf(raw).replace(b"\n", b"\r\n")


def lf(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\n")


def cr(raw: bytes) -> bytes:
    return raw.replace(b"\r\n", b"\r")


@pytest.mark.parametrize(
    "again",
    [
        pytest.param(lf, id="lf"),
        pytest.param(cr, id="cr"),
        pytest.param(lambda raw: RELAY_HEADERS + raw, id="relay-headers"),
        pytest.param(lambda raw: lf(RELAY_HEADERS + raw) + b"\n\n", id="relay-headers-lf"),
        pytest.param(
            lambda raw: b"From pat@example.org Thu Dec  3 07:00:00 2026\n" + lf(raw), id="mbox"
        ),
    ],
)
def test_a_redelivered_report_in_any_line_ending_or_route_is_a_duplicate(world, ingest, again):
    raw = crlf(email_bytes(message_id="<redelivered@example.org>"))
    first = ingest(raw)
    outbound = OutboundEmail.objects.count()

    second = ingest(again(raw))

    assert first.outcome == Outcome.TICKET_CREATED
    assert second.outcome == Outcome.DUPLICATE
    assert second.ticket == first.ticket
    assert second.inbound.duplicate_of == first.inbound
    assert Ticket.objects.count() == 1
    assert OutboundEmail.objects.count() == outbound  # nobody is told twice
    assert InboundMessage.objects.get(pk=second.inbound.pk).raw_bytes == again(raw)


def test_a_redelivered_report_without_message_id_in_other_line_endings_is_a_duplicate(
    world, ingest
):
    raw = crlf(email_bytes(message_id=None))
    first = ingest(raw)

    second = ingest(RELAY_HEADERS + lf(raw))

    assert second.outcome == Outcome.DUPLICATE
    assert second.inbound.duplicate_of == first.inbound
    assert Ticket.objects.count() == 1


def test_an_unreadable_message_redelivered_is_a_duplicate_not_unreadable_again(world, ingest):
    raw = b"\r\n\r\n"  # nothing in it: unreadable
    first = ingest(raw)

    second = ingest(lf(raw))  # as a Maildir holds it: unreadable too, but only a copy

    assert first.inbound.quarantine_reason == QuarantineReason.UNREADABLE
    assert intake.parse_message(lf(raw)).unreadable
    assert second.outcome == Outcome.DUPLICATE
    assert second.inbound.quarantine_reason == ""
    assert second.inbound.duplicate_of == first.inbound


def test_a_third_delivery_matching_the_second_of_two_different_ones_is_its_duplicate(world, ingest):
    original = crlf(email_bytes(message_id="<thrice@example.org>"))
    changed = crlf(email_bytes(message_id="<thrice@example.org>", body="Something else."))
    first, second = ingest(original), ingest(changed)

    third = ingest(RELAY_HEADERS + lf(changed))

    assert second.inbound.quarantine_reason == QuarantineReason.MESSAGE_ID_CONFLICT
    assert third.outcome == Outcome.DUPLICATE
    assert third.inbound.duplicate_of == second.inbound
    assert first.inbound.pk < second.inbound.pk
    assert Ticket.objects.count() == 1


def test_same_message_id_and_a_different_body_is_kept_and_flagged_in_any_line_ending(world, ingest):
    first = ingest(crlf(email_bytes(message_id="<changed@example.org>")))

    other = ingest(email_bytes(message_id="<changed@example.org>", body="Another body."))

    assert other.outcome == Outcome.QUARANTINED
    assert other.inbound.quarantine_reason == QuarantineReason.MESSAGE_ID_CONFLICT
    assert other.inbound.duplicate_of == first.inbound
    assert Ticket.objects.count() == 1


def test_same_message_id_and_a_different_subject_is_not_a_duplicate(world, ingest):
    raw = email_bytes(message_id="<subject@example.org>")
    ingest(raw)

    other = ingest(raw.replace(b"Subject: CCMS:", b"Subject: CCMS URGENT:"))

    assert other.inbound.quarantine_reason == QuarantineReason.MESSAGE_ID_CONFLICT


def test_a_row_stored_before_fingerprints_is_compared_by_its_raw_copy(world, ingest):
    raw = crlf(email_bytes(message_id="<before@example.org>"))
    first = ingest(raw)
    InboundMessage.objects.filter(pk=first.inbound.pk).update(normalised_hash="")

    second = ingest(RELAY_HEADERS + lf(raw))

    assert second.outcome == Outcome.DUPLICATE
    assert second.inbound.duplicate_of == first.inbound
    filled = InboundMessage.objects.get(pk=first.inbound.pk).normalised_hash
    assert filled == content_fingerprint(raw)


def test_the_fingerprint_keeps_what_a_person_wrote():
    raw = lf(email_bytes(message_id="<fp@example.org>"))
    fingerprint = content_fingerprint(raw)

    assert content_fingerprint(RELAY_HEADERS + crlf(raw)) == fingerprint
    for changed in (
        raw.replace(b"From: Pat", b"From: Pet"),
        raw.replace(b"Date: ", b"Date: Mon, 1 Jan 2024 00:00:00 +0000\nX-Old-Date: "),
        raw.replace(b"sanction on case 4411", b"sanction on case 4412"),
        raw.replace(b"To: ", b"Cc: boss@example.org\nTo: "),
    ):
        assert content_fingerprint(changed) != fingerprint
