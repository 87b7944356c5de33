"""Reads of the agency reports, scoped by who asks: a ``ReportScope`` is one agency as one
reader may see it (``scope_for``: the help desk and administrators any agency, a local expert
their own, nobody else), and every figure is read through it, with the features' own rules:
the ticket rules the dashboards share (open, breached, overdue, age, opened and resolved in a
period), the security forms' outstanding and valid, access's open requests and the departure
clock's lateness."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from access.agency_reports.periods import Period
from access.models import (
    OPEN_REQUEST_STATES,
    AccessRequest,
    AccessRequestQuerySet,
    Account,
    AccountState,
    Departure,
    RequestKind,
    RequestState,
    ReviewCampaign,
    ReviewDecision,
    ReviewItem,
)
from access.selectors import requests_visible_to
from access.services import late_working_days
from escalation.calendar import BusinessCalendar, add_business_hours, start_of_day
from forms_4052_4055.models import SecurityForm, SecurityFormQuerySet
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.directory.roles import DESK_STAFF, AnyUser, has_role
from helpdesk.models import Agency, Office, Ticket, User
from helpdesk.models.directory import AgencyQuerySet
from helpdesk.models.tickets import TicketQuerySet
from helpdesk.tickets import rules
from helpdesk.tickets.aging import BUCKETS, AgeBucket, ages_on, bucket_of
from helpdesk.tickets.permissions import tickets_visible_to

# An open ticket is "due soon" when a running SLA target falls due within this many business
# hours of the report.
DUE_SOON_BUSINESS_HOURS = 4
# A filed security form is "expiring" when it stops being valid within this many days.
FORMS_EXPIRING_DAYS = 60


# --- Who reads which agency -----------------------------------------------------------------------


def may_read_reports(user: AnyUser) -> bool:
    """Help desk staff and administrators (every agency), a designated local expert (theirs)."""
    return has_role(user, *DESK_STAFF) or expert_agency_id(user) is not None


def agencies_for(user: AnyUser) -> AgencyQuerySet:
    agencies = Agency.objects.order_by("name")
    if has_role(user, *DESK_STAFF):
        return agencies
    agency_id = expert_agency_id(user)
    return agencies.filter(pk=agency_id) if agency_id is not None else agencies.none()


@dataclass(frozen=True)
class ReportScope:
    """One agency as one reader sees it; ``viewer`` None: the system (the monthly email to the
    agency's own local experts, the command an administrator runs)."""

    agency: Agency
    viewer: User | None = None

    def tickets(self) -> TicketQuerySet:
        tickets = Ticket.objects.all() if self.viewer is None else tickets_visible_to(self.viewer)
        return tickets.filter(office__agency=self.agency)

    def requests(self) -> AccessRequestQuerySet:
        requests = (
            AccessRequest.objects.select_related("system", "person__office", "account")
            if self.viewer is None
            else requests_visible_to(self.viewer)
        )
        return requests.filter(person__office__agency=self.agency)

    def accounts(self) -> QuerySet[Account]:
        return Account.objects.filter(person__office__agency=self.agency)

    def forms(self) -> SecurityFormQuerySet:
        return SecurityForm.objects.filter(person__office__agency=self.agency).select_related(
            "form_type", "person__office"
        )

    def departures(self) -> QuerySet[Departure]:
        return Departure.objects.filter(person__office__agency=self.agency).select_related(
            "person__office"
        )


def scope_for(user: AnyUser, agency_pk: int) -> ReportScope | None:
    """The agency's reports as ``user`` may read them; None when they may not (a 404)."""
    agency = agencies_for(user).filter(pk=agency_pk).first()
    if agency is None or not isinstance(user, User):
        return None
    return ReportScope(agency, user)


def _days(period: Period) -> tuple[datetime, datetime]:
    """The period's first instant and the first instant after it, in the business time zone."""
    return start_of_day(period.first), start_of_day(period.last + timedelta(days=1))


# --- Departures: the departure clock and the revocations -----------------------------------------


@dataclass(frozen=True)
class RevocationLine:
    request: AccessRequest
    revoked_at: datetime | None  # when completed
    late_working_days: int  # revoked after its deadline (still open: late until now)

    @property
    def open(self) -> bool:
        return self.request.state in OPEN_REQUEST_STATES


@dataclass(frozen=True)
class DepartureLine:
    departure: Departure
    revocations: list[RevocationLine]

    @property
    def reported_late_days(self) -> int:
        """The departure clock's: working days after the contract's deadline it was told."""
        return self.departure.late_working_days

    @property
    def revoked_late_days(self) -> int:
        return max((r.late_working_days for r in self.revocations), default=0)

    @property
    def late(self) -> bool:
        return bool(self.reported_late_days or self.revoked_late_days)

    @property
    def revoked(self) -> int:
        return sum(1 for r in self.revocations if r.revoked_at is not None)

    @property
    def still_open(self) -> int:
        return sum(1 for r in self.revocations if r.open)


def departure_in(period: Period) -> Q:
    """A departure belongs to a period when it took effect or was reported in it: one reported
    late, after the period of its effective date, shows in the period it was told too."""
    start, end = _days(period)
    return Q(effective_on__gte=period.first, effective_on__lte=period.last) | Q(
        reported_at__gte=start, reported_at__lt=end
    )


def _revocation(
    request: AccessRequest, departure: Departure, now: datetime, calendar: BusinessCalendar
) -> RevocationLine:
    due = request.deadline or departure.deadline
    if request.state == RequestState.COMPLETED and request.closed_at is not None:
        late = late_working_days(due, request.closed_at, calendar)
        return RevocationLine(request, request.closed_at, late)
    late = late_working_days(due, now, calendar) if request.state in OPEN_REQUEST_STATES else 0
    return RevocationLine(request, None, late)


def departures(
    scope: ReportScope, period: Period, now: datetime | None = None
) -> list[DepartureLine]:
    now = now or timezone.now()
    found = list(
        scope.departures()
        .filter(departure_in(period))
        .order_by("effective_on", "person__last_name", "person__first_name", "pk")
    )
    by_departure: dict[int, list[AccessRequest]] = {d.pk: [] for d in found}
    revokes = scope.requests().filter(kind=RequestKind.REVOKE, departure__in=found)
    for request in revokes.order_by("system__name", "pk"):
        assert request.departure_id is not None
        by_departure[request.departure_id].append(request)
    # One calendar for every count (it reads more closures, a chunk at a time, if asked).
    calendar = BusinessCalendar.from_db(_days(period)[0], max(now, _days(period)[0]))
    return [
        DepartureLine(d, [_revocation(r, d, now, calendar) for r in by_departure[d.pk]])
        for d in found
    ]


@dataclass(frozen=True)
class DepartureTotals:
    departures: int
    reported_late: int
    revoked_late: int
    late: int
    accounts_revoked: int
    revocations_open: int


def departure_totals(lines: list[DepartureLine]) -> DepartureTotals:
    return DepartureTotals(
        departures=len(lines),
        reported_late=sum(1 for line in lines if line.reported_late_days),
        revoked_late=sum(1 for line in lines if line.revoked_late_days),
        late=sum(1 for line in lines if line.late),
        accounts_revoked=sum(line.revoked for line in lines),
        revocations_open=sum(line.still_open for line in lines),
    )


# --- The monthly report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenTicket:
    ticket: Ticket
    age: int  # business days since it was raised (helpdesk.tickets.aging)
    bucket: AgeBucket
    sla: str  # a key of ``rules.SLA_STATUSES``; "" while with the local expert (no SLA clock)


def open_tickets(scope: ReportScope, now: datetime) -> list[OpenTicket]:
    tickets = list(
        scope.tickets().filter(rules.OPEN).select_related("office").order_by("created_at", "pk")
    )
    soon = add_business_hours(now, DUE_SOON_BUSINESS_HOURS)
    reached = scope.tickets().filter(rules.OPEN, submitted_at__isnull=False)
    status_of: dict[int, str] = {}
    for status, q in rules.sla_status(now, soon).items():
        for pk in reached.filter(q).values_list("pk", flat=True):
            status_of[pk] = status
    ages = ages_on(timezone.localdate(now), [t.created_at for t in tickets])
    return [
        OpenTicket(t, age, bucket_of(age), status_of.get(t.pk, ""))
        for t, age in zip(tickets, ages, strict=True)
    ]


@dataclass(frozen=True)
class MonthlyReport:
    scope: ReportScope
    period: Period
    now: datetime
    open_tickets: list[OpenTicket]
    opened: int
    resolved: int
    forms_due: list[SecurityForm]
    forms_expiring: list[SecurityForm]
    pending_requests: list[AccessRequest]
    departures: list[DepartureLine]
    totals: DepartureTotals = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "totals", departure_totals(self.departures))

    @property
    def ageing(self) -> list[tuple[AgeBucket, int]]:
        counts = Counter(t.bucket.key for t in self.open_tickets)
        return [(b, counts[b.key]) for b in BUCKETS]

    @property
    def sla(self) -> list[tuple[str, str, int]]:
        counts = Counter(t.sla for t in self.open_tickets if t.sla)
        return [(s, str(SLA_LABELS[s]), counts[s]) for s in rules.SLA_STATUSES]


SLA_LABELS = {
    "breached": gettext_lazy("Breached (a target missed, or past due now)"),
    "due_soon": gettext_lazy("Due soon (a target falls due within 4 business hours)"),
    "fine": gettext_lazy("Within its targets"),
}


def monthly_report(
    scope: ReportScope, period: Period, now: datetime | None = None
) -> MonthlyReport:
    """The agency's month: what is open now (its age and SLA status), what was opened and
    resolved in the month, security forms due or expiring, pending access requests, and the
    departures of the month with their deadlines and lateness."""
    now = now or timezone.now()
    tickets = scope.tickets()
    forms = scope.forms()
    return MonthlyReport(
        scope=scope,
        period=period,
        now=now,
        open_tickets=open_tickets(scope, now),
        opened=tickets.filter(rules.opened_between(period.first, period.last)).count(),
        resolved=tickets.filter(rules.resolved_between(period.first, period.last)).count(),
        forms_due=list(forms.outstanding().order_by("due_at", "pk")),
        forms_expiring=list(
            forms.valid_on(now)
            .filter(
                valid_until__isnull=False, valid_until__lte=now + timedelta(FORMS_EXPIRING_DAYS)
            )
            .order_by("valid_until", "pk")
        ),
        pending_requests=list(scope.requests().open().order_by("created_at", "pk")),
        departures=departures(scope, period, now),
    )


MONTHLY_CSV_HEADER = ("section", "row", "column", "value")


def monthly_csv_rows(report: MonthlyReport) -> list[list[object]]:
    rows: list[list[object]] = [
        ["Tickets", "Opened in the month", "Tickets", report.opened],
        ["Tickets", "Resolved in the month", "Tickets", report.resolved],
        ["Tickets", "Open now", "Tickets", len(report.open_tickets)],
    ]
    rows += [["Ageing of open tickets", b.label, "Tickets", n] for b, n in report.ageing]
    rows += [["SLA status of open tickets", label, "Tickets", n] for _, label, n in report.sla]
    for t in report.open_tickets:
        name = t.ticket.tracking_number or f"#{t.ticket.pk}"
        rows += [
            ["Open tickets", name, "State", t.ticket.get_state_display()],
            ["Open tickets", name, "Business days open", t.age],
            ["Open tickets", name, "SLA status", t.sla or "no SLA clock yet"],
        ]
    for form in report.forms_due:
        rows.append(["Security forms due", form.reference, "Due", _iso(form.due_at)])
    for form in report.forms_expiring:
        rows.append(
            ["Security forms expiring", form.reference, "Valid until", _iso(form.valid_until)]
        )
    for request in report.pending_requests:
        rows.append(
            [
                "Pending access requests",
                f"request #{request.pk}",
                request.get_kind_display(),
                request.get_state_display(),
            ]
        )
    for line in report.departures:
        d = line.departure
        name = f"{d.person.full_name} ({d.effective_on.isoformat()})"
        rows += [
            ["Departures", name, "Contract deadline", _iso(d.contract_deadline)],
            ["Departures", name, "Revocations due", _iso(d.deadline)],
            ["Departures", name, "Reported late (working days)", line.reported_late_days],
            ["Departures", name, "Revoked late (working days)", line.revoked_late_days],
            ["Departures", name, "Revocations still open", line.still_open],
        ]
    return rows


def _iso(moment: datetime | date | None) -> str:
    if moment is None:
        return ""
    if isinstance(moment, datetime):
        return timezone.localtime(moment).isoformat(timespec="minutes")
    return moment.isoformat()


# --- The quarterly departure report ---------------------------------------------------------------

DEPARTURES_HEADER = (
    "Office",
    "Person",
    "Departure",
    "Effective",
    "Reported",
    "Contract deadline",
    "Revocations due",
    "Reported late (working days)",
    "System",
    "Account ID",
    "Revocation state",
    "Revoked at",
    "Revoked late (working days)",
)


def departure_rows(lines: list[DepartureLine]) -> list[list[object]]:
    """One row per revocation (a departure with none: one row)."""
    rows: list[list[object]] = []
    for line in lines:
        d = line.departure
        head: list[object] = [
            d.person.office.name,
            d.person.full_name,
            d.get_kind_display(),
            d.effective_on.isoformat(),
            _iso(d.reported_at),
            _iso(d.contract_deadline),
            _iso(d.deadline),
            line.reported_late_days,
        ]
        if not line.revocations:
            rows.append([*head, "", "", "", "", 0])
        for r in line.revocations:
            account = r.request.account
            rows.append(
                [
                    *head,
                    r.request.system.name,
                    account.identifier if account else "",
                    r.request.get_state_display(),
                    _iso(r.revoked_at),
                    r.late_working_days,
                ]
            )
    return rows


# --- The quarterly access-review report -----------------------------------------------------------

DECISION_LABELS = {
    ReviewDecision.KEEP: gettext_lazy("Kept"),
    ReviewDecision.REMOVE: gettext_lazy("Revoked"),
    ReviewDecision.NOT_REVIEWED: gettext_lazy("Not reviewed"),
    ReviewDecision.PENDING: gettext_lazy("Not reviewed yet"),
}


@dataclass(frozen=True)
class Decision:
    campaign: ReviewCampaign
    decision: str  # a ReviewDecision
    decided_by: str
    decided_at: datetime | None

    @property
    def label(self) -> str:
        return str(DECISION_LABELS[ReviewDecision(self.decision)])


@dataclass(frozen=True)
class AccountLine:
    account: Account
    systems: str
    decisions: list[Decision]
    revoked_at: datetime | None  # revoked in the quarter
    revoked_why: str


@dataclass(frozen=True)
class OfficeSection:
    office: Office
    lines: list[AccountLine]


@dataclass(frozen=True)
class ReviewReport:
    scope: ReportScope
    period: Period
    campaigns: list[ReviewCampaign]
    offices: list[OfficeSection]

    @property
    def revoked(self) -> list[AccountLine]:
        return [line for o in self.offices for line in o.lines if line.revoked_at is not None]

    @property
    def counts(self) -> dict[str, int]:
        decisions = Counter(
            d.decision for o in self.offices for li in o.lines for d in li.decisions
        )
        return {
            "accounts": sum(len(o.lines) for o in self.offices),
            "kept": decisions[ReviewDecision.KEEP],
            "revoked_in_review": decisions[ReviewDecision.REMOVE],
            "not_reviewed": decisions[ReviewDecision.NOT_REVIEWED]
            + decisions[ReviewDecision.PENDING],
            "revoked": len(self.revoked),
        }


def campaigns_in(period: Period) -> QuerySet[ReviewCampaign]:
    """The review campaigns running at some time in the period."""
    start, end = _days(period)
    return ReviewCampaign.objects.filter(started_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=start)
    )


def _why(request: AccessRequest, item: ReviewItem | None) -> str:
    if request.departure is not None:
        return _("Departure: %(kind)s, effective %(day)s") % {
            "kind": request.departure.get_kind_display().lower(),
            "day": request.departure.effective_on.isoformat(),
        }
    if item is not None:
        why = _("Access review %(campaign)s: marked for removal") % {"campaign": item.campaign.name}
        return f"{why} ({item.note})" if item.note else why
    return request.reason or request.outcome_note or _("Revocation requested")


def review_report(scope: ReportScope, period: Period) -> ReviewReport:
    """Each office, each person, each account they held in the quarter (on which systems), the
    decision of each review campaign of the quarter on it, and the accounts revoked in the
    quarter and why."""
    start, end = _days(period)
    campaigns = list(campaigns_in(period).order_by("started_at", "pk"))
    items = list(
        ReviewItem.objects.filter(campaign__in=campaigns, agency_id_snapshot=scope.agency.pk)
        .select_related("campaign", "decided_by")
        .order_by("campaign__started_at", "pk")
    )
    revoked_from = scope.requests().filter(
        kind=RequestKind.REVOKE, state=RequestState.COMPLETED, closed_at__gte=start
    )
    in_quarter = {
        r.account_id: r
        for r in revoked_from.filter(closed_at__lt=end)
        .select_related("departure")
        .order_by("closed_at")
    }
    review_of = {
        item.revoke_request_id: item
        for item in ReviewItem.objects.filter(
            revoke_request__in=list(in_quarter.values())
        ).select_related("campaign")
    }
    accounts = (
        scope.accounts()
        .filter(created_at__lt=end)
        .filter(
            ~Q(state=AccountState.REVOKED)
            | Q(pk__in=revoked_from.values("account_id"))
            | Q(pk__in=[i.account_id for i in items])
        )
        .select_related("person__office", "credential_group")
        .prefetch_related("credential_group__systems")
        .order_by(
            "person__office__name",
            "person__last_name",
            "person__first_name",
            "credential_group__name",
            "pk",
        )
    )
    decisions: dict[int, list[Decision]] = {}
    for item in items:
        who = item.decided_by
        by = (who.get_full_name() or who.get_username()) if who is not None else ""
        decisions.setdefault(item.account_id, []).append(
            Decision(item.campaign, item.decision, by, item.decided_at)
        )
    offices: dict[int, OfficeSection] = {}
    for account in accounts:
        revoke = in_quarter.get(account.pk)
        line = AccountLine(
            account=account,
            systems=", ".join(s.name for s in account.credential_group.systems.all() if s.active),
            decisions=decisions.get(account.pk, []),
            revoked_at=revoke.closed_at if revoke else None,
            revoked_why=_why(revoke, review_of.get(revoke.pk)) if revoke else "",
        )
        office = account.person.office
        offices.setdefault(office.pk, OfficeSection(office, [])).lines.append(line)
    return ReviewReport(scope, period, campaigns, list(offices.values()))


REVIEWS_HEADER = (
    "Office",
    "Person",
    "Credential",
    "Systems",
    "Account ID",
    "Account state",
    "Review",
    "Decision",
    "Decided by",
    "Decided at",
    "Revoked at",
    "Why revoked",
)


def review_rows(report: ReviewReport) -> list[list[object]]:
    """One row per account and review campaign (an account no campaign listed: one row)."""
    rows: list[list[object]] = []
    for section in report.offices:
        for line in section.lines:
            account = line.account
            head: list[object] = [
                section.office.name,
                account.person.full_name,
                account.credential_group.name,
                line.systems,
                account.identifier,
                account.get_state_display(),
            ]
            tail = [_iso(line.revoked_at), line.revoked_why]
            if not line.decisions:
                rows.append([*head, "", "", "", "", *tail])
            for d in line.decisions:
                rows.append(
                    [*head, d.campaign.name, d.label, d.decided_by, _iso(d.decided_at), *tail]
                )
    return rows
