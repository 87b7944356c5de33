"""The mail intake: one pipeline behind three doors (``ingest_mail`` for an MTA pipe, the IMAP
poller, the drop folder).

1. ``store``: the raw bytes are saved and committed before anything reads them. From then on
   the message cannot be lost: whatever happens next, it is on a page for a person to see.
2. ``process``: parse, then decide, in this order: duplicate (any copy of a message already
   received, ``fingerprint``), unreadable, automatic (RFC 3834),
   spoofed (DMARC, from a trusted server), an ambiguous From (matched to no one), no sender,
   then whether the sender is proven (``sender_check``), a registered handler of a higher
   app, a reply on a ticket's thread (an unproven one that would speak for someone is held,
   ``_follow_up``), and finally a new Problem Report Form. The decision and its
   effects (ticket, follow-up, quarantine) commit together; an unexpected error rolls them back
   and marks the message failed, to be reprocessed from the raw copy.
3. Help desk staff release or discard what was quarantined, and reprocess failures; all audited.
"""

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext

from escalation.calendar import add_working_days
from escalation.workflow import TicketKind, TicketState
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.audit import SYSTEM_LABEL, record
from helpdesk.directory.roles import Role, has_role
from helpdesk.directory.selectors import acting_local_expert
from helpdesk.lib.background import enqueue_on_commit
from helpdesk.mail import handlers
from helpdesk.mail.fingerprint import content_fingerprint
from helpdesk.mail.form import read_form
from helpdesk.mail.parse import MailAttachment, ParsedMail, parse_message
from helpdesk.mail.quotes import trim_quoted
from helpdesk.mail.rules import Dmarc, automatic_reason, dmarc_verdict
from helpdesk.models import (
    AuditKind,
    EventKind,
    InboundMessage,
    InboundStatus,
    LocalExpertDesignation,
    Notice,
    Office,
    OutboundEmail,
    Outcome,
    Person,
    QuarantineReason,
    SenderProof,
    Source,
    System,
    Ticket,
    TicketEvent,
    TicketMessage,
    User,
    WhoAffected,
    missing_report_fields,
    report_field_label,
)
from helpdesk.reports import services as reports
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.attachments import attach_each
from helpdesk.tickets.permissions import tickets_visible_to
from helpdesk.tickets.services import ProblemReport

logger = logging.getLogger(__name__)

_TRACKING_IN_SUBJECT = re.compile(r"\[\s*(CCAP-\d{4}-\d{6})\s*\]", re.IGNORECASE)
_SUBJECT_PREFIXES = re.compile(
    r"^\s*((re|fw|fwd|aw|wg|sv|tr)\s*(\[\d+\])?\s*:\s*|\[[^\]]*\]\s*)+", re.IGNORECASE
)


@dataclass(frozen=True)
class IntakeResult:
    inbound: InboundMessage
    outcome: str
    ticket: Ticket | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "message_id": self.inbound.message_id or None,
            "outcome": str(self.outcome),
            "ticket": self.ticket.reference if self.ticket else None,
        }


@dataclass
class Sender:
    address: str
    name: str
    person: Person | None
    user: User | None
    expert_offices: list[Office]
    # Proven to be who the From says (``sender_check``): only then may the intake act as the
    # person (a staff member's reply, an expert's answer moving the ticket). Handlers of
    # higher apps should ask it before acting for ``user``.
    verified: bool = False

    @property
    def staff(self) -> bool:
        return self.user is not None and has_role(
            self.user, Role.HELP_DESK, Role.MIS, Role.ADMINISTRATOR
        )

    @property
    def label(self) -> str:
        name = self.person.full_name if self.person else self.name
        return f"{name} <{self.address}>" if name else self.address


@dataclass(frozen=True)
class SenderCheck:
    """Whether a message's sender is proven, how (a ``SenderProof``, blank when not), and why."""

    proof: str
    note: str

    @property
    def verified(self) -> bool:
        return bool(self.proof)


@dataclass
class _Decision:
    outcome: str
    detail: str = ""
    ticket: Ticket | None = None
    reason: str = ""
    duplicate_of: InboundMessage | None = None
    handler: str = ""


@dataclass(frozen=True)
class Released:
    """What a release made of a held message: a ticket, or what a mail handler did with it
    (shown on the access request or the form it was about)."""

    detail: str
    ticket: Ticket | None = None


# --- 1. Store -----------------------------------------------------------------------------------


def store(
    raw: bytes,
    *,
    source: str,
    mailbox: str = "",
    uidvalidity: int | None = None,
    uid: int | None = None,
    quiet: bool = False,
) -> InboundMessage:
    """Save the raw message and commit. Raises if the database cannot take it (the caller then
    leaves the message where it was: the MTA retries, the IMAP server keeps it)."""
    from helpdesk.mail.parse import message_id_of_raw

    with transaction.atomic():
        return InboundMessage.objects.create(
            raw=raw,
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            normalised_hash=content_fingerprint(raw),
            message_id=message_id_of_raw(raw),
            source=source,
            mailbox=mailbox,
            uidvalidity=uidvalidity,
            uid=uid,
            quiet=quiet,
        )


def ingest(raw: bytes, *, source: str, **where: Any) -> IntakeResult:
    return process(store(raw, source=source, **where))


# --- 2. Process ---------------------------------------------------------------------------------


def process(inbound: InboundMessage) -> IntakeResult:
    """Decide what the message is and act on it. Never raises for a bad message: an error rolls
    back what was done and leaves the message ``failed`` with the error, raw copy intact."""
    try:
        with transaction.atomic():
            claimed = _claim(inbound)
            if claimed is None:  # another worker has it, or had it
                return _result_of(InboundMessage.objects.without_raw().get(pk=inbound.pk))
            return _process_claimed(claimed)
    except Exception as error:  # noqa: BLE001 - one bad message must never stop the intake
        logger.exception("Inbound message %s failed", inbound.pk)
        InboundMessage.objects.filter(pk=inbound.pk).update(
            status=InboundStatus.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            attempts=F("attempts") + 1,
            processed_at=timezone.now(),
        )
        return IntakeResult(InboundMessage.objects.without_raw().get(pk=inbound.pk), "failed")


def _claim(inbound: InboundMessage) -> InboundMessage | None:
    """The row locked for this worker while it is still only received; ``None`` when another
    worker has it or had it. The raw copy the caller holds (just stored) is not read back."""
    rows = InboundMessage.objects.select_for_update(skip_locked=True).filter(
        pk=inbound.pk, status=InboundStatus.RECEIVED
    )
    # A row saved or loaded with its raw copy (not a bare ``InboundMessage(pk=...)``).
    raw = None if inbound._state.adding else inbound.__dict__.get("raw")
    claimed = (rows.defer("raw") if raw is not None else rows).first()
    if claimed is not None and raw is not None:
        claimed.raw = raw
    return claimed


def process_pending(limit: int = 200) -> list[IntakeResult]:
    """Messages stored but never processed (a worker killed between the two steps)."""
    ids = list(
        InboundMessage.objects.pending()
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    return [process(InboundMessage(pk=pk)) for pk in ids]


def _result_of(inbound: InboundMessage) -> IntakeResult:
    outcome = inbound.outcome or ("failed" if inbound.status == InboundStatus.FAILED else "stored")
    return IntakeResult(inbound, outcome, inbound.ticket)


def _process_claimed(inbound: InboundMessage) -> IntakeResult:
    parsed = parse_message(inbound.raw_bytes)
    inbound.from_address = parsed.from_address.lower()[:254]  # lowering can lengthen it
    inbound.from_name = parsed.from_name
    inbound.subject = parsed.subject
    inbound.sent_at = parsed.date
    inbound.sender_proof, inbound.sender_note = "", ""
    if not inbound.message_id and parsed.message_id:
        inbound.message_id = parsed.message_id
    decision = _decide(inbound, parsed)
    inbound.status = InboundStatus.PROCESSED
    inbound.outcome = decision.outcome
    inbound.quarantine_reason = decision.reason
    inbound.detail = decision.detail
    inbound.ticket = decision.ticket
    inbound.duplicate_of = decision.duplicate_of
    inbound.handler = decision.handler
    inbound.error = ""
    inbound.attempts += 1
    inbound.processed_at = timezone.now()
    _save_all_but_the_raw_message(inbound)
    return IntakeResult(inbound, decision.outcome, decision.ticket)


# Written once when stored, never again: saving them back would rewrite up to the whole message.
_STORED_ONCE = {"id", "raw", "size", "sha256"}


def _save_all_but_the_raw_message(inbound: InboundMessage) -> None:
    fields = [f.name for f in InboundMessage._meta.concrete_fields if f.name not in _STORED_ONCE]
    inbound.save(update_fields=fields)


def _decide(inbound: InboundMessage, parsed: ParsedMail) -> _Decision:
    # A copy of a message already decided is only a copy, whatever it is (even unreadable).
    duplicate = _duplicate(inbound)
    if duplicate is not None:
        return duplicate
    if parsed.unreadable:
        return _quarantine(QuarantineReason.UNREADABLE, parsed.unreadable)
    automatic = automatic_reason(parsed)
    if automatic:
        return _Decision(
            Outcome.AUTO_REPLY_IGNORED,
            f"Not answered and not filed: {automatic}.",
            ticket=_thread_ticket(parsed),
        )
    dmarc = dmarc_verdict(parsed)
    if dmarc is Dmarc.FAIL:
        return _quarantine(
            QuarantineReason.SPOOFED,
            "Our mail server found that this message fails DMARC: the sender may be forged.",
        )
    if parsed.sender_problem:
        return _quarantine(
            QuarantineReason.AMBIGUOUS_SENDER,
            f"The From header ({parsed.from_header[:200]!r}) can be read as more than one "
            f"sender: {parsed.sender_problem}. It is matched to no one; release it only if you "
            "know who wrote it.",
        )
    if not parsed.from_address:
        return _quarantine(QuarantineReason.NO_SENDER, "No sender address.")
    check = sender_check(parsed, dmarc)
    inbound.sender_proof, inbound.sender_note = check.proof, check.note[:255]
    sender = identify(parsed.from_address, parsed.from_name, verified=check.verified)
    for handler in handlers.mail_handlers:
        handled = handler.handle(parsed, inbound, sender)
        if handled is not None:
            return _handled(handler.name, handled)
    ticket = _thread_ticket(parsed)
    if ticket is not None:
        return _follow_up(ticket, parsed, inbound, sender)
    return _new_report(parsed, inbound, sender)


def _handled(name: str, handled: handlers.Handled) -> _Decision:
    detail = f"{name}: {handled.detail}"
    if handled.needs_review:
        decision = _quarantine(QuarantineReason.NEEDS_REVIEW, detail)
    else:
        decision = _Decision(Outcome.HANDLED, detail, ticket=handled.ticket)
    decision.handler = name
    return decision


def _quarantine(reason: str, detail: str, ticket: Ticket | None = None) -> _Decision:
    return _Decision(Outcome.QUARANTINED, detail, ticket=ticket, reason=reason)


def _duplicate(inbound: InboundMessage) -> _Decision | None:
    """The same Message-ID seen before (or, without one, the same content). Compared with every
    earlier message of that id, by the fingerprint of its content (``fingerprint``: line
    endings and the servers' trace headers do not count). The same as any: a duplicate of the
    first such, nothing is created. Different from all: kept and held for a person, since one
    of them is not what it claims to be."""
    if not inbound.normalised_hash:  # stored before fingerprints were kept; saved with the rest
        inbound.normalised_hash = content_fingerprint(inbound.raw_bytes)
    earlier = InboundMessage.objects.filter(pk__lt=inbound.pk)
    if inbound.message_id:
        earlier = earlier.filter(message_id=inbound.message_id)
    else:  # the exact bytes too: rows stored before fingerprints were kept have none
        earlier = earlier.filter(message_id="").filter(
            Q(normalised_hash=inbound.normalised_hash) | Q(sha256=inbound.sha256)
        )
    seen = list(
        earlier.order_by("pk")
        .select_related("ticket")
        .only("pk", "sha256", "normalised_hash", "ticket")
    )
    if not seen:
        return None
    same = next((row for row in seen if _same_content(row, inbound)), None)
    if same is not None:
        return _Decision(
            Outcome.DUPLICATE,
            f"Already received as inbound #{same.pk}; nothing created.",
            ticket=same.ticket,
            duplicate_of=same,
        )
    first = seen[0]
    others = f" (and {len(seen) - 1} more)" if len(seen) > 1 else ""
    decision = _quarantine(
        QuarantineReason.MESSAGE_ID_CONFLICT,
        f"Inbound #{first.pk}{others} has the same Message-ID but different content.",
    )
    decision.duplicate_of = first
    return decision


def _same_content(earlier: InboundMessage, inbound: InboundMessage) -> bool:
    if earlier.sha256 == inbound.sha256:
        return True
    return _fingerprint_of(earlier) == inbound.normalised_hash


def _fingerprint_of(row: InboundMessage) -> str:
    """A row's fingerprint, computed once from its raw copy if it was stored before they were
    kept (read here only for rows sharing a Message-ID: a few, never the whole table)."""
    if not row.normalised_hash:
        raw = InboundMessage.objects.values_list("raw", flat=True).get(pk=row.pk)
        row.normalised_hash = content_fingerprint(bytes(raw))
        InboundMessage.objects.filter(pk=row.pk).update(normalised_hash=row.normalised_hash)
    return row.normalised_hash


# --- Who sent it --------------------------------------------------------------------------------


def sender_check(parsed: ParsedMail, dmarc: Dmarc) -> SenderCheck:
    """Whether the sender is who the From says. Proven: an aligned DMARC pass from our own mail
    server (``rules.dmarc_verdict``), or a reply quoting a Message-ID we sent to that very
    address (``emails.was_sent_to``: each copy has its own, unguessable). Anything else is
    only what the sender wrote, which anyone can write."""
    if dmarc is Dmarc.ALIGNED:
        return SenderCheck(
            SenderProof.DMARC, "Our mail server found an aligned DMARC pass for the From domain."
        )
    if emails.was_sent_to(parsed.from_address, parsed.thread_ids):
        return SenderCheck(SenderProof.REPLY, "A reply to a message we sent to this address.")
    answered = "quotes no message we sent to this address" if parsed.thread_ids else "is no reply"
    return SenderCheck(
        "", f"Not proven: no aligned DMARC pass from our mail server, and it {answered}."
    )


def identify(address: str, name: str = "", *, verified: bool = False) -> Sender:
    if not address:  # an ambiguous From released by the help desk: no one to look up
        return Sender(address="", name=name, person=None, user=None, expert_offices=[])
    designations = Prefetch(
        "designations",
        queryset=LocalExpertDesignation.objects.select_related("office__agency").order_by("role"),
    )
    person = (
        Person.objects.active()
        .with_email(address)
        .select_related("user", "office__agency")
        .prefetch_related(designations)
        .first()
    )
    user = person.user if person is not None and person.user_id else None
    if person is None:  # staff with a sign-in but no directory entry
        user = User.objects.filter(email__iexact=address, is_active=True).first()
    offices = [d.office for d in person.designations.all()] if person is not None else []
    return Sender(
        address=address.lower(),
        name=name,
        person=person,
        user=user,
        expert_offices=offices,
        verified=verified,
    )


def _participant_addresses(ticket: Ticket) -> set[str]:
    """Who may add to a ticket by email: its office's local experts (every address of theirs),
    the expert on the ticket, and its secondary contact. Staff are participants of the tickets
    they may open (``_staff_on``), not of every ticket."""
    people = Q(designations__office_id=ticket.office_id)
    if ticket.local_expert_id:
        people |= Q(pk=ticket.local_expert_id)
    addresses = {
        a.lower()
        for a in Person.objects.filter(people, active=True).values_list(
            "emails__address", flat=True
        )
        if a
    }
    if ticket.secondary_email:
        addresses.add(ticket.secondary_email.lower())
    return addresses


# --- Threads ------------------------------------------------------------------------------------


def _staff_on(sender: Sender, ticket: Ticket) -> bool:
    """A help desk, MIS or administrator sender who may open this ticket (the one rule of who
    sees which ticket, ``tickets_visible_to``): MIS only what reached MIS."""
    return (
        sender.staff
        and sender.user is not None
        and tickets_visible_to(sender.user).filter(pk=ticket.pk).exists()
    )


def _thread_ticket(parsed: ParsedMail) -> Ticket | None:
    """The ticket a reply belongs to: its tracking number in brackets in the subject, or a
    Message-ID we sent (or received on that ticket) in In-Reply-To/References."""
    found = _TRACKING_IN_SUBJECT.search(parsed.subject)
    if found:
        ticket = Ticket.objects.filter(tracking_number=found.group(1).upper()).first()
        if ticket is not None:
            return ticket
    ids = parsed.thread_ids[:50]
    if not ids:
        return None
    sent = (
        OutboundEmail.objects.filter(
            Q(message_id__in=ids) | Q(copies__message_id__in=ids), ticket__isnull=False
        )
        .select_related("ticket")
        .first()
    )
    if sent is not None:
        return sent.ticket
    received = (
        InboundMessage.objects.without_raw()
        .filter(message_id__in=ids, ticket__isnull=False)
        .select_related("ticket")
        .first()
    )
    return received.ticket if received is not None else None


def _follow_up(
    ticket: Ticket, parsed: ParsedMail, inbound: InboundMessage, sender: Sender
) -> _Decision:
    expert = sender.user is not None and any(
        o.pk == ticket.office_id for o in sender.expert_offices
    )
    staff = _staff_on(sender, ticket)
    if not (staff or sender.address in _participant_addresses(ticket)):
        return _quarantine(
            QuarantineReason.NOT_PARTICIPANT,
            f"{sender.label} replied on {ticket.reference} but is not one of its participants "
            "(the office's local experts, its secondary contact, help desk or MIS staff who "
            "may open it).",
            ticket=ticket,
        )
    finished = ticket.state in (TicketState.CLOSED, TicketState.REJECTED)
    follow_on = finished and expert and _closed_long_ago(ticket)
    speaks_for = _would_speak_for(ticket, staff=staff, expert=expert, follow_on=follow_on)
    if speaks_for and not sender.verified:
        return _quarantine(
            QuarantineReason.UNVERIFIED_REPLY,
            f"{sender.label} replied on {ticket.reference}; the reply would {speaks_for}, but "
            f"the sender is not proven ({inbound.sender_note}) Nothing was added, changed or "
            "sent; release it if you know the sender wrote it.",
            ticket=ticket,
        )
    if follow_on:
        new = _report_ticket(parsed, inbound, sender, ticket.office, follows=ticket)
        return _Decision(
            Outcome.TICKET_CREATED,
            f"A reply on {ticket.reference}, closed more than "
            f"{settings.MAIL_REOPEN_WINDOW_DAYS} business days ago: new ticket, linked.",
            ticket=new,
        )
    # Only a proven sender speaks as their sign-in; anyone else's words are the system's,
    # labelled with what the From says (and that it is unproven).
    signed_in = (expert or staff) and sender.verified
    if signed_in and sender.user is not None:  # an expert or staff member: a user
        by = Actor.of(sender.user)
    else:
        by = Actor.system(f"an email from {sender.label}")
    label = sender.label if sender.verified else f"{sender.label} (sender not verified)"
    body = trim_quoted(parsed.text) or "(The email had no text.)"
    message = ticket_services.add_message(
        ticket,
        by=by,
        body=body,
        source=Source.EMAIL,
        author_label="" if signed_in else label[:150],
    )
    skipped = _attach_parts(ticket, parsed.attachments, by=by, message=message)
    _email_event(ticket, inbound, skipped)
    detail = f"Added to {ticket.reference}."
    if signed_in and expert and ticket.incomplete_fields:
        # Asked for what the form was missing, the expert answers in the reply (quote trimmed:
        # our acknowledgement's own "System: ..." lines must not be read as the answer).
        values = read_form(body, sent_at=parsed.date).values
        filled = ticket_services.complete_report(ticket, by=by, values=values)
        if filled:
            detail += f" Form completed: {', '.join(filled)}."
    return _Decision(Outcome.FOLLOWUP_ADDED, detail, ticket=ticket)


def _would_speak_for(ticket: Ticket, *, staff: bool, expert: bool, follow_on: bool) -> str:
    """What a reply would do in its sender's name, beyond adding words to the ticket ("" when
    nothing): an unproven sender may not do it (``_follow_up`` holds the reply)."""
    if staff:
        return "be stored as a staff member's message and mailed on to the local expert"
    if follow_on:
        return "open a new ticket in the local expert's name"
    if expert and ticket.state == TicketState.AWAITING_INFO:
        return "answer the question asked and move the ticket back to work"
    if expert and ticket.state == TicketState.RESOLVED:
        return "reopen the ticket"
    return ""


def _closed_long_ago(ticket: Ticket) -> bool:
    closed_at = ticket.state_changed_at or ticket.updated_at
    return add_working_days(closed_at, settings.MAIL_REOPEN_WINDOW_DAYS) < timezone.now()


# --- New reports --------------------------------------------------------------------------------


def _new_report(parsed: ParsedMail, inbound: InboundMessage, sender: Sender) -> _Decision:
    if not sender.expert_offices:
        if may_be_told_to_go_through_expert(sender):
            _reply_not_local_expert(inbound, sender)
        who = sender.person.full_name if sender.person else sender.address
        detail = (
            f"{who} is not a designated local expert; only local experts may report problems "
            "to the help desk."
        )
        if sender.person is not None and acting_local_expert(sender.person.office) is None:
            detail += (
                " Neither local expert of their office can act now (both absent or none "
                "designated): release it to make the ticket."
            )
        return _quarantine(QuarantineReason.NOT_LOCAL_EXPERT, detail)
    if sender.user is None:
        return _quarantine(
            QuarantineReason.NO_SIGN_IN,
            f"{sender.label} is a designated local expert but has no sign-in to file it under; "
            "release it to make the ticket.",
        )
    office = sender.expert_offices[0]
    ticket = _report_ticket(parsed, inbound, sender, office)
    more = ""
    if len(sender.expert_offices) > 1:
        more = f" (the sender is local expert of {len(sender.expert_offices)} offices; filed "
        more += f"under {office})"
    return _Decision(Outcome.TICKET_CREATED, f"New ticket {ticket.reference}{more}.", ticket=ticket)


def _report_ticket(
    parsed: ParsedMail,
    inbound: InboundMessage,
    sender: Sender,
    office: Office,
    follows: Ticket | None = None,
) -> Ticket:
    report, missing = report_from_mail(parsed, sender)
    answer = may_reply_automatically(inbound, sender.address)
    inbound.auto_replied = answer
    assert sender.user is not None, "a report is filed under the sender's sign-in"
    by = Actor.of(sender.user)
    ticket = reports.report_from_mail(
        report,
        by=by,
        office=office,
        incomplete_fields=missing,
        acknowledge=answer,
        reply_to=sender.address,
        in_reply_to=inbound.message_id,
        notice=_notice_named_in(parsed.subject),
        names_system=report_field_label("system") not in missing,
    )
    skipped = _attach_parts(ticket, parsed.attachments, by=by, message=None)
    _email_event(ticket, inbound, skipped, quiet=not answer)
    if follows is not None:
        ticket_services.link_follow_on(ticket, follows, by=by)
    return ticket


_NOTICE_IN_SUBJECT = re.compile(r"\[Notice (\d{1,9})\]", re.IGNORECASE)


def _notice_named_in(subject: str) -> Notice | None:
    """A local expert answering a notice's email ("we have this too") reports that problem:
    the notice, when the subject names one (``[Notice 12]``)."""
    match = _NOTICE_IN_SUBJECT.search(subject or "")
    return Notice.objects.filter(pk=int(match.group(1))).first() if match else None


def report_from_mail(parsed: ParsedMail, sender: Sender) -> tuple[ProblemReport, list[str]]:
    """The Problem Report Form read from the message, with what is missing (by label). What the
    directory knows of the sender fills their own contact details."""
    form = read_form(parsed.full_text, sent_at=parsed.date).values
    person = sender.person
    known = {
        "contact_name": person.full_name if person else sender.name,
        "contact_email": sender.address,
        "contact_phone": person.phone if person else "",
    }
    for name, value in known.items():
        if value and not form.get(name):
            form[name] = value
    if "system" not in form:
        from helpdesk.mail.form import SYSTEM_WORDS

        subject = parsed.subject.lower()
        named = [key for key, words in SYSTEM_WORDS.items() if any(w in subject for w in words)]
        if len(named) == 1:
            form["system"] = named[0]
    if "description" not in form:
        body = trim_quoted(parsed.text).strip()
        if body:
            form["description"] = body
    form["kind"] = kind_named_in(parsed.subject)
    missing = [report_field_label(name) for name in missing_report_fields(form)]
    summary = _summary(parsed.subject, str(form.get("description", "")))
    occurred_at, can_duplicate = form.get("occurred_at"), form.get("can_duplicate")
    report = ProblemReport(
        summary=summary,
        system=str(form.get("system") or System.OTHER),
        description=shown_description(
            str(form.get("description") or parsed.subject or "(no description)")
        ),
        who_affected=str(form.get("who_affected") or WhoAffected.JUST_ME),
        contact_name=str(form.get("contact_name", ""))[:150],
        contact_phone=str(form.get("contact_phone", ""))[:40],
        contact_email=str(form.get("contact_email", ""))[:254],
        secondary_name=str(form.get("secondary_name", ""))[:150],
        secondary_phone=str(form.get("secondary_phone", ""))[:40],
        secondary_email=str(form.get("secondary_email", ""))[:254],
        occurred_at=occurred_at if isinstance(occurred_at, datetime) else None,
        can_duplicate=can_duplicate if isinstance(can_duplicate, bool) else None,
        security_group=str(form.get("security_group", ""))[:100],
        ccms_screen=str(form.get("ccms_screen", ""))[:150],
        system_other=str(form.get("system_other", ""))[:100],
        steps_taken=str(form.get("steps_taken", "")),
        expected_result=str(form.get("expected_result", "")),
        kind=str(form["kind"]),
    )
    return report, missing


# A subject that says what the message is: "Policy question: ...", "TA request - ...".
_KIND_IN_SUBJECT = {
    TicketKind.POLICY_QUESTION: re.compile(r"\bpolicy\s+question\b", re.IGNORECASE),
    TicketKind.TECHNICAL_ASSISTANCE: re.compile(
        r"\b(technical\s+assistance|TA\s+request)\b", re.IGNORECASE
    ),
}


def kind_named_in(subject: str) -> str:
    """The kind of request a subject names; a problem when it names none."""
    named = [kind for kind, words in _KIND_IN_SUBJECT.items() if words.search(subject or "")]
    return named[0] if len(named) == 1 else TicketKind.PROBLEM


# A description longer than this is cut where it is shown (a pasted log or an undecoded
# attachment once made one of 144,902 characters); the raw message keeps all of it.
MAX_DESCRIPTION_CHARS = 20_000


def shown_description(text: str) -> str:
    """The description as stored on the ticket: whole, or cut at a line end near the limit
    with a note saying so."""
    if len(text) <= MAX_DESCRIPTION_CHARS:
        return text
    cut = text[:MAX_DESCRIPTION_CHARS]
    line_end = cut.rfind("\n")
    if line_end > MAX_DESCRIPTION_CHARS // 2:
        cut = cut[:line_end]
    note = gettext(
        "[The rest of this description (%(count)s characters) is not shown here; "
        "the raw message keeps all of it.]"
    ) % {"count": len(text) - len(cut)}
    return f"{cut.rstrip()}\n\n{note}"


def _summary(subject: str, description: str) -> str:
    subject = _SUBJECT_PREFIXES.sub("", subject).strip()
    if subject and subject.lower() not in {"problem report form", "problem report", "help"}:
        return subject[:200]
    first_line = next((line.strip() for line in description.splitlines() if line.strip()), "")
    return (first_line or subject or "Problem reported by email")[:200]


# --- Attachments --------------------------------------------------------------------------------


def _attach_parts(
    ticket: Ticket, parts: list[MailAttachment], *, by: Actor, message: TicketMessage | None
) -> list[str]:
    """Keep every part we accept (inline images too); return what was not kept and why. The raw
    message still holds all of it."""
    files = [(part.name, part.data) for part in parts if part.data]
    return attach_each(ticket, files, by=by, message=message)[1]


def _email_event(
    ticket: Ticket, inbound: InboundMessage, skipped: list[str], quiet: bool = False
) -> None:
    notes = [f"From {inbound.from_address}: {inbound.subject or '(no subject)'}"]
    if inbound.sender_verified:
        notes.append(f"Sender verified: {inbound.get_sender_proof_display()}.")
    else:
        notes.append(f"Sender not verified. {inbound.sender_note}".strip())
    if skipped:
        notes.append("Not kept from the email (the raw message has them): " + "; ".join(skipped))
    if quiet:
        notes.append("No automatic acknowledgement (backlog import or daily limit reached).")
    TicketEvent.objects.create(
        ticket=ticket,
        actor_label=SYSTEM_LABEL,
        kind=EventKind.EMAIL_RECEIVED,
        note="\n".join(notes),
        internal=True,
        data={
            "inbound": inbound.pk,
            "skipped": skipped,
            "sender_verified": inbound.sender_verified,
            "sender_proof": inbound.sender_proof,
        },
    )


# --- Automatic replies (RFC 3834 and the daily limit) ------------------------------------------


def may_reply_automatically(inbound: InboundMessage, address: str) -> bool:
    """Never to backlog imports, and at most MAIL_AUTO_REPLIES_PER_DAY per sender per day.
    Automatic messages never get here (they are ignored before any reply is considered)."""
    if inbound.quiet or not address:
        return False
    since = timezone.now() - timedelta(days=1)
    answered = InboundMessage.objects.filter(
        from_address=address.lower(), auto_replied=True, processed_at__gte=since
    ).exclude(pk=inbound.pk)
    return answered.count() < settings.MAIL_AUTO_REPLIES_PER_DAY


def may_be_told_to_go_through_expert(sender: Sender) -> bool:
    """The one rule of who gets the "go through your local expert" reply: nobody who is staff
    or a correspondent a higher app knows (CMS, MIS: ``handlers.known_correspondents``); they
    write to the help desk for other reasons than reporting a problem."""
    if sender.staff:
        return False
    return not any(c.is_known(sender.address) for c in handlers.known_correspondents)


def _reply_not_local_expert(inbound: InboundMessage, sender: Sender) -> None:
    if not may_reply_automatically(inbound, sender.address):
        return
    inbound.auto_replied = True
    experts: list[str] = []
    away = False
    if sender.person is not None:  # known to the directory: name their office's local experts
        office = sender.person.office
        acting = acting_local_expert(office)
        designated = [
            d.person
            for d in office.designations.select_related("person").prefetch_related("person__emails")
        ]
        # Sending the person to experts who are both away would leave the problem with nobody:
        # they are told the truth instead, and the help desk reads the kept message.
        away = acting is None and bool(designated)
        ordered = ([acting] if acting else []) + [p for p in designated if p != acting]
        experts = [] if away else [f"{p.full_name} <{p.primary_email}>" for p in ordered]
    pk = inbound.pk
    enqueue_on_commit(
        "helpdesk.mail.tasks.send_inbound_reply",
        "intake_not_local_expert",
        pk,
        experts=experts,
        experts_away=away,
    )


# --- 3. Help desk decisions ---------------------------------------------------------------------


def _require_help_desk(by: Actor) -> None:
    if not by.has_role(Role.HELP_DESK, Role.ADMINISTRATOR):
        raise PermissionDenied("Only help desk staff act on inbound mail.")


@transaction.atomic
def release(
    inbound: InboundMessage, *, by: Actor, office: Office | None = None, note: str = ""
) -> Released:
    """A quarantined message made into what it should have been: offered again to the mail
    handler that held it (a departure, a fulfiller's reply, a signed form), a follow-up on the
    ticket it replied to, or a new ticket for ``office`` (the sender's own office when known).
    Releasing is how a person vouches for the sender: what waited only for a proven sender
    (``UNVERIFIED_REPLY``, a handler's unproven sender) then does what a proven one does, in
    the sender's name."""
    _require_help_desk(by)
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.outcome != Outcome.QUARANTINED:
        raise ValidationError("Only a quarantined message can be released.")
    parsed = parse_message(locked.raw_bytes)
    sender = identify(parsed.from_address or locked.from_address, parsed.from_name, verified=True)
    locked.sender_proof = SenderProof.HELP_DESK
    locked.sender_note = f"Vouched for by {by.label}; the intake said: {locked.sender_note}"[:255]
    released = _offer_again(locked, parsed, sender)
    if released is None:
        released = Released("", _released_ticket(locked, parsed, sender, by=by, office=office))
    before = {"outcome": locked.outcome, "quarantine_reason": locked.quarantine_reason}
    _decide_by_staff(locked, by, Outcome.RELEASED, note, ticket=released.ticket)
    after = {"outcome": locked.outcome, "handler": locked.handler, "detail": released.detail}
    if released.ticket is not None:
        after = {"outcome": locked.outcome, "ticket": released.ticket.reference}
    record(AuditKind.MAIL_RELEASED, actor=by, target=locked, before=before, after=after, note=note)
    return released


def _offer_again(inbound: InboundMessage, parsed: ParsedMail, sender: Sender) -> Released | None:
    """A message a mail handler held for review, offered to that handler again with the sender
    vouched for. ``None`` when no handler held it, or it no longer takes it (it is then read
    as a report); a ValidationError, with the handler's words, when it still cannot act."""
    handler = handlers.mail_handlers.get(inbound.handler) if inbound.handler else None
    if handler is None or inbound.quarantine_reason != QuarantineReason.NEEDS_REVIEW:
        return None
    handled = handler.handle(parsed, inbound, sender)
    if handled is None:
        return None
    if handled.needs_review:
        raise ValidationError(
            f"{handled.detail} Releasing cannot settle that: act on it from its own page, or "
            "discard the message with the reason."
        )
    inbound.detail = f"{handler.name}: {handled.detail}"
    return Released(inbound.detail, handled.ticket)


def _released_ticket(
    inbound: InboundMessage,
    parsed: ParsedMail,
    sender: Sender,
    *,
    by: Actor,
    office: Office | None,
) -> Ticket:
    """The ticket a released message belongs on: the one it replied to, or a new one."""
    reason, ticket = inbound.quarantine_reason, inbound.ticket
    if reason == QuarantineReason.UNVERIFIED_REPLY and ticket is not None:
        decision = _follow_up(ticket, parsed, inbound, sender)
        if decision.outcome == Outcome.QUARANTINED or decision.ticket is None:
            raise ValidationError(decision.detail)
        return decision.ticket
    if reason == QuarantineReason.NOT_PARTICIPANT and ticket is not None:
        message = ticket_services.add_message(
            ticket,
            by=Actor.system(f"an email from {sender.label}, released by {by.label}"),
            body=trim_quoted(parsed.text) or "(The email had no text.)",
            source=Source.EMAIL,
            author_label=f"{sender.label} (released by {by.label})"[:150],
        )
        skipped = _attach_parts(ticket, parsed.attachments, by=by, message=message)
        _email_event(ticket, inbound, skipped)
        return ticket
    office = office or (sender.expert_offices[0] if sender.expert_offices else None)
    office = office or (sender.person.office if sender.person else None)
    if office is None:
        raise ValidationError("Choose the office this report is for.")
    report, missing = report_from_mail(parsed, sender)
    expert = sender.person if sender.person and sender.expert_offices else None
    ticket = reports.release_from_quarantine(
        report, by=by, office=office, on_behalf_of=expert, incomplete_fields=missing
    )
    skipped = _attach_parts(ticket, parsed.attachments, by=by, message=None)
    _email_event(ticket, inbound, skipped)
    return ticket


@transaction.atomic
def discard(inbound: InboundMessage, *, by: Actor, reason: str) -> InboundMessage:
    """Set aside for good, with the reason. The raw message is kept."""
    _require_help_desk(by)
    if not reason.strip():
        raise ValidationError("Say why the message is discarded.")
    locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
    if locked.outcome != Outcome.QUARANTINED:
        raise ValidationError("Only a quarantined message can be discarded.")
    before = {"outcome": locked.outcome, "quarantine_reason": locked.quarantine_reason}
    _decide_by_staff(locked, by, Outcome.DISCARDED, reason.strip())
    record(
        AuditKind.MAIL_DISCARDED,
        actor=by,
        target=locked,
        before=before,
        after={"outcome": locked.outcome},
        note=reason.strip(),
    )
    return locked


def reprocess(inbound: InboundMessage, *, by: Actor) -> IntakeResult:
    """Run a failed message through the pipeline again, from its raw copy, for the staff
    member on the page or the system (the ``reprocess_mail`` command)."""
    if not by.is_system:
        _require_help_desk(by)
    with transaction.atomic():
        locked = InboundMessage.objects.select_for_update().get(pk=inbound.pk)
        if locked.status != InboundStatus.FAILED:
            raise ValidationError("Only a failed message is reprocessed.")
        locked.status = InboundStatus.RECEIVED
        locked.save(update_fields=["status"])
        record(
            AuditKind.MAIL_REPROCESSED,
            actor=by,
            target=locked,
            before={"status": InboundStatus.FAILED, "error": locked.error},
            after={"status": InboundStatus.RECEIVED},
        )
    return process(locked)


def _decide_by_staff(
    inbound: InboundMessage, by: Actor, outcome: str, note: str, ticket: Ticket | None = None
) -> None:
    inbound.outcome = outcome
    inbound.decided_by = by.user
    inbound.decided_at = timezone.now()
    inbound.decision_note = note
    if ticket is not None:
        inbound.ticket = ticket
    _save_all_but_the_raw_message(inbound)
