"""The ticket figures, each counted in the database (``aggregate``, ``annotate`` with
conditional ``Count`` and ``TruncWeek``), never by looping over tickets, and each linking to
the queue with the filters that list exactly what it counts."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import TruncWeek

from escalation.calendar import BUSINESS_TZ
from escalation.workflow import OPEN_STATES, TicketKind, TicketState
from helpdesk.dashboards.filters import DashboardFilters, week_start
from helpdesk.dashboards.tables import Cell, Chart, Row, Table, link
from helpdesk.models.tickets import System
from helpdesk.tickets import rules as slices
from helpdesk.tickets.aging import BUCKETS

S = TicketState
TOP = 10
# The open states a help desk or MIS queue holds: all open ones but the local expert's own.
QUEUE_OPEN_STATES = tuple(s for s in S if s in OPEN_STATES and s != S.WITH_LOCAL_EXPERT)


@dataclass(frozen=True)
class TicketScope:
    """The tickets behind the figures: a queue's, narrowed to the agency and system chosen."""

    tickets: QuerySet
    queue: str
    filters: DashboardFilters

    @classmethod
    def of(cls, tickets: QuerySet, queue: str, filters: DashboardFilters) -> "TicketScope":
        if filters.agency is not None:
            tickets = tickets.filter(office__agency=filters.agency)
        if filters.system:
            tickets = tickets.filter(system=filters.system)
        # No ordering: the model's default would join the GROUP BY of every count.
        return cls(tickets.order_by(), queue, filters)

    def url(self, **params: object) -> str:
        # A queue lists open work unless told otherwise; a figure that counts finished
        # tickets too says so, so its list holds exactly what it counts.
        everything = {"status": "all"}
        return link("queue", self.queue, **everything | self.filters.scope_params() | params)


def _counts(tickets: QuerySet, named: dict[str, Q]) -> dict[str, int]:
    """Several conditional counts in one query."""
    return tickets.aggregate(**{name: Count("pk", filter=q) for name, q in named.items()})


def _iso(day: date) -> str:
    return day.isoformat()


# --- Opened and resolved per week -------------------------------------------------------------


def _per_week(tickets: QuerySet, field: str) -> dict[date, int]:
    rows = (
        tickets.annotate(week=TruncWeek(field, tzinfo=BUSINESS_TZ))
        .values("week")
        .annotate(n=Count("pk"))
        .values_list("week", "n")
    )
    # TruncWeek of a DateTimeField gives the local midnight of the Monday, as a datetime.
    return {week.astimezone(BUSINESS_TZ).date(): n for week, n in rows}


def weekly(scope: TicketScope) -> Table:
    f = scope.filters
    opened = _per_week(scope.tickets.filter(slices.opened_between(f.start, f.end)), "created_at")
    resolved = _per_week(
        scope.tickets.filter(slices.resolved_between(f.start, f.end)), "resolved_at"
    )
    rows = []
    monday = week_start(f.start)
    while monday <= f.end:
        # The week, clipped to the range, is what both counts and their links cover.
        first, last = max(monday, f.start), min(monday + timedelta(days=6), f.end)
        rows.append(
            Row(
                f"{first:%b} {first.day}",
                (
                    Cell(
                        opened.get(monday, 0),
                        scope.url(created_from=_iso(first), created_to=_iso(last)),
                    ),
                    Cell(
                        resolved.get(monday, 0),
                        scope.url(resolved_from=_iso(first), resolved_to=_iso(last)),
                    ),
                ),
            )
        )
        monday += timedelta(weeks=1)
    return Table(
        "weekly",
        "Tickets opened and resolved per week",
        "Week of",
        ("Opened", "Resolved"),
        tuple(rows),
        Chart.GROUPED_BARS,
        note="Opened: the day the problem was raised. Resolved: the day the help desk resolved "
        "it (a reopened ticket is no longer counted).",
    )


# --- Open tickets now: by state, by tier, by age, overdue ------------------------------------


def open_snapshot(scope: TicketScope) -> list[Table]:
    """Open tickets by state, by tier and by age since they reached the help desk, in one
    query. Not limited by the date range: an old open ticket matters most."""
    ages = scope.filters.ages
    now = scope.filters.now
    named = {f"state_{s.value}": Q(state=s) for s in QUEUE_OPEN_STATES}
    for tier in (3, 4):
        named[f"tier_{tier}"] = slices.OPEN & slices.TIER[tier]
        named[f"tier_{tier}_overdue"] = slices.OPEN & slices.TIER[tier] & slices.overdue(now)
    for bucket in BUCKETS:
        named[f"age_{bucket.key}"] = slices.OPEN & ages.q("submitted_at", bucket)
    for kind in TicketKind:
        named[f"kind_{kind.value}"] = slices.OPEN & Q(kind=kind)
    counts = _counts(scope.tickets, named)
    snapshot_note = "Open now; not limited by the date range."
    by_state = Table(
        "open_by_state",
        "Open tickets by state",
        "State",
        ("Tickets",),
        tuple(
            Row(s.label, (Cell(counts[f"state_{s.value}"], scope.url(state=s.value)),))
            for s in QUEUE_OPEN_STATES
        ),
        note=snapshot_note,
    )
    by_tier = Table(
        "open_by_tier",
        "Open tickets by tier",
        "Tier",
        ("Open", "Overdue"),
        tuple(
            Row(
                label,
                (
                    Cell(counts[f"tier_{tier}"], scope.url(status="open", tier=tier)),
                    Cell(
                        counts[f"tier_{tier}_overdue"],
                        scope.url(status="open", tier=tier, overdue="on"),
                    ),
                ),
            )
            for tier, label in ((3, "Tier 3 – help desk"), (4, "Tier 4 – MIS"))
        ),
        note=snapshot_note + " Overdue: past a running SLA target.",
    )
    by_kind = Table(
        "open_by_kind",
        "Open requests by kind",
        "Kind",
        ("Open",),
        tuple(
            Row(k.label, (Cell(counts[f"kind_{k.value}"], scope.url(status="open", kind=k.value)),))
            for k in TicketKind
        ),
        note=snapshot_note + " Questions and assistance requests have SLA targets of their own.",
    )
    aging = Table(
        "aging",
        "Age of open tickets",
        "Age since reaching the help desk",
        ("Tickets",),
        tuple(
            Row(b.label, (Cell(counts[f"age_{b.key}"], scope.url(status="open", age=b.key)),))
            for b in BUCKETS
        ),
        Chart.HORIZONTAL_BARS,
        note=snapshot_note + " Business days: weekdays, less State holidays and closures.",
    )
    return [by_state, by_tier, by_kind, aging]


# --- SLA compliance ---------------------------------------------------------------------------


def sla_compliance(scope: TicketScope) -> Table:
    """Tickets resolved in the range that met or missed their targets, by the highest tier
    they reached, and open tickets past a target now."""
    f = scope.filters
    resolved = slices.resolved_between(f.start, f.end)
    tiers = ((3, "no", "Tier 3 – help desk only"), (4, "yes", "Tier 4 – reached MIS"))
    named = {}
    for tier, reached, _ in tiers:
        for outcome, q in slices.SLA_OUTCOME.items():
            named[f"{tier}_{outcome}"] = resolved & slices.REACHED_MIS[reached] & q
        named[f"{tier}_overdue"] = slices.OPEN & slices.TIER[tier] & slices.overdue(f.now)
    counts = _counts(scope.tickets, named)
    range_params = {"resolved_from": _iso(f.start), "resolved_to": _iso(f.end)}
    rows = tuple(
        Row(
            label,
            (
                Cell(
                    counts[f"{tier}_met"], scope.url(**range_params, reached_mis=reached, sla="met")
                ),
                Cell(
                    counts[f"{tier}_breached"],
                    scope.url(**range_params, reached_mis=reached, sla="breached"),
                ),
                Cell(counts[f"{tier}_overdue"], scope.url(status="open", tier=tier, overdue="on")),
            ),
        )
        for tier, reached, label in tiers
    )
    return Table(
        "sla",
        "SLA compliance",
        "Tier",
        ("Resolved, targets met", "Resolved, a target missed", "Open, overdue now"),
        rows,
        note="Resolved in the date range; a target is missed when the SLA sweep flagged its "
        "response, resolution or MIS update clock.",
    )


# --- Top systems and agencies -----------------------------------------------------------------


def top_systems(scope: TicketScope) -> Table:
    f = scope.filters
    rows = (
        scope.tickets.filter(slices.opened_between(f.start, f.end))
        .values("system")
        .annotate(n=Count("pk"))
        .order_by("-n", "system")[:TOP]
    )
    labels = dict(System.choices)
    range_params = {"created_from": _iso(f.start), "created_to": _iso(f.end)}
    return Table(
        "top_systems",
        "Top systems",
        "System",
        ("Tickets opened",),
        tuple(
            Row(
                labels.get(r["system"], r["system"]),
                (Cell(r["n"], scope.url(**range_params | {"system": r["system"]})),),
            )
            for r in rows
        ),
        Chart.HORIZONTAL_BARS,
        note="Opened in the date range.",
    )


def top_agencies(scope: TicketScope) -> Table:
    f = scope.filters
    rows = (
        scope.tickets.filter(slices.opened_between(f.start, f.end))
        .values("office__agency", "office__agency__name")
        .annotate(n=Count("pk"))
        .order_by("-n", "office__agency__name")[:TOP]
    )
    range_params = {"created_from": _iso(f.start), "created_to": _iso(f.end)}
    return Table(
        "top_agencies",
        "Top agencies",
        "Agency",
        ("Tickets opened",),
        tuple(
            Row(
                r["office__agency__name"],
                (Cell(r["n"], scope.url(**range_params | {"agency": r["office__agency"]})),),
            )
            for r in rows
        ),
        Chart.HORIZONTAL_BARS,
        note="Opened in the date range.",
    )


# --- What is with MIS -------------------------------------------------------------------------


def with_mis(scope: TicketScope) -> list[Table]:
    """Open tickets with MIS now, how long they have been there, and MIS updates overdue."""
    ages = scope.filters.ages
    now = scope.filters.now
    at_mis = slices.OPEN & slices.TIER[4]
    named = {
        "total": at_mis,
        "working": Q(state=S.ESCALATED_TO_MIS),
        "paused": at_mis & Q(state=S.AWAITING_INFO),
        "update_overdue": slices.mis_update_overdue(now),
        "overdue": at_mis & slices.overdue(now),
    }
    for bucket in BUCKETS:
        named[f"age_{bucket.key}"] = at_mis & ages.q("mis_escalated_at", bucket)
    counts = _counts(scope.tickets, named)
    summary = Table(
        "mis",
        "With MIS now",
        "Tickets",
        ("Count",),
        (
            Row(
                "With MIS (open, tier 4)",
                (Cell(counts["total"], scope.url(status="open", tier=4)),),
            ),
            Row(
                "Being worked by MIS",
                (Cell(counts["working"], scope.url(state=S.ESCALATED_TO_MIS)),),
            ),
            Row(
                "Paused, waiting for information",
                (Cell(counts["paused"], scope.url(state=S.AWAITING_INFO, tier=4)),),
            ),
            Row(
                "MIS update overdue",
                (Cell(counts["update_overdue"], scope.url(mis_update_overdue="on")),),
            ),
            Row(
                "Past any SLA target",
                (Cell(counts["overdue"], scope.url(status="open", tier=4, overdue="on")),),
            ),
        ),
        note="Open now; not limited by the date range.",
    )
    aging = Table(
        "mis_aging",
        "Time with MIS",
        "Since escalation to MIS",
        ("Tickets",),
        tuple(
            Row(
                b.label,
                (Cell(counts[f"age_{b.key}"], scope.url(status="open", tier=4, mis_age=b.key)),),
            )
            for b in BUCKETS
        ),
        Chart.HORIZONTAL_BARS,
        note="Business days since the ticket was last escalated to MIS.",
    )
    return [summary, aging]
