"""Ticket use cases. Every state change is one function here, taken through the one
transition path (``helpdesk.transitions``): the row is locked, the version the actor saw is
checked (a stale page gets a conflict, never an overwrite), the permission is checked
(``tickets.permissions.may_act``), the SLA clocks move, and an audit event and a timeline entry
are written; email and live updates leave after the commit.

How a Problem Report first reaches the help desk (from the web, by email, released from the
mail quarantine) is ``helpdesk.reports``; they all file it through ``file_problem_report``."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from escalation import sla
from escalation.workflow import Action, Priority, TicketKind, TicketState
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.permissions import is_designated_expert_of
from helpdesk.directory.roles import Role
from helpdesk.events import emit
from helpdesk.lib.sequences import next_tracking_number
from helpdesk.models import (
    PRIORITY_FOR_AFFECTED,
    AuditKind,
    EventKind,
    Notice,
    Office,
    Person,
    Source,
    Ticket,
    TicketEvent,
    TicketMessage,
    User,
    WhoAffected,
    report_field_label,
)
from helpdesk.tickets.attachments import attach
from helpdesk.tickets.live import push_ticket_changed, push_tickets_changed
from helpdesk.tickets.notifications import notify_on_commit
from helpdesk.tickets.permissions import may_act, sees_internal_notes
from helpdesk.transitions import Batch, Machine, Step, locked, save, transition, transition_many

# Help desk bookkeeping that agency staff do not see on the timeline.
INTERNAL_ACTIONS = frozenset({Action.ASSIGN})


def _lock(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().select_related("office").get(pk=ticket.pk)


def _lock_many(ids: Any) -> "QuerySet[Ticket]":
    """The batch form of ``_lock`` (``transition_many``): only the ticket rows are locked, and
    those another worker holds are skipped, not waited for."""
    rows = Ticket.objects.filter(pk__in=ids).select_related("office")
    return rows.select_for_update(skip_locked=True, of=("self",)).order_by("pk")


def _move_clocks(ticket: Ticket, step: Step) -> None:
    sla.on_transition(ticket, step.source, step.target, step.at)


def _timeline(ticket: Ticket, step: Step) -> TicketEvent:
    return _event_row(
        ticket,
        by=step.by,
        kind=EventKind.TRANSITION,
        action=step.action,
        source=step.source,
        target=step.target,
        note=step.note,
        internal=step.action in INTERNAL_ACTIONS,
    )


def event_data(ticket: Ticket) -> dict[str, Any]:
    """What the ticket's events (``helpdesk.events``) say of it: numbers and ids, never its
    summary, description or the people on it."""
    return {
        "id": ticket.pk,
        "tracking_number": ticket.tracking_number,
        "state": ticket.state,
        "kind": ticket.kind,
        "priority": ticket.priority,
        "system": ticket.system,
        "office_id": ticket.office_id,
        "agency_id": ticket.office.agency_id,
    }


def announce_created(ticket: Ticket) -> None:
    """The ``ticket.created`` event, from the services that create a ticket (here and
    ``helpdesk.reports``)."""
    emit("ticket.created", event_data(ticket))


TICKETS: Machine[Ticket] = Machine(
    noun="ticket",
    lock=_lock,
    may=may_act,
    refusal=lambda action: f"You may not {Action(action).label.lower()} this ticket.",
    prepare=_move_clocks,
    timeline=_timeline,
    on_commit=push_ticket_changed,
    events=lambda step: ("ticket.state_changed",),
    payload=event_data,
    on_commit_many=push_tickets_changed,
    lock_many=_lock_many,
)


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
    kind: str = TicketKind.PROBLEM


def record_event(
    ticket: Ticket,
    *,
    by: Actor,
    kind: str,
    note: str = "",
    internal: bool = False,
    target: str = "",
    **data: Any,
) -> TicketEvent:
    """A timeline line written by another service (a report arriving, a notice linking);
    ``data``: what the page links to (e.g. ``merged=<ticket id>``)."""
    return _event(ticket, by=by, kind=kind, note=note, internal=internal, target=target, **data)


def record_notified(ticket: Ticket, *, note: str) -> None:
    """An email about the ticket sent by another service, on the ticket's timeline."""
    by = Actor.system("email sent")
    _event(ticket, by=by, kind=EventKind.NOTIFIED, note=note, internal=True)


def _event(ticket: Ticket, *, by: Actor, kind: str, **fields: Any) -> TicketEvent:
    """A timeline line, saved (``_event_row`` says what it holds)."""
    event = _event_row(ticket, by=by, kind=kind, **fields)
    event.save(force_insert=True)
    return event


def record_event_on_each(
    ticket_ids: list[int],
    *,
    by: Actor,
    kind: str,
    note: str = "",
    at: datetime | None = None,
    **data: Any,
) -> None:
    """The same timeline line on each of ``ticket_ids`` (the SLA sweep's breaches), written by
    the database from the ids in one ``INSERT ... SELECT``: no row is built in Python, the
    values are the fields' own database forms (``get_db_prep_save``), as ``_event`` saves them."""
    if not ticket_ids:
        return
    quote = connection.ops.quote_name
    values = {
        "at": at or timezone.now(),
        "actor_id": by.user.pk if by.user else None,
        "actor_label": by.label,
        "kind": kind,
        "action": "",
        "from_state": "",
        "to_state": "",
        "note": note,
        "internal": False,
        "data": data,
    }
    fields = {f.attname: f for f in TicketEvent._meta.concrete_fields}
    params = [fields[name].get_db_prep_save(value, connection) for name, value in values.items()]
    columns = ", ".join(quote(name) for name in ["ticket_id", *values])
    constants = ", ".join(["%s"] * len(values))
    ids = ", ".join(["%s"] * len(ticket_ids))
    events, tickets, pk = (
        quote(TicketEvent._meta.db_table),
        quote(Ticket._meta.db_table),
        quote(Ticket._meta.pk.column),
    )
    # Names from the models, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {events} ({columns}) SELECT {pk}, {constants} FROM {tickets} "  # noqa: S608
        f"WHERE {pk} IN ({ids}) ORDER BY {pk}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ticket_ids])


def _event_row(
    ticket: Ticket,
    *,
    by: Actor,
    kind: str,
    note: str = "",
    internal: bool = False,
    action: str = "",
    source: str = "",
    target: str = "",
    **data: Any,
) -> TicketEvent:
    """A timeline line, unsaved (the transition path saves a batch of them at once)."""
    return TicketEvent(
        ticket=ticket,
        actor=by.user,
        actor_label=by.label,
        kind=kind,
        action=action,
        from_state=source,
        to_state=target,
        note=note,
        internal=internal,
        data=data,
    )


# --- The Problem Report Form reaches the help desk ----------------------------------------------


@transaction.atomic
def file_problem_report(
    report: ProblemReport,
    *,
    by: Actor,
    office: Office,
    local_expert: Person | None,
    source: str,
    note: str,
    incomplete_fields: list[str] | None = None,
    from_ticket: Ticket | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """The core every way of reporting shares (``helpdesk.reports``): a new ticket, or the
    agency user's report (``from_ticket``) completed, moves to the help desk with the form's
    fields, the priority they imply and its clocks; a new ticket takes its tracking number
    here, an agency user's report keeps the one it was given when reported. ``by`` must be a local
    expert of the office, or the system releasing a report from the mail quarantine."""
    if from_ticket is None:
        ticket = Ticket.objects.create(
            # Taken in this transaction: a refused or conflicting filing gives its number back.
            tracking_number=next_tracking_number(),
            office=office,
            created_by=by.user,
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
        announce_created(ticket)
        expected_version = ticket.version
    else:
        ticket = from_ticket
    changes = {
        **vars(report),
        "priority": PRIORITY_FOR_AFFECTED[report.who_affected],
        "local_expert": local_expert,
        "source": source,
        "incomplete_fields": incomplete_fields or [],
    }
    if not ticket.tracking_number:  # a ticket from before numbers were given at creation
        changes["tracking_number"] = next_tracking_number()
    return transition(
        ticket,
        Action.ESCALATE_TO_HELP_DESK,
        machine=TICKETS,
        by=by,
        note=note,
        expected_version=expected_version,
        changes=changes,
        created_here=from_ticket is None,
    )


# --- Tier 2 ---------------------------------------------------------------------------------------


@transaction.atomic
def resolve_locally(
    ticket: Ticket, *, by: Actor, resolution: str, expected_version: int | None = None
) -> Ticket:
    done = transition(
        ticket,
        Action.RESOLVE_LOCALLY,
        machine=TICKETS,
        by=by,
        note=resolution,
        expected_version=expected_version,
        changes={"resolution": resolution},
    )
    notify_on_commit("resolved_locally", done)
    return done


def withdraw(
    ticket: Ticket, *, by: Actor, reason: str, expected_version: int | None = None
) -> Ticket:
    return transition(
        ticket,
        Action.WITHDRAW,
        machine=TICKETS,
        by=by,
        note=reason,
        expected_version=expected_version,
        changes={"rejection_reason": f"Withdrawn: {reason}"},
    )


# --- Tier 3 -----------------------------------------------------------------------------------


@transaction.atomic
def assign(
    ticket: Ticket,
    *,
    by: Actor,
    assignee: User,
    expected_version: int | None = None,
    notify: bool = True,
) -> Ticket:
    """``notify=False``: the caller tells the local expert itself (a notice's resolution takes
    its submitted tickets on only to resolve them at once, and says so in one message)."""
    if not Actor.of(assignee).has_role(Role.HELP_DESK):
        raise ValidationError("Tickets are assigned to help desk staff.")
    row = locked(ticket, TICKETS, expected_version)
    taken_on = row.state == TicketState.SUBMITTED  # the desk takes it; not a reassignment
    done = transition(
        row,
        Action.ASSIGN,
        machine=TICKETS,
        by=by,
        note=f"Assigned to {assignee.get_full_name() or assignee}.",
        expected_version=expected_version,
        changes={"assignee": assignee},
    )
    if assignee != by.user:  # no email to oneself
        notify_on_commit("assigned", done)
    if taken_on and notify:
        notify_on_commit("taken_on", done)
    return done


@transaction.atomic
def escalate_to_mis(
    ticket: Ticket,
    *,
    by: Actor,
    note: str,
    mis_reference: str = "",
    expected_version: int | None = None,
) -> Ticket:
    done = transition(
        ticket,
        Action.ESCALATE_TO_MIS,
        machine=TICKETS,
        by=by,
        note=note,
        expected_version=expected_version,
        changes={"mis_reference": mis_reference} if mis_reference else {},
    )
    notify_on_commit("escalated_to_mis", done)
    notify_on_commit("escalated_notice", done)
    return done


@transaction.atomic
def resolve(
    ticket: Ticket,
    *,
    by: Actor,
    resolution: str,
    expected_version: int | None = None,
    notify: bool = True,
) -> Ticket:
    """``notify=False``: the caller tells the local expert itself (a notice's resolution sends
    each expert one message listing all their tickets)."""
    done = transition(
        ticket,
        Action.RESOLVE,
        machine=TICKETS,
        by=by,
        note=resolution,
        expected_version=expected_version,
        changes={"resolution": resolution},
    )
    if notify:
        notify_on_commit("resolved", done)
    return done


@transaction.atomic
def reject(
    ticket: Ticket, *, by: Actor, reason: str, expected_version: int | None = None
) -> Ticket:
    done = transition(
        ticket,
        Action.REJECT,
        machine=TICKETS,
        by=by,
        note=reason,
        expected_version=expected_version,
        changes={"rejection_reason": reason},
    )
    notify_on_commit("rejected", done)
    return done


def close(
    ticket: Ticket, *, by: Actor, note: str = "", expected_version: int | None = None
) -> Ticket:
    return transition(
        ticket,
        Action.CLOSE,
        machine=TICKETS,
        by=by,
        note=note or "Closed.",
        expected_version=expected_version,
    )


def close_many(tickets: Any, *, by: Actor, note: str = "") -> Batch[Ticket]:
    """``close`` for a batch (the SLA sweep's auto-close), in one transaction: ``tickets``
    are ids, a queryset, or ids mapped to the version the caller read; those that cannot be
    closed now (held by another worker, changed since, not resolved any more) are skipped."""
    return transition_many(tickets, Action.CLOSE, machine=TICKETS, by=by, note=note or "Closed.")


@transaction.atomic
def reopen(ticket: Ticket, *, by: Actor, note: str, expected_version: int | None = None) -> Ticket:
    done = transition(
        ticket, Action.REOPEN, machine=TICKETS, by=by, note=note, expected_version=expected_version
    )
    notify_on_commit("reopened", done)
    return done


# --- Tier 3 or 4: information ----------------------------------------------------------------


@transaction.atomic
def request_info(
    ticket: Ticket, *, by: Actor, question: str, expected_version: int | None = None
) -> Ticket:
    done = transition(
        ticket,
        Action.REQUEST_INFO,
        machine=TICKETS,
        by=by,
        note="Information requested.",
        expected_version=expected_version,
    )
    message = _message(done, by=by, body=question, internal=False)
    notify_on_commit("info_requested", done, message_id=message.pk)
    return done


@transaction.atomic
def provide_info(
    ticket: Ticket,
    *,
    by: Actor,
    answer: str,
    source: str = Source.WEB,
    expected_version: int | None = None,
) -> Ticket:
    done = transition(
        ticket,
        Action.PROVIDE_INFO,
        machine=TICKETS,
        by=by,
        note="Information provided.",
        expected_version=expected_version,
    )
    message = _message(done, by=by, body=answer, internal=False, source=source)
    notify_on_commit("info_provided", done, message_id=message.pk)
    return done


# --- Tier 4 -----------------------------------------------------------------------------------


@transaction.atomic
def report_mis_resolution(
    ticket: Ticket, *, by: Actor, resolution: str, expected_version: int | None = None
) -> Ticket:
    done = transition(
        ticket,
        Action.REPORT_MIS_RESOLUTION,
        machine=TICKETS,
        by=by,
        note=resolution,
        expected_version=expected_version,
        changes={"mis_resolution": resolution},
    )
    notify_on_commit("mis_resolved", done)
    notify_on_commit("mis_resolved_notice", done)
    return done


# --- Changes that are not transitions ------------------------------------------------------------


def _message(
    ticket: Ticket,
    *,
    by: Actor,
    body: str,
    internal: bool,
    source: str = Source.WEB,
    author_label: str = "",
) -> TicketMessage:
    message = TicketMessage.objects.create(
        ticket=ticket,
        author=by.user,
        author_label=author_label or by.display_name,
        body=body,
        internal=internal,
        source=source,
    )
    emit(
        "ticket.message_added",
        {
            **event_data(ticket),
            "message": {"id": message.pk, "internal": internal, "source": source},
        },
    )
    return message


@transaction.atomic
def add_message(
    ticket: Ticket,
    *,
    by: Actor,
    body: str,
    internal: bool = False,
    source: str = Source.WEB,
    author_label: str = "",
) -> TicketMessage:
    """A reply or an internal note. A local expert's reply to a ticket waiting on them is the
    information asked for; to a resolved ticket, it reopens it. The system writes for someone
    without a sign-in who may still write (a ticket's secondary contact, by email), named by
    ``author_label``."""
    if internal and not sees_internal_notes(by.user):
        raise PermissionDenied("Only help desk and MIS staff write internal notes.")
    row = locked(ticket, TICKETS)
    expert = is_designated_expert_of(by.user, row.office_id)
    if not internal and expert and row.state == TicketState.AWAITING_INFO:
        provide_info(row, by=by, answer=body, source=source)
        return row.messages.latest("created_at")
    if not internal and expert and row.state == TicketState.RESOLVED:
        row = reopen(row, by=by, note="The local expert replied.")
    message = _message(
        row, by=by, body=body, internal=internal, source=source, author_label=author_label
    )
    now = timezone.now()
    if by.has_role(Role.MIS):
        sla.on_mis_update(row, now)
    if by.has_role(Role.HELP_DESK) and not internal and row.first_response_at is None:
        row.first_response_at = now
    save(row, TICKETS)
    if not internal:
        notify_on_commit("reply", row, message_id=message.pk)
    return message


@transaction.atomic
def post_message(
    ticket: Ticket,
    *,
    by: Actor,
    body: str,
    internal: bool = False,
    files: list[tuple[str, bytes]] | tuple[()] = (),
    source: str = Source.WEB,
) -> TicketMessage:
    """A message with its attachments, all or nothing: a refused file sends nothing."""
    message = add_message(ticket, by=by, body=body, internal=internal, source=source)
    for name, data in files:
        attach(ticket, by=by, name=name, data=data, message=message, internal=internal)
    return message


@transaction.atomic
def complete_report(ticket: Ticket, *, by: Actor, values: dict[str, Any]) -> list[str]:
    """The local expert sends fields the form was missing (the mail intake reads them from their
    reply): only fields still marked missing are set. Returns the labels filled."""
    if not is_designated_expert_of(by.user, ticket.office_id):
        raise PermissionDenied("Only the office's local expert completes its report.")
    row = locked(ticket, TICKETS)
    by_label = {report_field_label(name): name for name in values}
    filled = {
        by_label[label]: values[by_label[label]]
        for label in row.incomplete_fields
        if label in by_label
    }
    if not filled:
        return []
    before = {name: str(getattr(row, name)) for name in filled}
    for name, value in filled.items():
        setattr(row, name, value)
    default_priority = PRIORITY_FOR_AFFECTED[WhoAffected.JUST_ME]
    if "who_affected" in filled and row.priority == default_priority:
        # The priority followed a guess; now it follows the answer (unless staff changed it).
        row.priority = PRIORITY_FOR_AFFECTED[filled["who_affected"]]
        sla.on_priority_change(row, timezone.now())
    labels = [label for label in row.incomplete_fields if by_label.get(label) in filled]
    row.incomplete_fields = [f for f in row.incomplete_fields if f not in labels]
    save(row, TICKETS)
    _event(row, by=by, kind=EventKind.FORM_COMPLETED, note=", ".join(labels))
    record(
        AuditKind.CHANGED,
        actor=by,
        target=row,
        before=before,
        after={name: str(getattr(row, name)) for name in filled},
        note="Missing form fields received.",
    )
    return labels


@transaction.atomic
def set_priority(
    ticket: Ticket, *, by: Actor, priority: str, expected_version: int | None = None
) -> Ticket:
    if not by.has_role(Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff change a ticket's priority.")
    row = locked(ticket, TICKETS, expected_version)
    before = row.priority
    if before == priority:
        return row
    row.priority = Priority(priority)
    sla.on_priority_change(row, timezone.now())
    save(row, TICKETS)
    _event(row, by=by, kind=EventKind.PRIORITY, note=f"{before} to {priority}", internal=True)
    record(
        AuditKind.CHANGED,
        actor=by,
        target=row,
        before={"priority": before},
        after={"priority": priority},
    )
    return row


@transaction.atomic
def set_mis_reference(ticket: Ticket, *, by: Actor, mis_reference: str) -> Ticket:
    if not by.has_role(Role.HELP_DESK, Role.MIS):
        raise PermissionDenied("Only help desk and MIS staff record MIS's ticket number.")
    row = locked(ticket, TICKETS)
    before = row.mis_reference
    if before == mis_reference.strip():
        return row  # nothing changed: nothing to record, nobody to tell
    row.mis_reference = mis_reference.strip()
    save(row, TICKETS)
    # The number it replaces stays findable (the search finds a ticket by any number it had).
    _event(
        row,
        by=by,
        kind=EventKind.MIS_REFERENCE,
        note=row.mis_reference,
        internal=True,
        previous=before,
    )
    record(
        AuditKind.CHANGED,
        actor=by,
        target=row,
        before={"mis_reference": before},
        after={"mis_reference": row.mis_reference},
    )
    notify_on_commit("mis_reference_changed", row, previous=before)
    return row


@transaction.atomic
def take_mis_ownership(ticket: Ticket, *, by: Actor, expected_version: int | None = None) -> Ticket:
    """An MIS staff member takes an open ticket that reached MIS on: from now on MIS mail
    about it goes to them, not to every MIS user. Taking it from a colleague is allowed (they
    may be away); the timeline says who had it."""
    if not by.has_role(Role.MIS) or by.user is None:
        raise PermissionDenied(_("Only MIS staff take ownership of a ticket."))
    row = locked(ticket, TICKETS, expected_version)
    if row.mis_escalated_at is None or not row.is_open:
        raise ValidationError(_("Only an open ticket that reached MIS has an MIS owner."))
    before = row.mis_owner
    if before == by.user:
        return row
    row.mis_owner = by.user
    save(row, TICKETS)
    note = (
        _("MIS owner: %(new)s (was %(old)s).") % {"new": by.display_name, "old": _name(before)}
        if before
        else _("MIS owner: %(new)s.") % {"new": by.display_name}
    )
    _event(row, by=by, kind=EventKind.MIS_OWNER, note=note, internal=True)
    record(
        AuditKind.CHANGED,
        actor=by,
        target=row,
        before={"mis_owner": before.pk if before else None},
        after={"mis_owner": by.user.pk},
    )
    return row


def _name(user: User) -> str:
    return user.get_full_name() or user.get_username()


@transaction.atomic
def link_tickets(ticket: Ticket, other: Ticket, *, by: Actor) -> None:
    if not by.has_role(Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff link tickets.")
    _link(ticket, other, by=by)


def link_follow_on(new: Ticket, old: Ticket, *, by: Actor) -> None:
    """A new ticket opened by a reply to one closed long ago is linked to it (the mail intake)."""
    _link(new, old, by=by)


def _link(ticket: Ticket, other: Ticket, *, by: Actor) -> None:
    if ticket.pk == other.pk:
        raise ValidationError("A ticket cannot be linked to itself.")
    ticket.related.add(other)
    for one, two in ((ticket, other), (other, ticket)):
        _event(one, by=by, kind=EventKind.LINKED, note=two.reference, internal=True, linked=two.pk)
        transaction.on_commit(partial(push_ticket_changed, one))
    record(AuditKind.CHANGED, actor=by, target=ticket, after={"linked": other.pk})


@transaction.atomic
def set_notice(
    ticket: Ticket, notice: Notice | None, *, by: Actor, expected_version: int | None = None
) -> None:
    """File the ticket under a notice of the same problem, or under none; the caller (the
    notices' services) has checked the actor may."""
    row = locked(ticket, TICKETS, expected_version)
    previous = row.notice_id
    if previous == (notice.pk if notice else None):
        return
    row.notice = notice
    save(row, TICKETS)
    ticket.notice, ticket.version = notice, row.version
    note = (
        f"{notice.reference}: {notice.title}"
        if notice
        else f"No longer linked to Notice {previous}."
    )
    _event(row, by=by, kind=EventKind.NOTICE, note=note)
    record(
        AuditKind.CHANGED,
        actor=by,
        target=row,
        before={"notice": previous},
        after={"notice": notice.pk} if notice else {},
    )


# Each workflow action as the ticket page and the API take it, from the cleaned data of its
# form (helpdesk.tickets.forms) and the version the actor saw: one service each.
ActionCall = Callable[[Ticket, Actor, dict[str, Any], int], Ticket]

ACTION_CALLS: dict[Action, ActionCall] = {
    Action.RESOLVE_LOCALLY: lambda t, by, d, v: resolve_locally(
        t, by=by, resolution=d["resolution"], expected_version=v
    ),
    Action.ASSIGN: lambda t, by, d, v: assign(t, by=by, assignee=d["assignee"], expected_version=v),
    Action.ESCALATE_TO_MIS: lambda t, by, d, v: escalate_to_mis(
        t, by=by, note=d["note"], mis_reference=d["mis_reference"], expected_version=v
    ),
    Action.REQUEST_INFO: lambda t, by, d, v: request_info(
        t, by=by, question=d["question"], expected_version=v
    ),
    Action.PROVIDE_INFO: lambda t, by, d, v: provide_info(
        t, by=by, answer=d["answer"], expected_version=v
    ),
    Action.REPORT_MIS_RESOLUTION: lambda t, by, d, v: report_mis_resolution(
        t, by=by, resolution=d["resolution"], expected_version=v
    ),
    Action.RESOLVE: lambda t, by, d, v: resolve(
        t, by=by, resolution=d["resolution"], expected_version=v
    ),
    Action.REOPEN: lambda t, by, d, v: reopen(
        t, by=by, note=d["note"] or "Reopened.", expected_version=v
    ),
    Action.CLOSE: lambda t, by, d, v: close(t, by=by, note=d["note"], expected_version=v),
    Action.REJECT: lambda t, by, d, v: reject(t, by=by, reason=d["reason"], expected_version=v),
    Action.WITHDRAW: lambda t, by, d, v: withdraw(t, by=by, reason=d["reason"], expected_version=v),
}
