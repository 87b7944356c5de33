"""Outgoing mail in tests: what every email we send carries, checked the same way for each
kind (tickets, automatic replies, notices, welcome packets, security forms, access), and mail
servers that fail in the ways a real one does."""

import smtplib
import threading
from datetime import date
from types import SimpleNamespace

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend

from helpdesk import emails
from helpdesk.models import OutboundEmail, OutboundRecipient, OutboundStatus

CAMPAIGN = SimpleNamespace(pk=7, name="Review 2026", deadline=date(2026, 3, 31))
KEY = "review:7:started:agency:1"
DIES_ONCE = "tests.outgoing_mail.DiesOnceBackend"
REFUSING = "tests.outgoing_mail.RefusingBackend"


def assert_ours(
    message: EmailMessage, *, auto_replied: bool = False, in_reply_to: str = ""
) -> None:
    """Recorded and sent once under its Message-ID (on our domain), marked automatic (RFC 3834)
    with our X-Loop, replies to the help desk mailbox, threaded under ``in_reply_to``."""
    headers = message.message()  # as it goes on the wire
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">")
    assert headers["Message-ID"].endswith(f"@{domain}>"), headers["Message-ID"]
    # One copy per recipient, under the copy's own Message-ID.
    copy = OutboundRecipient.objects.select_related("email").get(message_id=headers["Message-ID"])
    assert [copy.address] == [a.lower() for a in message.to]
    assert copy.sent_at is not None
    row = copy.email
    assert (row.status, row.attempts) == (OutboundStatus.SENT, 1)
    assert headers["Auto-Submitted"] == ("auto-replied" if auto_replied else "auto-generated")
    assert headers["X-Loop"] == settings.HELPDESK_MAILBOX
    assert headers["Reply-To"] == settings.HELPDESK_MAILBOX
    # Threaded under an email of ours: under the copy this recipient had of it.
    parent = OutboundRecipient.objects.filter(
        email__message_id=in_reply_to, address=copy.address
    ).first()
    expected = parent.message_id if parent else in_reply_to
    assert headers["In-Reply-To"] == (expected or None)
    assert headers["References"] == (expected or None)


def message_id_sent_to(address: str) -> str:
    """The Message-ID of a copy we sent to ``address``: what a reply from that address quotes
    in In-Reply-To to prove its sender (``emails.was_sent_to``)."""
    key = f"test:proof:{address.lower()}"
    row = queue(key=key, to=(address,)) or OutboundEmail.objects.get(
        key=emails.send_key(key, [address])
    )
    emails.deliver(row.pk)  # sent now: in a test's transaction its task waits for no commit
    return row.copies.get().message_id


def queue(key: str = KEY, to: tuple[str, ...] = ("pat@example.org",), **options):
    """A message as a feature would queue it. Inside a test's transaction nothing commits, so
    its send task waits: call ``emails.deliver`` to run it."""
    context = {"campaign": CAMPAIGN, "pending": 3}
    return emails.queue("access_review", to=list(to), key=key, context=context, **options)


class Killed(BaseException):
    """The worker dying in the middle of sending: nothing after it in the task runs, and its
    transaction rolls back (a SIGKILL leaves no exception, but the database does the same)."""


class DiesOnceBackend(LocmemBackend):
    """The first send kills whoever makes it; later sends go to ``mail.outbox``."""

    lock = threading.Lock()
    died = False

    def send_messages(self, messages):
        with DiesOnceBackend.lock:
            first, DiesOnceBackend.died = not DiesOnceBackend.died, True
        if first:
            raise Killed
        return super().send_messages(messages)


class RefusingBackend(BaseEmailBackend):
    """A mail server that hangs up on every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
