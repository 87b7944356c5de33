"""Notices of system problems to the field: publish, update and resolve them (resolving is a
transition on the one path), email every local expert of the audience one message each, and
link the tickets that report the same problem."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from escalation.workflow import OPEN_STATES, TicketState
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot
from helpdesk.events import emit
from helpdesk.models import (
    Agency,
    AuditKind,
    Notice,
    NoticeAudience,
    NoticeUpdate,
    Region,
    System,
    Ticket,
    UpdateKind,
)
from helpdesk.notices.permissions import (
    expert_may_link,
    may_manage_notices,
    require_notice_manager,
)
from helpdesk.notices.selectors import candidate_tickets, recipient_addresses
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.notifications import expert_addresses
from helpdesk.transitions import ConflictError, Machine, locked, save, transition


def _lock(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


def event_data(notice: Notice) -> dict[str, Any]:
    """What the notice's events (``helpdesk.events``) say of it: no title or text."""
    return {
        "id": notice.pk,
        "reference": notice.reference,
        "state": notice.state,
        "severity": notice.severity,
        "systems": list(notice.systems),
        "audience": notice.audience,
    }


NOTICES: Machine[Notice] = Machine(
    noun="notice",
    lock=_lock,
    may=lambda actor, notice, action: may_manage_notices(actor.user),
    refusal=lambda action: "Only help desk staff publish and change notices.",
    events=lambda step: ("notice.resolved",) if step.action == "resolve" else (),
    payload=event_data,
)


@dataclass
class NoticeDraft:
    title: str
    systems: list[str]
    severity: str
    text: str
    audience: str = NoticeAudience.ALL
    agency_kind: str = ""
    regions: Sequence[Region] = ()
    agencies: Sequence[Agency] = ()
    starts_at: datetime | None = None
    expected_end_at: datetime | None = None


@transaction.atomic
def publish_notice(draft: NoticeDraft, *, by: Actor, link_reported: bool = False) -> Notice:
    """Open a notice and email it to its audience. ``link_reported``: the open tickets already
    reported about its systems by its audience (``candidate_tickets``) are linked to it at once."""
    require_notice_manager(by.user)
    check_draft(draft)
    notice = Notice.objects.create(
        title=draft.title.strip(),
        systems=list(dict.fromkeys(draft.systems)),
        severity=draft.severity,
        audience=draft.audience,
        agency_kind=draft.agency_kind if draft.audience == NoticeAudience.AGENCY_KIND else "",
        starts_at=draft.starts_at or timezone.now(),
        expected_end_at=draft.expected_end_at,
        text=draft.text.strip(),
        published_by=by.user,
    )
    if draft.audience == NoticeAudience.REGION:
        notice.regions.set(draft.regions)
    if draft.audience == NoticeAudience.AGENCY:
        notice.agencies.set(draft.agencies)
    record(AuditKind.NOTICE_PUBLISHED, actor=by, target=notice, after=_snapshot(notice))
    emit("notice.published", event_data(notice))
    _send(notice, _new_update(notice, UpdateKind.PUBLISHED, draft.text, by=by))
    if link_reported:
        for ticket in candidate_tickets(notice):
            link_ticket(ticket, notice, by=by)
    return notice


@transaction.atomic
def post_update(
    notice: Notice,
    *,
    by: Actor,
    text: str,
    expected_end_at: datetime | None = None,
    severity: str = "",
    expected_version: int | None = None,
) -> NoticeUpdate:
    """News about an open notice (a new expected end, a workaround), sent like the notice."""
    require_notice_manager(by.user)
    row = locked(notice, NOTICES, expected_version)
    if not row.is_open:
        raise ConflictError(f"{row.reference} is resolved; it takes no more updates.")
    if not text.strip():
        raise ValidationError("Say what changed.")
    before = _snapshot(row)
    row.text = text.strip()
    if expected_end_at is not None:
        row.expected_end_at = expected_end_at
    if severity:
        row.severity = severity
    save(row, NOTICES)
    record(AuditKind.NOTICE_UPDATED, actor=by, target=row, before=before, after=_snapshot(row))
    update = _new_update(row, UpdateKind.UPDATE, text, by=by)
    _send(row, update)
    return update


@dataclass
class Resolution:
    update: NoticeUpdate
    resolved: list[Ticket]
    left_open: list[Ticket]


@transaction.atomic
def resolve_notice(
    notice: Notice,
    *,
    by: Actor,
    text: str,
    resolve_tickets: bool = False,
    expected_version: int | None = None,
) -> Resolution:
    """Close the notice and tell its audience. With ``resolve_tickets``, its linked tickets that
    the help desk holds are resolved with the same words, and each local expert gets one message
    (the resolution, listing their own tickets) instead of one per ticket. Tickets with MIS stay
    open: MIS reports its own resolution."""
    if not text.strip():
        raise ValidationError("Say how the problem was resolved.")
    locked = transition(
        notice,
        "resolve",
        machine=NOTICES,
        by=by,
        note=text.strip(),
        expected_version=expected_version,
        changes={"resolved_at": timezone.now(), "resolved_by": by.user, "text": text.strip()},
    )
    resolved: list[Ticket] = []
    left_open: list[Ticket] = []
    if resolve_tickets:
        resolved, left_open = _resolve_linked_tickets(locked, by=by, text=text.strip())
    tickets_by_address: dict[str, list[int]] = {}
    for ticket in resolved:
        for address in expert_addresses(ticket):
            tickets_by_address.setdefault(address, []).append(ticket.pk)
    update = _new_update(
        locked, UpdateKind.RESOLVED, text, by=by, data={"tickets": tickets_by_address}
    )
    _send(locked, update, extra_addresses=list(tickets_by_address))
    return Resolution(update, resolved, left_open)


def _resolve_linked_tickets(
    notice: Notice, *, by: Actor, text: str
) -> tuple[list[Ticket], list[Ticket]]:
    resolved: list[Ticket] = []
    left_open: list[Ticket] = []
    # The workflow's open states: a ticket already resolved (awaiting the expert's word) is done.
    for ticket in (
        notice.tickets.filter(state__in=OPEN_STATES).select_related("office").order_by("pk")
    ):
        if ticket.state == TicketState.SUBMITTED:
            # Only help desk staff resolve notices (NOTICES.may): a user takes the ticket on.
            assert by.user is not None
            ticket = ticket_services.assign(ticket, by=by, assignee=by.user, notify=False)
        if ticket.state == TicketState.AWAITING_INFO and not ticket.state_before_pause.startswith(
            "escalated"
        ):
            ticket = ticket_services.provide_info(
                ticket, by=by, answer=f"Resolved with {notice.reference}."
            )
        if ticket.state == TicketState.IN_PROGRESS:
            resolved.append(ticket_services.resolve(ticket, by=by, resolution=text, notify=False))
        else:
            left_open.append(ticket)
    return resolved, left_open


def check_draft(draft: NoticeDraft) -> None:
    """What a notice needs before it can go out (the page checks it before asking to confirm)."""
    errors = {}
    if not draft.title.strip():
        errors["title"] = "Give the notice a title."
    if not draft.text.strip():
        errors["text"] = "Say what is wrong and what to do meanwhile."
    unknown = set(draft.systems) - set(System.values)
    if not draft.systems or unknown:
        errors["systems"] = "Choose the systems affected."
    if draft.audience == NoticeAudience.AGENCY_KIND and not draft.agency_kind:
        errors["agency_kind"] = "Choose the kind of agency."
    if draft.audience == NoticeAudience.REGION and not draft.regions:
        errors["regions"] = "Choose at least one region."
    if draft.audience == NoticeAudience.AGENCY and not draft.agencies:
        errors["agencies"] = "Choose at least one agency."
    starts = draft.starts_at or timezone.now()
    if draft.expected_end_at is not None and draft.expected_end_at <= starts:
        errors["expected_end_at"] = "The expected end must be after the start."
    if errors:
        raise ValidationError(errors)


def _snapshot(notice: Notice) -> dict[str, Any]:
    return snapshot(notice) | {
        "regions": sorted(notice.regions.values_list("number", flat=True)),
        "agencies": sorted(notice.agencies.values_list("pk", flat=True)),
    }


def _new_update(
    notice: Notice, kind: str, text: str, *, by: Actor, data: dict[str, Any] | None = None
) -> NoticeUpdate:
    return NoticeUpdate.objects.create(
        notice=notice,
        kind=kind,
        text=text.strip(),
        expected_end_at=notice.expected_end_at,
        by=by.user,
        data=data or {},
    )


# --- Email: one message per address, in batches after commit --------------------------------------


def _send(notice: Notice, update: NoticeUpdate, *, extra_addresses: Sequence[str] = ()) -> None:
    addresses: dict[str, str] = {a.lower(): a for a in recipient_addresses(notice)}
    for address in extra_addresses:
        addresses.setdefault(address.lower(), address)
    update.recipients = len(addresses)
    update.save(update_fields=["recipients"])
    emails.queue_in_batches_on_commit(
        "helpdesk.notices.tasks.send_notice_batch",
        sorted(addresses.values(), key=str.lower),
        update.pk,
    )


def send_notice_batch(addresses: list[str], update_id: int) -> int:
    """The django-q2 task: one message to each address of the batch, through the outgoing-mail
    path; returns how many it queued (an address queued by an earlier run is not queued again,
    and its tickets' timeline lines are not written again)."""
    update = NoticeUpdate.objects.select_related("notice").get(pk=update_id)
    resolved_for = {k.lower(): v for k, v in (update.data.get("tickets") or {}).items()}
    sent = 0
    for address in addresses:
        ticket_ids = resolved_for.get(address.lower(), [])
        tickets = list(Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"))
        with transaction.atomic():
            queued = emails.queue(
                f"notice_{update.kind}",
                to=[address],
                key=f"notice:{update.notice_id}:update:{update.pk}",
                context={"notice": update.notice, "update": update, "tickets": tickets},
                headers={"X-CCAP-Notice": str(update.notice_id)},
            )
            if queued is None:
                continue  # queued by an earlier run of this batch, timeline and all
            sent += 1
            for ticket in tickets:
                ticket_services.record_notified(
                    ticket, note=f"{update.notice.reference} resolution to {address}"
                )
    return sent


# --- Tickets about the same problem ---------------------------------------------------------------


@transaction.atomic
def link_ticket(
    ticket: Ticket, notice: Notice, *, by: Actor, expected_version: int | None = None
) -> None:
    """Mark ``ticket`` as one report of ``notice``'s problem. Help desk staff link any ticket;
    a local expert links their own report to an open notice meant for their agency."""
    if not (may_manage_notices(by.user) or expert_may_link(by.user, ticket, notice)):
        raise PermissionDenied("Only help desk staff link tickets to notices.")
    ticket_services.set_notice(ticket, notice, by=by, expected_version=expected_version)


@transaction.atomic
def unlink_ticket(ticket: Ticket, *, by: Actor) -> None:
    require_notice_manager(by.user)
    ticket_services.set_notice(ticket, None, by=by)
