"""The revocations section of the help desk dashboard: open revocations still within their
2-working-day deadline and those past it, linking to the revocations page with the same
filters. Registered with the help desk when this app loads (it may not import us)."""

from datetime import datetime

from django.db.models import Count, Q

from access.models import AccessRequest, RequestKind
from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.registry import DashboardSection
from helpdesk.dashboards.tables import Cell, Row, Table, link
from helpdesk.directory.roles import DESK_STAFF
from helpdesk.models import User

STATUSES = {
    "due": "Due (within the deadline)",
    "overdue": "Overdue",
    # Of the open ones, those whose departure was told after its 2-working-day deadline.
    "late_report": "From a departure reported late",
}


def revocation_status(status: str, now: datetime) -> Q:
    """Open revocations by deadline, or by a late departure: the revocations page filters with
    this too."""
    if status == "late_report":
        return Q(departure__late_working_days__gt=0)
    overdue = Q(deadline__lt=now)
    return overdue if status == "overdue" else ~overdue | Q(deadline__isnull=True)


def revocations(user: User, filters: DashboardFilters) -> list[Table]:
    revokes = AccessRequest.objects.open().filter(kind=RequestKind.REVOKE).order_by()
    agency = {"agency": filters.agency.pk} if filters.agency is not None else {}
    if filters.agency is not None:
        revokes = revokes.filter(person__office__agency=filters.agency)
    counts = revokes.aggregate(
        **{s: Count("pk", filter=revocation_status(s, filters.now)) for s in STATUSES}
    )
    rows = tuple(
        Row(label, (Cell(counts[s], link("revocations", status=s, **agency)),))
        for s, label in STATUSES.items()
    )
    return [
        Table(
            "revocations",
            "Revocations",
            "Deadline",
            ("Open revocations",),
            rows,
            note="Now; the agency filter applies, the date range and system do not.",
        )
    ]


SECTIONS = (
    DashboardSection("revocations", "Access revocations", DESK_STAFF, revocations, order=50),
)
