"""Reads of notices: the banner, who a notice goes to, which notices a report may join, the
tickets a notice may take in, and possible outages nobody has published a notice about."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count, QuerySet
from django.utils import timezone

from escalation.workflow import OPEN_STATES
from helpdesk.directory.roles import AnyUser
from helpdesk.models import (
    SEVERITY_RANK,
    Agency,
    LocalExpertDesignation,
    Notice,
    Region,
    System,
    Ticket,
    agencies_of_audience,
)
from helpdesk.notices.permissions import notices_visible_to


def banner_notices(user: AnyUser) -> list[Notice]:
    """The open notices to show this user at the top of every page, worst first."""
    notices = list(notices_visible_to(user).open().order_by("-published_at")[:10])
    return sorted(notices, key=lambda n: -SEVERITY_RANK.get(n.severity, 0))


def recipient_addresses(notice: Notice) -> list[str]:
    """Every designated, active local expert (primary and alternate) of the audience's agencies,
    once per address: the alternate acts when the primary is away, so both hear of it."""
    return addresses_of_agencies(notice.audience_agencies())


def draft_recipient_addresses(
    audience: str,
    agency_kind: str = "",
    *,
    regions: Iterable[Region] = (),
    agencies: Iterable[Agency] = (),
) -> list[str]:
    """Who a notice not yet published would go to: what publishing it will mail."""
    return addresses_of_agencies(
        agencies_of_audience(audience, agency_kind, regions=regions, agencies=agencies)
    )


def addresses_of_agencies(agencies: QuerySet[Agency]) -> list[str]:
    designations = (
        LocalExpertDesignation.objects.filter(
            office__agency__in=agencies,
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


def open_notices_about(system: str, agency: Agency | None = None) -> list[Notice]:
    """Open notices about ``system`` (for a ticket of that agency's, when given): what a new
    ticket is offered to be linked to."""
    notices = Notice.objects.open()
    if agency is not None:
        notices = notices.for_agency(agency)
    # One query, filtered here (NoticeQuerySet.about would take two): the ticket page and
    # every acknowledgement ask.
    return [n for n in notices.order_by("-published_at") if system in n.systems]


def join_refusal(notice: Notice, *, system: str | None, agency: Agency | None = None) -> str:
    """Why a report cannot join ``notice`` as one more report of its problem, or "" when it
    can: the one rule for the Problem Report Form and an emailed answer to a notice. The notice
    must be open, meant for the report's agency (when given) and about the report's system
    (``None``: the report named no system, so nothing contradicts it)."""
    if not notice.is_open:
        return f"{notice.reference} was resolved meanwhile."
    if agency is not None and not Notice.objects.for_agency(agency).filter(pk=notice.pk).exists():
        return f"{notice.reference} is not meant for {agency}."
    if system is not None and system not in notice.systems:
        return (
            f"That notice is about {', '.join(notice.system_labels())}: choose that system, "
            "or “a different problem”."
        )
    return ""


def candidate_tickets(notice: Notice) -> QuerySet[Ticket]:
    """Open tickets about the notice's systems, reported since shortly before it started and
    not linked to any notice: what staff are offered to link in one go."""
    since = notice.starts_at - timedelta(minutes=settings.NOTICE_OUTAGE_WINDOW_MINUTES)
    return (
        Ticket.objects.reached_help_desk()
        .filter(
            state__in=OPEN_STATES,
            system__in=notice.systems,
            notice__isnull=True,
            created_at__gte=since,
        )
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
