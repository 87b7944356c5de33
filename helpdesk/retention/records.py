"""The help desk's kinds of record for the retention rules (``helpdesk.retention.kinds``):
tickets (with their messages, attachments, timeline, merged duplicates and mail), inbound and
outbound mail not tied to a ticket, and the audit trail. Registered from ``HelpdeskConfig``."""

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Cast, Coalesce, Lower
from django.db.models.lookups import In

from escalation.workflow import FINAL_STATES
from helpdesk.audit_export import audit_scopes
from helpdesk.models import (
    Agency,
    AuditEvent,
    InboundMessage,
    InboundStatus,
    OutboundEmail,
    OutboundRecipient,
    OutboundStatus,
    Outcome,
    Person,
    PersonEmail,
    Ticket,
    TicketAttachment,
)
from helpdesk.retention.kinds import Holds, RecordKind


def held_addresses(holds: Holds) -> models.QuerySet[Any]:
    """The lower-cased addresses of the people a hold covers (a person's, an agency's)."""
    people = Q(person__in=holds.persons) | Q(person__office__agency__in=holds.agencies)
    return PersonEmail.objects.filter(people).annotate(low=Lower("address")).values("low")


# --- Tickets ------------------------------------------------------------------------------------


def _ticket_files(tickets: models.QuerySet[Any]) -> list[str]:
    with_merged = Q(ticket__in=tickets) | Q(ticket__merged_into__in=tickets)
    return [
        name
        for name in TicketAttachment.objects.filter(with_merged).values_list("file", flat=True)
        if name
    ]


def _delete_tickets(tickets: models.QuerySet[Any]) -> int:
    """A ticket goes with its merged duplicates (part of its record since the merge) and the
    mail about it; messages, attachments and the timeline follow by cascade."""
    ids = list(tickets.values_list("pk", flat=True))
    merged = list(Ticket.objects.filter(merged_into__in=ids).values_list("pk", flat=True))
    every = ids + merged
    InboundMessage.objects.filter(ticket__in=every).delete()
    OutboundEmail.objects.filter(ticket__in=every).delete()
    Ticket.objects.filter(pk__in=merged).delete()
    deleted, _ = Ticket.objects.filter(pk__in=ids).delete()
    return deleted


TICKETS = RecordKind(
    key="tickets",
    model=Ticket,
    clocks={"closed": lambda: Coalesce("closed_at", "state_changed_at", "created_at")},
    # Finished, and not a duplicate merged into another ticket (it goes with that one).
    finished=lambda: Q(state__in=FINAL_STATES, merged_into__isnull=True),
    person_paths=("reported_by", "local_expert", "merged_from__reported_by"),
    agency_paths=("office__agency",),
    ticket_paths=("pk", "merged_from"),
    files=_ticket_files,
    delete=_delete_tickets,
    order=10,
    label="tickets",
)

# --- Mail ---------------------------------------------------------------------------------------

INBOUND_MAIL = RecordKind(
    key="inbound_mail",
    model=InboundMessage,
    clocks={
        "received": lambda: F("received_at"),
        "processed": lambda: Coalesce("processed_at", "received_at"),
    },
    # Processed and decided (a quarantined message waits for a person), and not about a
    # ticket: that mail goes with its ticket.
    finished=lambda: (
        Q(status=InboundStatus.PROCESSED, ticket__isnull=True) & ~Q(outcome=Outcome.QUARANTINED)
    ),
    also_held=lambda holds: Q(In(Lower("from_address"), held_addresses(holds))),
    order=20,
    label="inbound mail",
)

OUTBOUND_MAIL = RecordKind(
    key="outbound_mail",
    model=OutboundEmail,
    clocks={
        "sent": lambda: Coalesce("sent_at", "created_at"),
        "queued": lambda: F("created_at"),
    },
    finished=lambda: Q(ticket__isnull=True) & ~Q(status=OutboundStatus.PENDING),
    also_held=lambda holds: Q(
        pk__in=OutboundRecipient.objects.filter(address__in=held_addresses(holds)).values("email")
    ),
    order=20,
    label="outgoing mail",
)

# --- The audit trail ----------------------------------------------------------------------------


def audit_rows_held(holds: Holds) -> Q:
    """Audit rows about what a hold covers: the records each app's audit scope ties to the held
    person or agency (as the monitors' export reads them), the held tickets, and what the held
    people did themselves."""
    covered = Q(pk__in=[])
    # An agency's scope already covers its people's records: one filter per held agency and
    # per held person, never one per person of a held agency.
    subjects: list[tuple[str, Any]] = [
        ("agency", agency) for agency in Agency.objects.filter(pk__in=holds.agencies)
    ]
    subjects += [("person", person) for person in Person.objects.filter(pk__in=holds.persons)]
    people = Person.objects.filter(Q(pk__in=holds.persons) | Q(office__agency__in=holds.agencies))
    for side, subject in subjects:
        for scope in audit_scopes:
            rule = getattr(scope, side)
            if rule is None:
                continue
            ids = scope.model._default_manager.filter(rule(subject)).values_list(
                Cast("pk", models.CharField()), flat=True
            )
            kind = ContentType.objects.get_for_model(scope.model, for_concrete_model=False)
            covered |= Q(target_type=kind, target_id__in=ids)
    users = people.filter(user__isnull=False).values("user")
    covered |= Q(actor__in=users)
    if holds.tickets:
        ticket_type = ContentType.objects.get_for_model(Ticket)
        covered |= Q(target_type=ticket_type, target_id__in=[str(pk) for pk in holds.tickets])
    return covered


AUDIT = RecordKind(
    key="audit",
    model=AuditEvent,
    clocks={"written": lambda: F("at")},
    finished=lambda: Q(seq__isnull=False),
    also_held=audit_rows_held,
    chain=True,
    order=1000,  # last: the purges of the other kinds are audited first
    label="audit trail",
)

KINDS = [TICKETS, INBOUND_MAIL, OUTBOUND_MAIL, AUDIT]
