"""Ticket use cases. Every state change goes through ``_transition``: the row is locked, the
version and state the actor saw are checked (a stale page gets a conflict, never an overwrite),
the permission is checked, the SLA clocks move, and an audit event and a timeline entry are
written; email and live updates leave after the commit."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django_fsm import can_proceed, has_transition_perm

from escalation import sla
from escalation.workflow import Action, Priority, TicketState
from helpdesk.audit import SYSTEM_LABEL, label_of, record
from helpdesk.directory.permissions import is_designated_expert_of, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.directory.selectors import acting_local_expert
from helpdesk.lib.sequences import next_tracking_number
from helpdesk.models import (
    PRIORITY_FOR_AFFECTED,
    AuditKind,
    EventKind,
    Office,
    Source,
    Ticket,
    TicketEvent,
    TicketMessage,
    WhoAffected,
)
from helpdesk.tickets.attachments import attach
from helpdesk.tickets.live import push_ticket_changed_on_commit
from helpdesk.tickets.notifications import notify_on_commit
from helpdesk.tickets.permissions import sees_internal_notes


class TicketConflictError(Exception):
    """Someone else changed the ticket first; nothing was changed."""


@dataclass(frozen=True)
class ProblemReport:
    """The Problem Report Form, as the web form or the mail intake read it."""

    summary: str
    system: str
    description: str
    who_affected: str
    contact_name: str = ""
    contact_phone: str = ""
    contact_email: str = ""
    secondary_name: str = ""
    secondary_phone: str = ""
    secondary_email: str = ""
    occurred_at: datetime | None = None
    can_duplicate: bool | None = None
    security_group: str = ""
    ccms_screen: str = ""
    system_other: str = ""
    steps_taken: str = ""
    expected_result: str = ""


def record_event(ticket: Ticket, *, by, kind: str, note: str = "", internal: bool = False):
    """A timeline line written by another service (a notice linking the ticket)."""
    return _event(ticket, by=by, kind=kind, note=note, internal=internal)


def record_notified(ticket: Ticket, *, note: str) -> None:
    """An email about the ticket sent by another service, on the ticket's timeline."""
    _event(ticket, by=None, kind=EventKind.NOTIFIED, note=note, internal=True)


def _event(ticket, *, by, kind, note="", internal=False, action="", source="", target="", **data):
    return TicketEvent.objects.create(
        ticket=ticket,
        actor=by,
        actor_label=label_of(by),
        kind=kind,
        action=action,
        from_state=source,
        to_state=target,
        note=note,
        internal=internal,
        data=data,
    )


def _locked(ticket: Ticket, expected_version: int | None) -> Ticket:
    locked = Ticket.objects.select_for_update().select_related("office").get(pk=ticket.pk)
    if expected_version is not None and locked.version != expected_version:
        raise TicketConflictError(
            f"{locked.reference} was changed by someone else while you were looking at it "
            f"(it is now {locked.get_state_display().lower()}). Nothing was changed: "
            "please review it and try again."
        )
    return locked


def _save(ticket: Ticket) -> None:
    ticket.version += 1
    ticket.save()
    push_ticket_changed_on_commit(ticket)


@transaction.atomic
def _transition(
    ticket: Ticket,
    action: Action,
    *,
    by,
    note: str = "",
    expected_version: int | None = None,
    before_save: Callable[[Ticket], None] | None = None,
    internal_note: bool = False,
    fields: dict | None = None,
    notify: tuple[str, ...] = (),
    authorised: bool = False,
) -> Ticket:
    """Take ``action`` on the ticket: set ``fields`` with it, and send the ``notify`` emails
    after the commit. ``authorised`` means the caller has checked a rule of its own instead of
    the workflow's (help desk staff releasing a quarantined email report)."""
    locked = _locked(ticket, expected_version)
    method = getattr(locked, action.value)
    if not can_proceed(method):
        raise TicketConflictError(
            f"{locked.reference} is {locked.get_state_display().lower()} now, so it cannot "
            f"be {action.label.lower()}d from here. Someone may have acted on it already."
        )
    if not authorised and not has_transition_perm(method, by):
        raise PermissionDenied(f"You may not {action.label.lower()} this ticket.")
    source = locked.state
    method()
    for name, value in (fields or {}).items():
        setattr(locked, name, value)
    if before_save is not None:
        before_save(locked)  # first: it may set what the clocks depend on (the priority)
    sla.on_transition(locked, source, locked.state, timezone.now())
    _save(locked)
    _event(
        locked,
        by=by,
        kind=EventKind.TRANSITION,
        action=action.value,
        source=source,
        target=locked.state,
        note=note,
        internal=internal_note,
    )
    record(
        AuditKind.TRANSITION,
        actor=by,
        target=locked,
        before={"state": source},
        after={"state": locked.state},
        note=note or action.label,
    )
    for kind in notify:
        notify_on_commit(kind, locked)
    return locked


# --- Tier 1 and 2 ---------------------------------------------------------------------------------


@transaction.atomic
def report_to_local_expert(
    *, by, summary: str, system: str, description: str, who_affected: str
) -> Ticket:
    """An agency user tells their office's local expert (the one acting now) about a problem."""
    me = person_of(by)
    if me is None or not has_role(by, Role.AGENCY_USER, Role.LOCAL_EXPERT):
        raise PermissionDenied("Only staff of an agency office report problems to a local expert.")
    ticket = Ticket.objects.create(
        office=me.office,
        reported_by=me,
        local_expert=acting_local_expert(me.office),
        summary=summary,
        system=system,
        description=description,
        who_affected=who_affected,
        priority=PRIORITY_FOR_AFFECTED[who_affected],
        created_by=by,
        state_changed_at=timezone.now(),
    )
    _event(ticket, by=by, kind=EventKind.TRANSITION, target=ticket.state, note="Reported.")
    record(AuditKind.CREATED, actor=by, target=ticket, after={"state": ticket.state})
    push_ticket_changed_on_commit(ticket)
    notify_on_commit("new_report", ticket)
    return ticket


def resolve_locally(ticket: Ticket, *, by, resolution: str, expected_version=None) -> Ticket:
    return _transition(
        ticket,
        Action.RESOLVE_LOCALLY,
        by=by,
        note=resolution,
        expected_version=expected_version,
        fields={"resolution": resolution},
        notify=("resolved_locally",),
    )


@transaction.atomic
def submit_problem_report(
    report: ProblemReport,
    *,
    by,
    office: Office,
    from_ticket: Ticket | None = None,
    source: str = Source.WEB,
    expected_version: int | None = None,
    incomplete_fields: list[str] | None = None,
    acknowledge: bool = True,
    acknowledgement: dict | None = None,
    released: bool = False,
    on_behalf_of=None,
) -> Ticket:
    """A local expert escalates a problem to the help desk with the Problem Report Form:
    a new ticket, or the agency user's report (``from_ticket``) completed. The help desk logs
    it at once: tracking number, clocks, acknowledgement (``acknowledge=False`` when the mail
    intake must not answer automatically; ``acknowledgement`` carries its threading headers).

    ``released``: help desk staff release a quarantined email report into a ticket, the one case
    where ``by`` is not the office's local expert; ``on_behalf_of`` is the expert when known.
    """
    releasing = released
    if releasing and not has_role(by, Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff release a report from quarantine.")
    if from_ticket is None:
        if not releasing and not is_designated_expert_of(by, office.pk):
            raise PermissionDenied("Only a local expert of this office may escalate its problems.")
        ticket = Ticket.objects.create(
            office=office,
            created_by=by,
            source=source,
            system=report.system,
            description=report.description,
            summary=report.summary,
        )
        _event(
            ticket,
            by=by,
            kind=EventKind.TRANSITION,
            target=ticket.state,
            note="Problem Report Form.",
        )
        expected_version = ticket.version
    else:
        ticket = from_ticket

    def fill(t: Ticket) -> None:
        for field, value in vars(report).items():
            setattr(t, field, value)
        t.priority = PRIORITY_FOR_AFFECTED[report.who_affected]
        t.local_expert = (
            (on_behalf_of or acting_local_expert(t.office)) if releasing else person_of(by)
        )
        t.source = source
        t.incomplete_fields = incomplete_fields or []
        t.tracking_number = next_tracking_number()

    submitted = _transition(
        ticket,
        Action.ESCALATE_TO_HELP_DESK,
        by=by,
        note="Released from the mail quarantine." if releasing else "Escalated to the help desk.",
        expected_version=expected_version,
        before_save=fill,
        authorised=releasing,
    )
    if acknowledge:
        notify_on_commit("acknowledgement", submitted, **(acknowledgement or {}))
    return submitted


def withdraw(ticket: Ticket, *, by, reason: str, expected_version=None) -> Ticket:
    return _transition(
        ticket,
        Action.WITHDRAW,
        by=by,
        note=reason,
        expected_version=expected_version,
        fields={"rejection_reason": f"Withdrawn: {reason}"},
    )


# --- Tier 3 -----------------------------------------------------------------------------------


def assign(ticket: Ticket, *, by, assignee, expected_version=None) -> Ticket:
    if not has_role(assignee, Role.HELP_DESK):
        raise ValidationError("Tickets are assigned to help desk staff.")

    return _transition(
        ticket,
        Action.ASSIGN,
        by=by,
        note=f"Assigned to {assignee.get_full_name() or assignee}.",
        expected_version=expected_version,
        internal_note=True,
        fields={"assignee": assignee},
        notify=() if assignee == by else ("assigned",),  # no email to oneself
    )


def escalate_to_mis(
    ticket: Ticket, *, by, note: str, mis_reference: str = "", expected_version=None
) -> Ticket:
    return _transition(
        ticket,
        Action.ESCALATE_TO_MIS,
        by=by,
        note=note,
        expected_version=expected_version,
        fields={"mis_reference": mis_reference} if mis_reference else {},
        notify=("escalated_to_mis", "escalated_notice"),
    )


def resolve(
    ticket: Ticket, *, by, resolution: str, expected_version=None, notify: bool = True
) -> Ticket:
    """``notify=False``: the caller tells the local expert itself (a notice's resolution sends
    each expert one message listing all their tickets)."""
    return _transition(
        ticket,
        Action.RESOLVE,
        by=by,
        note=resolution,
        expected_version=expected_version,
        fields={"resolution": resolution},
        notify=("resolved",) if notify else (),
    )


def reject(ticket: Ticket, *, by, reason: str, expected_version=None) -> Ticket:
    return _transition(
        ticket,
        Action.REJECT,
        by=by,
        note=reason,
        expected_version=expected_version,
        fields={"rejection_reason": reason},
        notify=("rejected",),
    )


def close(ticket: Ticket, *, by, note: str = "", expected_version=None) -> Ticket:
    return _transition(
        ticket, Action.CLOSE, by=by, note=note or "Closed.", expected_version=expected_version
    )


def reopen(ticket: Ticket, *, by, note: str, expected_version=None) -> Ticket:
    return _transition(
        ticket,
        Action.REOPEN,
        by=by,
        note=note,
        expected_version=expected_version,
        notify=("reopened",),
    )


# --- Tier 3 or 4: information ----------------------------------------------------------------


@transaction.atomic
def request_info(ticket: Ticket, *, by, question: str, expected_version=None) -> Ticket:
    done = _transition(
        ticket,
        Action.REQUEST_INFO,
        by=by,
        note="Information requested.",
        expected_version=expected_version,
    )
    message = _message(done, by=by, body=question, internal=False)
    notify_on_commit("info_requested", done, message_id=message.pk)
    return done


@transaction.atomic
def provide_info(
    ticket: Ticket, *, by, answer: str, source: str = Source.WEB, expected_version=None
) -> Ticket:
    done = _transition(
        ticket,
        Action.PROVIDE_INFO,
        by=by,
        note="Information provided.",
        expected_version=expected_version,
    )
    message = _message(done, by=by, body=answer, internal=False, source=source)
    notify_on_commit("info_provided", done, message_id=message.pk)
    return done


# --- Tier 4 -----------------------------------------------------------------------------------


def report_mis_resolution(ticket: Ticket, *, by, resolution: str, expected_version=None) -> Ticket:
    return _transition(
        ticket,
        Action.REPORT_MIS_RESOLUTION,
        by=by,
        note=resolution,
        expected_version=expected_version,
        fields={"mis_resolution": resolution},
        notify=("mis_resolved",),
    )


# --- Changes that are not transitions ------------------------------------------------------------


def _message(
    ticket, *, by, body: str, internal: bool, source: str = Source.WEB, author_label: str = ""
) -> TicketMessage:
    return TicketMessage.objects.create(
        ticket=ticket,
        author=by,
        author_label=author_label
        or ((by.get_full_name() or by.get_username()) if by else SYSTEM_LABEL),
        body=body,
        internal=internal,
        source=source,
    )


@transaction.atomic
def add_message(
    ticket: Ticket,
    *,
    by,
    body: str,
    internal: bool = False,
    source: str = Source.WEB,
    author_label: str = "",
) -> TicketMessage:
    """A reply or an internal note. A local expert's reply to a ticket waiting on them is the
    information asked for; to a resolved ticket, it reopens it. ``by`` is None for someone
    without a sign-in who may still write (a ticket's secondary contact, by email), named by
    ``author_label``."""
    if internal and not sees_internal_notes(by):
        raise PermissionDenied("Only help desk and MIS staff write internal notes.")
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    expert = is_designated_expert_of(by, locked.office_id)
    if not internal and expert and locked.state == TicketState.AWAITING_INFO:
        provide_info(locked, by=by, answer=body, source=source)
        return locked.messages.latest("created_at")
    if not internal and expert and locked.state == TicketState.RESOLVED:
        locked = reopen(locked, by=by, note="The local expert replied.")
    message = _message(
        locked, by=by, body=body, internal=internal, source=source, author_label=author_label
    )
    now = timezone.now()
    if has_role(by, Role.MIS):
        sla.on_mis_update(locked, now)
    if has_role(by, Role.HELP_DESK) and not internal and locked.first_response_at is None:
        locked.first_response_at = now
    _save(locked)
    if not internal:
        notify_on_commit("reply", locked, message_id=message.pk)
    return message


@transaction.atomic
def post_message(
    ticket: Ticket,
    *,
    by,
    body: str,
    internal: bool = False,
    files: list[tuple[str, bytes]] = (),
    source: str = Source.WEB,
) -> TicketMessage:
    """A message with its attachments, all or nothing: a refused file sends nothing."""
    message = add_message(ticket, by=by, body=body, internal=internal, source=source)
    for name, data in files:
        attach(ticket, by=by, name=name, data=data, message=message, internal=internal)
    return message


@transaction.atomic
def complete_report(ticket: Ticket, *, by, values: dict) -> list[str]:
    """The local expert sends fields the form was missing (the mail intake reads them from their
    reply): only fields still marked missing are set. Returns the labels filled."""
    if not is_designated_expert_of(by, ticket.office_id):
        raise PermissionDenied("Only the office's local expert completes its report.")
    locked = _locked(ticket, None)
    by_label = {str(Ticket._meta.get_field(name).verbose_name): name for name in values}
    filled = {
        by_label[label]: values[by_label[label]]
        for label in locked.incomplete_fields
        if label in by_label
    }
    if not filled:
        return []
    before = {name: str(getattr(locked, name)) for name in filled}
    for name, value in filled.items():
        setattr(locked, name, value)
    default_priority = PRIORITY_FOR_AFFECTED[WhoAffected.JUST_ME]
    if "who_affected" in filled and locked.priority == default_priority:
        # The priority followed a guess; now it follows the answer (unless staff changed it).
        locked.priority = PRIORITY_FOR_AFFECTED[filled["who_affected"]]
        sla.on_priority_change(locked, timezone.now())
    labels = [label for label in locked.incomplete_fields if by_label.get(label) in filled]
    locked.incomplete_fields = [f for f in locked.incomplete_fields if f not in labels]
    _save(locked)
    _event(locked, by=by, kind=EventKind.FORM_COMPLETED, note=", ".join(labels))
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked,
        before=before,
        after={name: str(getattr(locked, name)) for name in filled},
        note="Missing form fields received.",
    )
    return labels


@transaction.atomic
def set_priority(ticket: Ticket, *, by, priority: str, expected_version=None) -> Ticket:
    if not has_role(by, Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff change a ticket's priority.")
    locked = _locked(ticket, expected_version)
    before = locked.priority
    if before == priority:
        return locked
    locked.priority = Priority(priority)
    sla.on_priority_change(locked, timezone.now())
    _save(locked)
    _event(locked, by=by, kind=EventKind.PRIORITY, note=f"{before} to {priority}", internal=True)
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked,
        before={"priority": before},
        after={"priority": priority},
    )
    return locked


@transaction.atomic
def set_mis_reference(ticket: Ticket, *, by, mis_reference: str) -> Ticket:
    if not has_role(by, Role.HELP_DESK, Role.MIS):
        raise PermissionDenied("Only help desk and MIS staff record MIS's ticket number.")
    locked = _locked(ticket, None)
    before = locked.mis_reference
    locked.mis_reference = mis_reference.strip()
    _save(locked)
    _event(locked, by=by, kind=EventKind.MIS_REFERENCE, note=locked.mis_reference, internal=True)
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked,
        before={"mis_reference": before},
        after={"mis_reference": locked.mis_reference},
    )
    return locked


@transaction.atomic
def link_tickets(ticket: Ticket, other: Ticket, *, by) -> None:
    if not has_role(by, Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff link tickets.")
    _link(ticket, other, by=by)


def link_follow_on(new: Ticket, old: Ticket, *, by) -> None:
    """A new ticket opened by a reply to one closed long ago is linked to it (the mail intake)."""
    _link(new, old, by=by)


def _link(ticket: Ticket, other: Ticket, *, by) -> None:
    if ticket.pk == other.pk:
        raise ValidationError("A ticket cannot be linked to itself.")
    ticket.related.add(other)
    for one, two in ((ticket, other), (other, ticket)):
        _event(one, by=by, kind=EventKind.LINKED, note=two.reference, internal=True, linked=two.pk)
        push_ticket_changed_on_commit(one)
    record(AuditKind.CHANGED, actor=by, target=ticket, after={"linked": other.pk})
