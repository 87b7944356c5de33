"""Merging a duplicate report into another ticket (help desk staff).

The duplicate's messages, attachments and contacts move to the kept ticket; the duplicate is
taken through the one transition path (``merge``: it ends rejected, as a duplicate, with a
link to the kept ticket); both timelines say so, the audit trail records it, and the local
experts of both hear by email. ``plan_merge`` says what would move, for the confirmation page,
and refuses the same things ``merge`` does, from the same rules."""

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from escalation.workflow import FINAL_STATES, MERGEABLE_STATES, Action, TicketState
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.roles import Role
from helpdesk.models import AuditKind, EventKind, Ticket, TicketAttachment, TicketMessage
from helpdesk.models.tickets import TicketQuerySet
from helpdesk.tickets.notifications import expert_addresses, notify_on_commit
from helpdesk.tickets.services import TICKETS, record_event
from helpdesk.transitions import locked, save, transition


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    phone: str = ""

    def as_data(self, source: str) -> dict[str, str]:
        return {"name": self.name, "email": self.email, "phone": self.phone, "from": source}


@dataclass(frozen=True)
class MergePlan:
    """What merging ``duplicate`` into ``kept`` does, as the confirmation page states it."""

    duplicate: Ticket
    kept: Ticket
    messages: int
    attachments: int
    # The duplicate's contacts the kept ticket does not have yet (they will hear about it).
    contacts: list[Contact]
    # Who is told by email: the local experts of both tickets.
    told: list[str]
    across_offices: bool
    refusals: list[str] = field(default_factory=list)


def contacts_of(ticket: Ticket) -> list[Contact]:
    """Everyone a ticket's emails go to as its local expert, with their names."""
    found = [
        Contact(ticket.contact_name, ticket.contact_email, ticket.contact_phone),
        Contact(ticket.secondary_name, ticket.secondary_email, ticket.secondary_phone),
    ]
    if ticket.local_expert is not None:
        found.append(Contact(ticket.local_expert.full_name, ticket.local_expert.primary_email))
    found += [
        Contact(c.get("name", ""), c.get("email", ""), c.get("phone", ""))
        for c in ticket.extra_contacts
    ]
    return [c for c in found if c.email]


def _new_contacts(duplicate: Ticket, kept: Ticket) -> list[Contact]:
    known = {address.lower() for address in expert_addresses(kept)}
    new: list[Contact] = []
    for contact in contacts_of(duplicate):
        if contact.email.lower() not in known:
            known.add(contact.email.lower())
            new.append(contact)
    return new


def refusals(
    duplicate: Ticket,
    kept: Ticket,
    *,
    by: Actor,
    across_offices_confirmed: bool,
    state: bool = True,
) -> list[str]:
    """Why this merge cannot be done now, in plain words (none: it can)."""
    if not (by.is_active and by.has_role(Role.HELP_DESK)):
        return [_("Only help desk staff merge tickets.")]
    found: list[str] = []
    if duplicate.pk == kept.pk:
        found.append(_("A ticket cannot be merged into itself."))
    if state and duplicate.state not in MERGEABLE_STATES:
        found.append(
            _("%(ticket)s is %(state)s: only a report the help desk or MIS is working is merged.")
            % {"ticket": duplicate.reference, "state": duplicate.get_state_display().lower()}
        )
    if kept.state in FINAL_STATES:
        found.append(
            _("%(ticket)s is %(state)s: a report is not merged into a finished ticket.")
            % {"ticket": kept.reference, "state": kept.get_state_display().lower()}
        )
    elif kept.state == TicketState.WITH_LOCAL_EXPERT:
        found.append(
            _("%(ticket)s has not reached the help desk yet.") % {"ticket": kept.reference}
        )
    if duplicate.office_id != kept.office_id and not across_offices_confirmed:
        found.append(
            _(
                "%(duplicate)s is from %(office)s and %(kept)s from %(other)s: confirm the merge "
                "across offices (the kept ticket's local expert will see the duplicate's messages)."
            )
            % {
                "duplicate": duplicate.reference,
                "office": duplicate.office,
                "kept": kept.reference,
                "other": kept.office,
            }
        )
    return found


def candidates(duplicate: Ticket, *, visible: TicketQuerySet) -> QuerySet[Ticket]:
    """Tickets likely to be the same problem, offered on the merge page: open at the help desk
    or MIS, from the same office, about the same system (``visible``: what the actor sees)."""
    return (
        visible.open()
        .filter(office_id=duplicate.office_id, system=duplicate.system)
        .exclude(pk=duplicate.pk)
        .exclude(state=TicketState.WITH_LOCAL_EXPERT)
        .order_by("created_at", "id")[:10]
    )


def plan_merge(
    duplicate: Ticket, kept: Ticket, *, by: Actor, across_offices_confirmed: bool = False
) -> MergePlan:
    told = expert_addresses(duplicate) + expert_addresses(kept)
    return MergePlan(
        duplicate=duplicate,
        kept=kept,
        messages=duplicate.messages.count(),
        attachments=duplicate.attachments.count(),
        contacts=_new_contacts(duplicate, kept),
        told=sorted({address.lower(): address for address in told}.values()),
        across_offices=duplicate.office_id != kept.office_id,
        refusals=refusals(
            duplicate, kept, by=by, across_offices_confirmed=across_offices_confirmed
        ),
    )


@transaction.atomic
def merge(
    duplicate: Ticket,
    kept: Ticket,
    *,
    by: Actor,
    across_offices_confirmed: bool = False,
    expected_version: int | None = None,
) -> Ticket:
    """Merge ``duplicate`` into ``kept`` and return the kept ticket. ``expected_version``: the
    duplicate's version the confirmation page showed (a change since is a conflict)."""
    if not (by.is_active and by.has_role(Role.HELP_DESK)):
        raise PermissionDenied(_("Only help desk staff merge tickets."))
    if duplicate.pk == kept.pk:
        raise ValidationError(_("A ticket cannot be merged into itself."))
    # Both rows locked, the lower id first, so two merges of the same pair cannot deadlock.
    first, second = sorted((duplicate, kept), key=lambda t: t.pk)
    rows = {row.pk: row for row in (locked(first, TICKETS), locked(second, TICKETS))}
    dup_row, kept_row = rows[duplicate.pk], rows[kept.pk]
    # The duplicate's state is the transition path's to judge, as it is now (a conflict).
    refused = refusals(
        dup_row, kept_row, by=by, across_offices_confirmed=across_offices_confirmed, state=False
    )
    if refused:
        raise ValidationError(refused)
    done = transition(
        dup_row,
        Action.MERGE,
        machine=TICKETS,
        by=by,
        note=_("Merged into %(ticket)s.") % {"ticket": kept_row.reference},
        expected_version=expected_version,
        changes={
            "merged_into": kept_row,
            "rejection_reason": _("Duplicate of %(ticket)s: merged into it.")
            % {"ticket": kept_row.reference},
        },
    )
    new_contacts = _new_contacts(done, kept_row)
    moved_messages = TicketMessage.objects.filter(ticket=done).update(ticket=kept_row)
    moved_files = TicketAttachment.objects.filter(ticket=done).update(ticket=kept_row)
    source = done.reference
    kept_row.extra_contacts = [
        *kept_row.extra_contacts,
        *(contact.as_data(source) for contact in new_contacts),
    ]
    save(kept_row, TICKETS)
    moved: dict[str, Any] = {
        "messages": moved_messages,
        "attachments": moved_files,
        "contacts": [contact.email for contact in new_contacts],
    }
    record_event(
        kept_row,
        by=by,
        kind=EventKind.MERGED,
        note=_(
            "%(ticket)s (%(summary)s) merged into this ticket: %(messages)d messages, "
            "%(attachments)d attachments and %(contacts)d contacts moved here."
        )
        % {
            "ticket": source,
            "summary": done.summary,
            "messages": moved_messages,
            "attachments": moved_files,
            "contacts": len(new_contacts),
        },
        merged=done.pk,
    )
    record_event(
        done,
        by=by,
        kind=EventKind.MERGED,
        note=_("Merged into %(ticket)s, where its messages, attachments and contacts are now.")
        % {"ticket": kept_row.reference},
        merged=kept_row.pk,
    )
    record(
        AuditKind.CHANGED,
        actor=by,
        target=kept_row,
        before={"merged_from": None},
        after={"merged_from": done.pk, **moved},
        note=_("Merged %(duplicate)s into %(kept)s.")
        % {"duplicate": source, "kept": kept_row.reference},
    )
    notify_on_commit("merged", done)
    return kept_row
