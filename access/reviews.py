"""Access reviews and the access report.

A campaign lists every live account, agency by agency; each agency's local experts confirm or
mark for removal (which opens a revoke request at once). Reminders go out before the deadline;
at the deadline the campaign closes and what was not reviewed is recorded as such. The report
(who has what, forms on file, last review) exports to CSV, neutralising cells a spreadsheet
would run as formulas."""

import csv
import io
from collections import defaultdict
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import (
    Account,
    RequestKind,
    ReviewCampaign,
    ReviewDecision,
    ReviewItem,
)
from access.services import LIVE_ACCOUNT_STATES, open_request, submit
from forms_4052_4055.permissions import is_local_expert_for
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.roles import Role
from helpdesk.lib.background import enqueue, enqueue_on_commit
from helpdesk.lib.csv_export import safe_cell
from helpdesk.models import AuditKind

REMINDER_DAYS_BEFORE_DEADLINE = (7, 1)


@transaction.atomic
def start_campaign(*, by: Actor, name: str, deadline) -> ReviewCampaign:
    if not by.has_role(Role.HELP_DESK):
        raise PermissionDenied("Help desk staff start access reviews.")
    if deadline <= timezone.now():
        raise ValidationError("The deadline must be in the future.")
    campaign = ReviewCampaign.objects.create(
        name=name.strip(), started_by=by.user, deadline=deadline
    )
    accounts = Account.objects.filter(state__in=LIVE_ACCOUNT_STATES).select_related(
        "person__office"
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(
            campaign=campaign,
            account=account,
            agency_id_snapshot=account.person.office.agency_id,
        )
        for account in accounts
    )
    record(
        AuditKind.CREATED,
        actor=by,
        target=campaign,
        after={"items": campaign.items.count(), "deadline": deadline.isoformat()},
    )
    pk = campaign.pk
    enqueue_on_commit("access.tasks.send_review_emails", pk, "started")
    return campaign


def may_review(user, item: ReviewItem) -> bool:
    return is_local_expert_for(user, item.account.person)


@transaction.atomic
def decide(item: ReviewItem, *, by: Actor, decision: str, note: str = "") -> ReviewItem:
    """Confirm an account, or mark it for removal: that opens a revoke request at once."""
    locked = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("campaign", "account__person__office", "account__credential_group")
        .get(pk=item.pk)
    )
    if not may_review(by.user, locked):
        raise PermissionDenied("Only the agency's local expert reviews its people's access.")
    if not locked.campaign.open:
        raise ValidationError("This review is closed.")
    if decision not in (ReviewDecision.KEEP, ReviewDecision.REMOVE):
        raise ValidationError("Confirm the access or mark it for removal.")
    if locked.decision == ReviewDecision.REMOVE:
        raise ValidationError("Already marked for removal; the revocation is under way.")
    before = locked.decision
    locked.decision, locked.decided_by, locked.decided_at = decision, by.user, timezone.now()
    locked.note = note.strip()[:300]
    if decision == ReviewDecision.REMOVE:
        system = locked.account.credential_group.systems.filter(active=True).order_by("pk").first()
        revoke = open_request(
            locked.account.person,
            system,
            RequestKind.REVOKE,
            by=by,
            reason=f"Access review {locked.campaign}: {note}".strip(": "),
        )
        review = Actor.system(f"access review {locked.campaign}: marked for removal")
        locked.revoke_request = submit(revoke, by=review)
    else:
        Account.objects.filter(pk=locked.account_id).update(last_reviewed_at=locked.decided_at)
    locked.save()
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked.account,
        before={"review": before},
        after={"review": decision},
        note=f"Access review {locked.campaign}.",
    )
    return locked


def review_sweep(now=None) -> dict[str, int]:
    """Reminders as the deadline nears (7 days, 1 day); close campaigns past it."""
    now = now or timezone.now()
    counts = {"reminded": 0, "closed": 0}
    for campaign in ReviewCampaign.objects.filter(closed_at__isnull=True):
        if campaign.deadline <= now:
            close(campaign, now=now)
            counts["closed"] += 1
            continue
        left = campaign.deadline - now
        crossed = sum(1 for d in REMINDER_DAYS_BEFORE_DEADLINE if left <= timedelta(days=d))
        if campaign.reminders_sent < crossed:
            updated = ReviewCampaign.objects.filter(
                pk=campaign.pk, reminders_sent=campaign.reminders_sent
            ).update(reminders_sent=crossed)
            if updated:
                enqueue("access.tasks.send_review_emails", campaign.pk, "reminder", crossed)
                counts["reminded"] += 1
    return counts


@transaction.atomic
def close(campaign: ReviewCampaign, *, now=None) -> ReviewCampaign:
    locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.closed_at is not None:
        return locked
    locked.closed_at = now or timezone.now()
    locked.save(update_fields=["closed_at"])
    missed = locked.items.filter(decision=ReviewDecision.PENDING).update(
        decision=ReviewDecision.NOT_REVIEWED
    )
    by = Actor.system("the access review sweep: the deadline passed")
    record(AuditKind.CHANGED, actor=by, target=locked, after={"closed": True, "missed": missed})
    return locked


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


def report_rows(accounts):
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


def report_csv(accounts) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(REPORT_HEADER)
    for row in report_rows(accounts):
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
