"""Access records under the retention rules (docs/retention.md): closed requests, departures
(once no request of theirs stays), revoked accounts (once no review of them stays) and closed
reviews go seven years after the change; open ones stay whatever their age."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from access.models import (
    AccessRequest,
    Account,
    AccountState,
    Departure,
    RequestKind,
    RequestState,
    ReviewCampaign,
    ReviewItem,
    TargetSystem,
)
from helpdesk.actor import Actor
from helpdesk.retention.services import apply_retention, place_hold

pytestmark = pytest.mark.django_db

ACCESS = ["access_requests", "access_reviews", "departures", "accounts"]


def _ago(years: float):
    return timezone.now() - timedelta(days=int(years * 366))


def _run(**kwargs) -> dict:
    reports = apply_retention(by=Actor.system("test"), kinds=ACCESS, **kwargs)
    return {report.key: report for report in reports}


def _request(person, state, *, years: float, departure=None) -> AccessRequest:
    with time_machine.travel(_ago(years), tick=False):
        closed = state in (RequestState.COMPLETED, RequestState.DENIED, RequestState.CANCELLED)
        return AccessRequest.objects.create(
            kind=RequestKind.REVOKE,
            person=person,
            system=TargetSystem.objects.get(code="ccts"),
            fulfiller="help_desk",
            state=state,
            closed_at=timezone.now() if closed else None,
            departure=departure,
        )


def _departure(person, *, years: float) -> Departure:
    with time_machine.travel(_ago(years), tick=False):
        return Departure.objects.create(
            person=person,
            kind=Departure.Kind.LEFT,
            effective_on=timezone.localdate(),
            deadline=timezone.now() + timedelta(days=2),
        )


def _revoked_account(person, *, years: float) -> Account:
    with time_machine.travel(_ago(years), tick=False):
        return Account.objects.create(
            person=person,
            credential_group=TargetSystem.objects.get(code="ccts").credential_group,
            identifier="DHSAL01",
            state=AccountState.REVOKED,
        )


def test_a_closed_request_goes_after_the_rule_and_an_open_one_stays(world):
    old = _request(world.alice, RequestState.COMPLETED, years=8)
    recent = _request(world.alice, RequestState.COMPLETED, years=6)
    still_open = _request(world.alice, RequestState.SUBMITTED, years=9)

    reports = _run()

    assert reports["access_requests"].done == 1
    assert not AccessRequest.objects.filter(pk=old.pk).exists()
    assert AccessRequest.objects.filter(pk__in=[recent.pk, still_open.pk]).count() == 2


def test_a_departure_waits_for_its_requests_and_goes_with_them_in_one_run(world):
    departure = _departure(world.alice, years=8)
    _request(world.alice, RequestState.COMPLETED, years=8, departure=departure)
    other = _departure(world.pat, years=8)
    _request(world.pat, RequestState.COMPLETED, years=3, departure=other)  # still kept

    planned = _run(dry_run=True)
    done = _run(batch_size=1)

    assert [(r.due, r.kept_by_hold) for r in planned.values()] == [
        (r.done, r.kept_by_hold) for r in done.values()
    ]
    assert (done["access_requests"].done, done["departures"].done) == (1, 1)
    assert not Departure.objects.filter(pk=departure.pk).exists()
    assert Departure.objects.filter(pk=other.pk).exists()


def test_a_revoked_account_waits_for_the_reviews_that_name_it(world):
    account = _revoked_account(world.alice, years=8)
    with time_machine.travel(_ago(8), tick=False):
        old_review = ReviewCampaign.objects.create(
            name="2018", deadline=timezone.now(), closed_at=timezone.now()
        )
    open_review = ReviewCampaign.objects.create(name="2026", deadline=timezone.now())
    for campaign in (old_review, open_review):
        ReviewItem.objects.create(
            campaign=campaign, account=account, agency_id_snapshot=world.office.agency_id
        )

    reports = _run()

    assert (reports["access_reviews"].done, reports["accounts"].done) == (1, 0)
    assert Account.objects.filter(pk=account.pk).exists()

    ReviewCampaign.objects.filter(pk=open_review.pk).update(closed_at=_ago(8))
    reports = _run()

    assert (reports["access_reviews"].done, reports["accounts"].done) == (1, 1)


def test_a_live_account_stays_and_a_hold_on_the_person_keeps_their_records(world):
    live = Account.objects.create(
        person=world.pat,
        credential_group=TargetSystem.objects.get(code="ccts").credential_group,
        state=AccountState.ACTIVE,
    )
    Account.objects.filter(pk=live.pk).update(updated_at=_ago(9))
    _revoked_account(world.alice, years=8)
    _request(world.alice, RequestState.DENIED, years=8)
    place_hold(by=Actor.of(world.ada), reason="Grievance 4", person=world.alice)

    reports = _run()

    assert {key: (r.done, r.kept_by_hold) for key, r in reports.items()} == {
        "access_requests": (0, 1),
        "access_reviews": (0, 0),
        "departures": (0, 0),
        "accounts": (0, 1),
    }
    assert Account.objects.count() == 2
