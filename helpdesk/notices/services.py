"""Notices of system problems to the field: publish, update and resolve them, email every
local expert of the audience one message each, link the tickets that report the same problem,
and spot a possible outage before anyone has published a notice."""

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from escalation.workflow import OPEN_STATES, TicketState
from helpdesk import emails as bulk_mail
from helpdesk.audit import record, snapshot
from helpdesk.directory.permissions import person_of, sees_all_agencies
from helpdesk.directory.roles import Role, has_role, roles_of
from helpdesk.models import (
    SEVERITY_RANK,
    Agency,
    AuditKind,
    EventKind,
    LocalExpertDesignation,
    Notice,
    NoticeAudience,
    NoticeUpdate,
    System,
    Ticket,
    UpdateKind,
)
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.live import push_ticket_changed_on_commit
from helpdesk.tickets.notifications import expert_addresses


class NoticeConflictError(Exception):
    """Someone else changed or resolved the notice first; nothing was changed."""


# --- Who may do what, and who a notice is for -----------------------------------------------------


def may_manage_notices(user) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


def require_notice_manager(user) -> None:
    if not may_manage_notices(user):
        raise PermissionDenied("Only help desk staff publish and change notices.")


def notices_visible_to(user):
    """State staff see every notice; agency staff see those whose audience includes their
    agency; anyone else, none."""
    if sees_all_agencies(user):
        return Notice.objects.all()
    me = person_of(user)
    if me is None or not roles_of(user) or not me.active:
        return Notice.objects.none()
    return Notice.objects.for_agencies(Agency.objects.filter(offices=me.office_id))


def banner_notices(user) -> list[Notice]:
    """The open notices to show this user at the top of every page, worst first."""
    notices = list(notices_visible_to(user).open().order_by("-published_at")[:10])
    return sorted(notices, key=lambda n: -SEVERITY_RANK.get(n.severity, 0))


def recipient_addresses(notice: Notice) -> list[str]:
    """Every designated, active local expert (primary and alternate) of the audience's agencies,
    once per address: the alternate acts when the primary is away, so both hear of it."""
    designations = (
        LocalExpertDesignation.objects.filter(
            office__agency__in=notice.audience_agencies(),
            office__active=True,
            person__active=True,
        )
        .select_related("person")
        .prefetch_related("person__emails")
    )
    addresses: dict[str, str] = {}
    for designation in designations:
        address = designation.person.primary_email
        if address:
            addresses.setdefault(address.lower(), address)
    return sorted(addresses.values(), key=str.lower)


# --- Publish, update, resolve ---------------------------------------------------------------------


@dataclass
class NoticeDraft:
    title: str
    systems: list[str]
    severity: str
    text: str
    audience: str = NoticeAudience.ALL
    agency_kind: str = ""
    regions: tuple = ()
    agencies: tuple = ()
    starts_at: datetime | None = None
    expected_end_at: datetime | None = None


@transaction.atomic
def publish_notice(draft: NoticeDraft, *, by, link_reported: bool = False) -> Notice:
    """Open a notice and email it to its audience. ``link_reported``: the open tickets already
    reported about its systems by its audience (``candidate_tickets``) are linked to it at once."""
    require_notice_manager(by)
    _check_draft(draft)
    notice = Notice.objects.create(
        title=draft.title.strip(),
        systems=list(dict.fromkeys(draft.systems)),
        severity=draft.severity,
        audience=draft.audience,
        agency_kind=draft.agency_kind if draft.audience == NoticeAudience.AGENCY_KIND else "",
        starts_at=draft.starts_at or timezone.now(),
        expected_end_at=draft.expected_end_at,
        text=draft.text.strip(),
        published_by=by,
    )
    if draft.audience == NoticeAudience.REGION:
        notice.regions.set(draft.regions)
    if draft.audience == NoticeAudience.AGENCY:
        notice.agencies.set(draft.agencies)
    record(AuditKind.NOTICE_PUBLISHED, actor=by, target=notice, after=_snapshot(notice))
    _send(notice, _new_update(notice, UpdateKind.PUBLISHED, draft.text, by=by))
    if link_reported:
        for ticket in candidate_tickets(notice):
            link_ticket(ticket, notice, by=by)
    return notice


@transaction.atomic
def post_update(
    notice: Notice,
    *,
    by,
    text: str,
    expected_end_at: datetime | None = None,
    severity: str = "",
    expected_version: int | None = None,
) -> NoticeUpdate:
    """News about an open notice (a new expected end, a workaround), sent like the notice."""
    require_notice_manager(by)
    locked = _locked(notice, expected_version)
    if not locked.is_open:
        raise NoticeConflictError(f"{locked.reference} is resolved; it takes no more updates.")
    if not text.strip():
        raise ValidationError("Say what changed.")
    before = _snapshot(locked)
    locked.text = text.strip()
    if expected_end_at is not None:
        locked.expected_end_at = expected_end_at
    if severity:
        locked.severity = severity
    locked.version += 1
    locked.save()
    record(
        AuditKind.NOTICE_UPDATED, actor=by, target=locked, before=before, after=_snapshot(locked)
    )
    update = _new_update(locked, UpdateKind.UPDATE, text, by=by)
    _send(locked, update)
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
    by,
    text: str,
    resolve_tickets: bool = False,
    expected_version: int | None = None,
) -> Resolution:
    """Close the notice and tell its audience. With ``resolve_tickets``, its linked tickets that
    the help desk holds are resolved with the same words, and each local expert gets one message
    (the resolution, listing their own tickets) instead of one per ticket. Tickets with MIS stay
    open: MIS reports its own resolution."""
    require_notice_manager(by)
    locked = _locked(notice, expected_version)
    if not locked.is_open:
        raise NoticeConflictError(f"{locked.reference} was resolved already; nothing was changed.")
    if not text.strip():
        raise ValidationError("Say how the problem was resolved.")
    before = _snapshot(locked)
    locked.resolved_at = timezone.now()
    locked.resolved_by = by
    locked.text = text.strip()
    locked.version += 1
    locked.save()
    record(
        AuditKind.NOTICE_RESOLVED, actor=by, target=locked, before=before, after=_snapshot(locked)
    )
    resolved, left_open = ([], [])
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


def _resolve_linked_tickets(notice: Notice, *, by, text: str) -> tuple[list, list]:
    resolved, left_open = [], []
    # The workflow's open states: a ticket already resolved (awaiting the expert's word) is done.
    for ticket in (
        notice.tickets.filter(state__in=OPEN_STATES).select_related("office").order_by("pk")
    ):
        if ticket.state == TicketState.SUBMITTED:
            ticket = ticket_services.assign(ticket, by=by, assignee=by)
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


def _locked(notice: Notice, expected_version: int | None) -> Notice:
    locked = Notice.objects.select_for_update().get(pk=notice.pk)
    if expected_version is not None and locked.version != expected_version:
        raise NoticeConflictError(
            f"{locked.reference} was changed by someone else while you were looking at it. "
            "Nothing was changed: please read it again and retry."
        )
    return locked


def _check_draft(draft: NoticeDraft) -> None:
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


def _snapshot(notice: Notice) -> dict:
    return snapshot(notice) | {
        "regions": sorted(notice.regions.values_list("number", flat=True)),
        "agencies": sorted(notice.agencies.values_list("pk", flat=True)),
    }


def _new_update(notice: Notice, kind: str, text: str, *, by, data=None) -> NoticeUpdate:
    return NoticeUpdate.objects.create(
        notice=notice,
        kind=kind,
        text=text.strip(),
        expected_end_at=notice.expected_end_at,
        by=by,
        data=data or {},
    )


# --- Email: one message per address, in batches after commit --------------------------------------


def _send(notice: Notice, update: NoticeUpdate, *, extra_addresses: list[str] = ()) -> None:
    addresses: dict[str, str] = {a.lower(): a for a in recipient_addresses(notice)}
    for address in extra_addresses:
        addresses.setdefault(address.lower(), address)
    update.recipients = len(addresses)
    update.save(update_fields=["recipients"])
    bulk_mail.queue_in_batches_on_commit(
        "helpdesk.notices.tasks.send_notice_batch",
        sorted(addresses.values(), key=str.lower),
        update.pk,
    )


def send_notice_batch(addresses: list[str], update_id: int) -> int:
    """The django-q2 task: one message to each address of the batch; returns how many sent."""
    update = NoticeUpdate.objects.select_related("notice").get(pk=update_id)
    resolved_for = {k.lower(): v for k, v in (update.data.get("tickets") or {}).items()}
    sent = 0
    for address in addresses:
        ticket_ids = resolved_for.get(address.lower(), [])
        tickets = list(Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"))
        if not bulk_mail.send_individual(
            f"notice_{update.kind}",
            address,
            {"notice": update.notice, "update": update, "tickets": tickets},
            key=_key(update, address),
            headers={"X-CCAP-Notice": str(update.notice_id)},
        ):
            continue  # sent by an earlier run of this batch, timeline and all
        sent += 1
        for ticket in tickets:
            ticket_services.record_notified(
                ticket, note=f"{update.notice.reference} resolution to {address}"
            )
    return sent


def _key(update: NoticeUpdate, address: str) -> str:
    digest = hashlib.sha256(address.lower().encode()).hexdigest()[:24]
    return f"notice:{update.notice_id}:update:{update.pk}:{digest}"


# --- Tickets about the same problem ---------------------------------------------------------------


def open_notices_about(system: str, agency: Agency | None = None) -> list[Notice]:
    """Open notices about ``system`` (for a ticket of that agency's, when given): what a new
    ticket is offered to be linked to."""
    notices = Notice.objects.open()
    if agency is not None:
        notices = notices.for_agency(agency)
    # One query, filtered here (NoticeQuerySet.about would take two): the ticket page and
    # every acknowledgement ask.
    return [n for n in notices.order_by("-published_at") if system in n.systems]


@transaction.atomic
def link_ticket(ticket: Ticket, notice: Notice, *, by) -> None:
    """Mark ``ticket`` as one report of ``notice``'s problem. Help desk staff link any ticket;
    a local expert links their own report to a notice meant for their agency (the form does)."""
    # A local expert may link only to an open notice (_expert_may_link); staff to any.
    if not (may_manage_notices(by) or _expert_may_link(by, ticket, notice)):
        raise PermissionDenied("Only help desk staff link tickets to notices.")
    if ticket.notice_id == notice.pk:
        return
    previous = ticket.notice_id
    Ticket.objects.filter(pk=ticket.pk).update(notice=notice, version=F("version") + 1)
    ticket.notice = notice
    ticket_services.record_event(
        ticket, by=by, kind=EventKind.NOTICE, note=f"{notice.reference}: {notice.title}"
    )
    record(
        AuditKind.CHANGED,
        actor=by,
        target=ticket,
        before={"notice": previous},
        after={"notice": notice.pk},
    )
    push_ticket_changed_on_commit(ticket)


@transaction.atomic
def unlink_ticket(ticket: Ticket, *, by) -> None:
    require_notice_manager(by)
    if ticket.notice_id is None:
        return
    previous = ticket.notice_id
    Ticket.objects.filter(pk=ticket.pk).update(notice=None, version=F("version") + 1)
    ticket.notice = None
    ticket_services.record_event(
        ticket, by=by, kind=EventKind.NOTICE, note=f"No longer linked to Notice {previous}."
    )
    record(AuditKind.CHANGED, actor=by, target=ticket, before={"notice": previous}, after={})
    push_ticket_changed_on_commit(ticket)


def _expert_may_link(user, ticket: Ticket, notice: Notice) -> bool:
    from helpdesk.directory.permissions import is_designated_expert_of

    return (
        is_designated_expert_of(user, ticket.office_id)
        and notice.is_open
        and notices_visible_to(user).filter(pk=notice.pk).exists()
    )


def candidate_tickets(notice: Notice):
    """Open tickets about the notice's systems, reported since shortly before it started and
    not linked to any notice: what staff are offered to link in one go."""
    since = notice.starts_at - timedelta(minutes=settings.NOTICE_OUTAGE_WINDOW_MINUTES)
    return (
        Ticket.objects.filter(
            state__in=OPEN_STATES,
            system__in=notice.systems,
            notice__isnull=True,
            created_at__gte=since,
        )
        .exclude(tracking_number__isnull=True)
        .filter(office__agency__in=notice.audience_agencies())
        .select_related("office__agency")
        .order_by("created_at")
    )


@dataclass(frozen=True)
class PossibleOutage:
    system: str
    label: str
    offices: int
    tickets: int
    since: datetime


def possible_outages(now: datetime | None = None) -> list[PossibleOutage]:
    """Systems reported by at least ``NOTICE_OUTAGE_OFFICES`` offices within the last
    ``NOTICE_OUTAGE_WINDOW_MINUTES``, counting only tickets not linked to a notice, and with no
    open notice about the system yet: the help desk should probably publish one."""
    now = now or timezone.now()
    since = now - timedelta(minutes=settings.NOTICE_OUTAGE_WINDOW_MINUTES)
    covered = {system for notice in Notice.objects.open() for system in notice.systems}
    rows = (
        Ticket.objects.filter(created_at__gte=since, created_at__lte=now, notice__isnull=True)
        .exclude(system__in=covered)
        .values("system")
        .annotate(offices=Count("office", distinct=True), tickets=Count("pk"))
        .filter(offices__gte=settings.NOTICE_OUTAGE_OFFICES)
        .order_by("-offices", "system")
    )
    labels = dict(System.choices)
    return [
        PossibleOutage(
            row["system"],
            labels.get(row["system"], row["system"]),
            row["offices"],
            row["tickets"],
            since,
        )
        for row in rows
    ]
