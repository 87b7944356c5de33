"""Reads of access, scoped by who asks: the requests a user may see, the reviews still
pending per agency, and the access report (who has what, forms on file, last review), whose
CSV neutralises cells a spreadsheet would run as formulas."""

import csv
import io
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from access.models import (
    OPEN_REQUEST_STATES,
    AccessRequest,
    AccessRequestQuerySet,
    Account,
    AccountState,
    Departure,
    RequestKind,
    ReviewCampaign,
    ReviewDecision,
    TargetSystem,
)
from forms_4052_4055.models import SecurityForm
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.lib.csv_export import safe_cell
from helpdesk.models import Person

# The accounts a person still holds (or is about to): what a departure revokes.
LIVE_ACCOUNT_STATES = [AccountState.REQUESTED, AccountState.ACTIVE, AccountState.SUSPENDED]


def requests_visible_to(user: AnyUser) -> AccessRequestQuerySet:
    """Help desk staff and administrators: all; a designated local expert: their agency's (the
    same rule as ``is_local_expert_for``, which guards their person pages)."""
    requests = AccessRequest.objects.select_related("system", "person__office__agency", "account")
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return requests
    agency_id = expert_agency_id(user)
    if agency_id is not None:
        return requests.filter(person__office__agency_id=agency_id)
    return requests.none()


@dataclass(frozen=True)
class DepartureEffects:
    """What reporting a departure will do, read once: the confirmation page states it and
    ``services.report_departure`` acts on exactly this."""

    revocations: list[tuple[Account, TargetSystem]]  # each live account, and where it lives
    cancelled: list[AccessRequest]  # the person's pending requests
    signs_out: bool  # they left: out of the directory and signed out everywhere

    @property
    def numbers(self) -> tuple[int, int, int]:
        return (len(self.revocations), len(self.cancelled), int(self.signs_out))


def cancelling_drops_account(request: AccessRequest) -> bool:
    """A new request that will not happen leaves no account behind: cancelling it drops the
    account it had requested."""
    account = request.account
    return bool(
        request.kind == RequestKind.NEW and account and account.state == AccountState.REQUESTED
    )


def departure_effects(person: Person, kind: str) -> DepartureEffects:
    pending = list(
        AccessRequest.objects.filter(person=person, state__in=OPEN_REQUEST_STATES)
        .exclude(kind=RequestKind.REVOKE)
        .select_related("system", "account")
        .order_by("pk")
    )
    # Cancelled first, so an account only requested by one of them is not revoked as well.
    dropped = {r.account_id for r in pending if cancelling_drops_account(r)}
    accounts = (
        Account.objects.filter(person=person, state__in=LIVE_ACCOUNT_STATES)
        .exclude(pk__in=dropped)
        .select_related("credential_group")
        .order_by("pk")
    )
    revocations = []
    for account in accounts:
        system = account.credential_group.systems.filter(active=True).order_by("pk").first()
        if system is not None:  # no live system to revoke it in (a retired one)
            revocations.append((account, system))
    return DepartureEffects(
        revocations=revocations, cancelled=pending, signs_out=kind == Departure.Kind.LEFT
    )


def pending_by_agency(campaign: ReviewCampaign) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for agency_id in campaign.items.filter(decision=ReviewDecision.PENDING).values_list(
        "agency_id_snapshot", flat=True
    ):
        counts[agency_id] += 1
    return counts


# --- The access report --------------------------------------------------------------------------

REPORT_HEADER = [
    "Person",
    "Email",
    "Agency",
    "Office",
    "Credential",
    "ID",
    "State",
    "CCMS role",
    "Forms on file",
    "Last review",
]


def report_rows(accounts: QuerySet[Account]) -> Iterator[list[object]]:
    """One row per account; forms on file read in one query, not per row."""
    from forms_4052_4055.models import SecurityForm

    accounts = accounts.select_related(
        "person__office__agency", "credential_group"
    ).prefetch_related("person__emails")
    filed: dict[int, list[str]] = defaultdict(list)
    for person_id, code, reference in (
        SecurityForm.objects.valid_on()
        .filter(person__in={a.person_id for a in accounts})
        .values_list("person_id", "form_type__code", "reference")
    ):
        filed[person_id].append(f"{code} ({reference})")
    for account in accounts:
        person = account.person
        yield [
            person.full_name,
            person.primary_email,
            person.office.agency.name,
            person.office.name,
            account.credential_group.name,
            account.identifier,
            account.get_state_display(),
            account.ccms_role,
            "; ".join(sorted(filed[person.pk])),
            account.last_reviewed_at.date().isoformat() if account.last_reviewed_at else "",
        ]


def report_csv(accounts: QuerySet[Account]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_HEADER)
    for row in report_rows(accounts):
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()


@dataclass(frozen=True)
class StaffAccess:
    """What one person of a staff list holds: live accounts, open requests, forms on file."""

    accounts: list[Account]
    pending: list[AccessRequest]
    forms: list[SecurityForm]


def staff_access(people: list[Person]) -> dict[int, StaffAccess]:
    """The access of each of ``people``, keyed by person id, in three queries."""
    ids = [p.pk for p in people]
    accounts: dict[int, list[Account]] = defaultdict(list)
    pending: dict[int, list[AccessRequest]] = defaultdict(list)
    forms: dict[int, list[SecurityForm]] = defaultdict(list)
    for account in (
        Account.objects.filter(person_id__in=ids, state__in=LIVE_ACCOUNT_STATES)
        .select_related("credential_group")
        .order_by("credential_group__name", "pk")
    ):
        accounts[account.person_id].append(account)
    for open_request in (
        AccessRequest.objects.filter(person_id__in=ids, state__in=OPEN_REQUEST_STATES)
        .select_related("system")
        .order_by("created_at", "pk")
    ):
        pending[open_request.person_id].append(open_request)
    for form in (
        SecurityForm.objects.valid_on()
        .filter(person_id__in=ids)
        .select_related("form_type")
        .order_by("form_type__code", "pk")
    ):
        forms[form.person_id].append(form)
    return {
        pk: StaffAccess(accounts=accounts[pk], pending=pending[pk], forms=forms[pk]) for pk in ids
    }
