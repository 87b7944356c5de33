"""The one outgoing-mail path. Every email the system sends is composed, recorded and sent
here, and nowhere else: tickets, the mail intake's automatic replies, notices, welcome packets,
security forms and access all call ``queue``.

**Composing.** ``queue(template, to=..., key=..., context=...)`` renders
``templates/emails/<template>-subject.txt`` (collapsed to one line, after an optional prefix
such as ``[CCAP-2026-000042]``) and ``-body.txt``, gives the message a thread Message-ID on our
domain and each recipient's copy a Message-ID of its own (unguessable: a reply quoting it proves
its sender read that copy, ``was_sent_to``), threads it under ``in_reply_to`` (In-Reply-To and
References: a ticket's first email, as the copy each recipient had of it, or the inbound message
answered), marks it automatic (RFC 3834: ``Auto-Submitted: auto-generated``, or
``auto-replied`` when it answers ``auto_reply_to``'s message; our ``X-Loop``) with
``Reply-To`` the help desk mailbox, adds the caller's headers and attachments, and records the
whole message as one pending ``OutboundEmail`` row, in the caller's transaction.

The feature composes what is particular to it (who hears, the context: a ticket, a notice, a
form) and hands it over as data; this module imports no feature, and a higher app registers
nothing here. It renders when the email is queued, not when it is sent, and keeps what it
rendered on the row: a retry, minutes or hours later, sends exactly the message that was
queued (same text, same Message-ID that replies will quote) with no feature code to call back,
and a message that could never be sent stays readable on its row.

**Sending.** After the commit, the django-q2 task ``deliver(id)`` sends the row's message, one
copy to each recipient (never one message with everyone in To), and records the outcome on
it, in one transaction: a conditional UPDATE claims the row (pending only; on PostgreSQL it
locks the row, so a second run of the same task waits, then finds it sent, or pending again if
the first died; on SQLite it takes the database's write lock), each copy is sent and marked
sent, and the row is marked sent before the commit. A copy that fails leaves the copies sent
before it marked, so the retry sends only the rest. A run killed while sending rolls
back: the row is pending, as if never tried, and the next run sends it. A failure (the mail
server refusing or unreachable, any error) is recorded (``attempts``, ``last_error``) and a
retry is scheduled after ``settings.EMAIL_RETRY_DELAYS[attempt - 1]`` seconds (a one-off
django-q2 schedule, ``lib.background.enqueue_at``); after the last delay the row is
``failed``, kept with its message. ``deliver_overdue``, on the worker's schedule, queues again
any pending row long past due, whose task was lost (a killed worker, the Redis broker, which
does not redeliver): nothing queued is lost.

What cannot be prevented: the mail server accepting a message, then the process dying (or the
database failing) before the commit. The row is still pending and the message leaves again.
SMTP gives no way to ask whether a message was received; this is the one way a message leaves
twice.

**Secrets never stored.** A message may carry a secret (the one-time link of a welcome
packet). The row must not hold it in clear, so the caller names it in ``secrets`` instead:
``{"acknowledge_url": ("procedure link", link.pk)}``. The template renders a random marker in
its place, the row keeps only the marker and what makes it, and ``deliver`` asks the maker the
feature registered in ``secret_makers`` for the secret when the message leaves, inside the
transaction that marks the row sent (a failed send rolls the new secret back). A marker is
unguessable, so text a person typed into the message can never ask for someone else's secret.

**Idempotent.** The row's key is unique: the caller's ``key`` says the purpose, the object and
the event, and the recipients' digest is appended (``send_key``), so queuing the same email
twice (a retried task, a retried batch) records, and sends, one message, while two genuinely
different emails differ in their event. The keys, by purpose (each then ``:<digest>``):

- ``ticket:<id>:<kind>:v<version>``: an email about a ticket, the version being the ticket's
  after the change that caused it (every saved change moves it on); one that carries a message
  (a reply, a question, an answer) adds ``:m<message id>``;
- ``ticket:<id>:sla_breach:<clock>:<flagged at>``: a missed target, when the sweep flagged it;
- ``inbound:<id>:<kind>``: the automatic answer to that inbound message;
- ``notice:<id>:update:<update id>``: a notice published, updated or resolved, per address;
- ``<kind>:person:<id>:<rows digest>``: a welcome packet or a procedure re-sent, for the
  acknowledgement rows it asks for;
- ``form:<id>:<kind>:<saved at>``: a security form issued, reminded, returned or expired, when
  that change was saved (the form's ``updated_at``);
- ``access:<id>:access_request``: a request to its fulfiller (submitted once), and
  ``access:<id>:revocation_overdue``: an overdue revocation (escalated once);
- ``review:<id>:<started|reminder<n>>:agency:<id>``: an access review, to each agency;
- ``agency_report:<agency id>:<YYYY-MM>``: an agency's monthly report, to its local experts,
  once per agency and month whoever they are by then (``queued_to_anyone``);
- ``password_reset:user:<id>:<request key>``: a password reset link, once per request made on
  the reset page (the key is random, made by the page, so a retried task sends it once).
"""

import hashlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from secrets import token_hex, token_urlsafe
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from helpdesk.lib.background import enqueue_at, enqueue_on_commit
from helpdesk.models import OutboundEmail, OutboundRecipient, OutboundStatus, Ticket
from helpdesk.models.outbound import KEY_LENGTH
from helpdesk.registry import Registry

log = logging.getLogger(__name__)
DELIVER = "helpdesk.emails.deliver"
OVERDUE_BATCH = 500  # pending rows queued again per pass of the sweep


@dataclass(frozen=True)
class SecretMaker:
    """Makes a secret a message carries (e.g. a fresh one-time link for the object ``ref``),
    when the message leaves; registered by the feature from its AppConfig.ready."""

    name: str
    make: Callable[[int], str]


secret_makers: Registry[SecretMaker] = Registry(
    "secrets made when mail leaves", key=lambda m: m.name
)


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message, read from the default storage when the message leaves."""

    filename: str
    storage_name: str
    mimetype: str = "application/octet-stream"


# --- Composing ------------------------------------------------------------------------------------


def queue(
    template: str,
    *,
    to: Sequence[str],
    key: str,
    context: Mapping[str, Any],
    subject_prefix: str = "",
    in_reply_to: str = "",
    auto_reply_to: str = "",
    headers: Mapping[str, str] | None = None,
    attachments: Sequence[Attachment] = (),
    secrets: Mapping[str, tuple[str, int]] | None = None,
    ticket: Ticket | None = None,
) -> OutboundEmail | None:
    """Compose one message to ``to`` and record it, to be sent after the commit, one copy per
    address, each under its own unguessable Message-ID (recorded as an ``OutboundRecipient``).
    ``key``: purpose, object and event (module docstring). Returns the new row, or None when
    there is no address or this email was queued before."""
    recipients = unique_addresses(to)
    if not recipients:
        return None
    full_key = send_key(key, recipients)
    markers = {name: token_hex(16) for name in secrets or {}}
    context = {**context, **{name: f"[[{marker}]]" for name, marker in markers.items()}}
    subject, body = _render(template, context, subject_prefix)
    message_id = new_message_id(_idstring(key))
    fields = {
        "ticket": ticket,
        "kind": template,
        "key": full_key,
        "message_id": message_id,
        "recipients": recipients,
        "subject": subject,
        "body": body,
        "headers": _headers(message_id, in_reply_to, auto_reply_to, headers or {}),
        "attachments": [vars(a) for a in attachments],
        "secrets": {markers[name]: list(made) for name, made in (secrets or {}).items()},
        "auto_reply_to": auto_reply_to.lower(),
        "next_attempt_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            row = OutboundEmail.objects.create(**fields)
            OutboundRecipient.objects.bulk_create(
                OutboundRecipient(
                    email=row, address=address.lower(), message_id=new_message_id(_idstring(key))
                )
                for address in recipients
            )
    except IntegrityError:
        if OutboundEmail.objects.filter(key=full_key).exists():
            return None  # queued before (or at this moment) by another run of the same task
        raise
    enqueue_on_commit(DELIVER, row.pk)
    return row


def send_key(key: str, to: Sequence[str]) -> str:
    """The row's unique key: the caller's purpose, object and event, then the recipients."""
    addresses = ",".join(sorted(a.lower() for a in unique_addresses(to)))
    full_key = f"{key}:{hashlib.sha256(addresses.encode()).hexdigest()[:16]}"
    if len(full_key) > KEY_LENGTH:
        raise ValueError(f"Send key too long: {full_key!r}")
    return full_key


def is_queued(key: str, to: Sequence[str]) -> bool:
    """Whether this email (``key`` to ``to``) was queued already, sent or not."""
    return OutboundEmail.objects.filter(key=send_key(key, to)).exists()


def queued_to_anyone(key: str) -> bool:
    """Whether an email of this purpose, object and event (``key``, without the recipients'
    digest) was queued already, to whichever addresses: a report sent once per period stays
    sent when its recipients changed since."""
    return OutboundEmail.objects.filter(key__startswith=f"{key}:").exists()


def new_message_id(idstring: str) -> str:
    """A Message-ID on our domain that nobody can guess: 144 random bits from ``secrets``
    (``make_msgid`` uses the ``random`` module and the time). A reply quoting the one sent to
    an address is that address's proof (``was_sent_to``)."""
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return (
        f"<{idstring}.{token_urlsafe(18)}@{domain}>"
        if idstring
        else f"<{token_urlsafe(18)}@{domain}>"
    )


def was_sent_to(address: str, message_ids: Sequence[str]) -> bool:
    """Whether one of ``message_ids`` (a reply's In-Reply-To and References) is the Message-ID
    of a copy we sent to ``address`` itself (compared without case), and that left (a copy
    still waiting, or never sent, was read by no one). A Message-ID sent to
    someone else proves nothing about this sender, nor does a row's thread Message-ID, which
    later emails quote in References to everyone."""
    if not address or not message_ids:
        return False
    return OutboundRecipient.objects.filter(
        message_id__in=list(message_ids)[:50], address=address.lower(), sent_at__isnull=False
    ).exists()


def keys_quoted_by(message_ids: Sequence[str], *, prefix: str) -> list[str]:
    """The send keys (starting with ``prefix``) of our emails that ``message_ids`` (a reply's
    In-Reply-To and References) name, by their thread Message-ID or any copy's: how a feature
    finds what a reply answers. Says nothing about who sent the reply (``was_sent_to`` does)."""
    ids = list(message_ids)[:50]
    if not ids:
        return []
    quoted = OutboundEmail.objects.filter(
        Q(message_id__in=ids) | Q(copies__message_id__in=ids), key__startswith=prefix
    )
    return list(quoted.values_list("key", flat=True).distinct())


def unique_addresses(addresses: Sequence[str]) -> list[str]:
    """Each address once (compared without case), in order, blanks left out."""
    seen: dict[str, str] = {}
    for address in addresses:
        if address:
            seen.setdefault(address.lower(), address)
    return list(seen.values())


def _render(template: str, context: Mapping[str, Any], prefix: str) -> tuple[str, str]:
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{template}-subject.txt", context).split())
    body = render_to_string(f"emails/{template}-body.txt", context)
    return (f"{prefix} {subject}" if prefix else subject), body


def _idstring(key: str) -> str:
    """What the Message-ID says it is about: the key's purpose and object ("ticket42")."""
    return re.sub(r"[^A-Za-z0-9]", "", "".join(key.split(":")[:2]))[:40]


def _headers(
    message_id: str, in_reply_to: str, auto_reply_to: str, extra: Mapping[str, str]
) -> dict[str, str]:
    """Every email we send is automatic (RFC 3834), so auto-responders must not answer it, and
    carries our X-Loop so that our own mail coming back is never taken for a person's."""
    headers = {
        "Message-ID": message_id,
        "Reply-To": settings.HELPDESK_MAILBOX,
        "Auto-Submitted": "auto-replied" if auto_reply_to else "auto-generated",
        "X-Loop": settings.HELPDESK_MAILBOX,
    }
    if in_reply_to:
        headers["In-Reply-To"] = in_reply_to
        headers["References"] = in_reply_to
    return {**headers, **extra}


# --- Many recipients, one message each --------------------------------------------------------
# Notices to the field, welcome packets, procedure re-sends: never one message with everyone in
# To or Cc, which would leak every address to every recipient and make a reply-all storm one
# click away. The recipients are split into batches, each one django-q2 task that queues one
# message per address (under a key per address, so a retried batch queues only what is new).


def batches(items: Sequence, size: int | None = None) -> list[list]:
    size = max(1, size or settings.BULK_EMAIL_BATCH_SIZE)
    items = list(items)
    return [items[start : start + size] for start in range(0, len(items), size)]


def queue_in_batches_on_commit(task: str, keys: Sequence, *args: Any, **kwargs: Any) -> int:
    """After commit, queue ``task(batch_of_keys, *args, **kwargs)`` once per batch.
    Keys must be JSON/pickle friendly (ids); returns the number of batches queued."""
    chunks = batches(keys)
    for chunk in chunks:
        enqueue_on_commit(task, chunk, *args, **kwargs)
    return len(chunks)


# --- Sending --------------------------------------------------------------------------------------

# The mail backend ``deliver`` sends through: settings.EMAIL_BACKEND, unless ``sending_with``.
_BACKEND: ContextVar[tuple[str, dict[str, Any]] | None] = ContextVar("mail backend", default=None)


@contextmanager
def sending_with(backend: str, **options: Any) -> Iterator[None]:
    """Within the block, ``deliver`` sends through ``backend`` (a dotted path, with its
    options) instead of settings.EMAIL_BACKEND: the demo's mail, to demo addresses, goes to a
    folder of its own (``manage.py seed_demo``). The rows say truly what happened: sent, then,
    as the .eml files there."""
    token = _BACKEND.set((backend, options))
    try:
        yield
    finally:
        _BACKEND.reset(token)


def _connection() -> Any:
    chosen = _BACKEND.get()
    if chosen is None:
        return get_connection()
    backend, options = chosen
    return get_connection(backend, **options)


def deliver(outbound_id: int) -> str:
    """The django-q2 task: send one pending message, at most once, and record the outcome
    (module docstring). Returns "sent", "pending" (a retry is scheduled), "failed" (no more
    attempts), or "nothing to send" (sent already, failed, or being sent by another run)."""
    with transaction.atomic():
        row = _claim(outbound_id)
        if row is None:
            return "nothing to send"
        try:
            _send_copies(row)
        except Exception as error:  # noqa: BLE001  (any failure is an attempt, recorded)
            return _failed(row, error)
        row.status, row.sent_at, row.next_attempt_at = OutboundStatus.SENT, timezone.now(), None
        row.save(update_fields=["status", "sent_at", "next_attempt_at"])
    return "sent"


def deliver_overdue() -> int:
    """The worker's schedule: queue again every pending message long past due (its task was
    lost), at most ``OVERDUE_BATCH`` a pass. Safe in several workers at once: a row another
    pass or a sender holds is skipped, and each row is queued once per pass."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.EMAIL_STALE_AFTER_SECONDS)
    with transaction.atomic():
        overdue = list(
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundStatus.PENDING, next_attempt_at__lte=stale)
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:OVERDUE_BATCH]
        )
        OutboundEmail.objects.filter(pk__in=overdue).update(next_attempt_at=now)
        for pk in overdue:
            enqueue_on_commit(DELIVER, pk)
    if overdue:
        log.warning("Outgoing mail: %d overdue messages queued again", len(overdue))
    return len(overdue)


def _claim(pk: int) -> OutboundEmail | None:
    """The row, ours until this transaction ends, its attempt counted; None unless pending.
    The conditional UPDATE is the claim on every database (module docstring)."""
    rows = OutboundEmail.objects.filter(pk=pk, status=OutboundStatus.PENDING)
    if not rows.update(attempts=F("attempts") + 1):
        return None
    return OutboundEmail.objects.get(pk=pk)


def _send_copies(row: OutboundEmail) -> None:
    """Send the row's message to each recipient not sent yet, one copy each, under the copy's
    own Message-ID; each copy sent is recorded as it goes, so a retry after a failure part way
    sends only the rest. A row queued before copies existed goes as one message to all."""
    copies = list(row.copies.all())
    body = _with_secrets(row.body, row.secrets)  # made once: every copy carries the same
    with _connection() as connection:
        if not copies:
            message = _message(row, body, row.recipients, row.headers)
            message.connection = connection
            message.send()
            return
        for copy in copies:
            if copy.sent_at is not None:
                continue
            headers = {**row.headers, "Message-ID": copy.message_id}
            headers.update(_thread_headers(copy.address, row.headers.get("In-Reply-To", "")))
            message = _message(row, body, [copy.address], headers)
            message.connection = connection
            message.send()
            copy.sent_at = timezone.now()
            copy.save(update_fields=["sent_at"])


def _thread_headers(address: str, in_reply_to: str) -> dict[str, str]:
    """In-Reply-To and References for one recipient. When the message threads under an email
    of ours, each recipient's copy names the copy that recipient received (their mail program
    has it, so the thread holds together, in Outlook too); anyone else gets the thread's own
    Message-ID, which is no one's proof. Never another recipient's Message-ID, which would let
    them answer as that recipient."""
    if not in_reply_to:
        return {}
    own = (
        OutboundRecipient.objects.filter(email__message_id=in_reply_to, address=address.lower())
        .values_list("message_id", flat=True)
        .first()
    )
    parent = own or in_reply_to
    return {"In-Reply-To": parent, "References": parent}


def _message(
    row: OutboundEmail, body: str, to: Sequence[str], headers: Mapping[str, str]
) -> EmailMessage:
    message = EmailMessage(
        row.subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        list(to),
        headers=dict(headers),
    )
    for attachment in row.attachments:
        with default_storage.open(attachment["storage_name"], "rb") as file:
            message.attach(attachment["filename"], file.read(), attachment["mimetype"])
    return message


def _with_secrets(body: str, secrets: Mapping[str, list]) -> str:
    """The body with each marker replaced by the secret its maker makes now."""
    for marker, (maker_name, ref) in secrets.items():
        maker = secret_makers.get(maker_name)
        if maker is None:
            raise LookupError(f"No secret maker {maker_name!r} is registered.")
        body = body.replace(f"[[{marker}]]", maker.make(int(ref)))
    return body


def _failed(row: OutboundEmail, error: Exception) -> str:
    """Record a failed attempt, and schedule the next one or give up."""
    delays = settings.EMAIL_RETRY_DELAYS
    row.last_error = f"{type(error).__name__}: {error}"[:2000]
    if row.attempts > len(delays):
        row.status, row.next_attempt_at = OutboundStatus.FAILED, None
        log.error("Outgoing mail %s: attempt %d failed, the last: %s", row.key, row.attempts, error)
    else:
        row.next_attempt_at = timezone.now() + timedelta(seconds=delays[row.attempts - 1])
        enqueue_at(DELIVER, row.pk, at=row.next_attempt_at)
        log.warning("Outgoing mail %s: attempt %d failed: %s", row.key, row.attempts, error)
    row.save(update_fields=["status", "last_error", "next_attempt_at"])
    return row.status
