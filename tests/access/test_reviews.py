"""Yearly access reviews and the access report."""

import csv
import io
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access import services as reviews
from access.models import Account, AccountState, RequestState, ReviewDecision, TargetSystem
from helpdesk.actor import Actor
from helpdesk.lib.csv_export import safe_cell


@pytest.fixture
def accounts(world):
    group = TargetSystem.objects.get(code="ccts").credential_group
    return {
        "alice": Account.objects.create(
            person=world.alice, credential_group=group, identifier="DHSAL01", state="active"
        ),
        "otto": Account.objects.create(
            person=world.otto, credential_group=group, identifier="DHSOT01", state="active"
        ),
    }


@pytest.fixture
def campaign(world, accounts, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        return reviews.start_campaign(
            by=Actor.of(world.hannah),
            name="Review 2026",
            deadline=timezone.now() + timedelta(days=30),
        )


def test_a_campaign_lists_every_account_and_tells_each_agencys_experts(world, campaign, mailoutbox):
    assert campaign.items.count() == 2
    recipients = sorted(address for email in mailoutbox for address in email.to)
    assert recipients == ["alex@example.org", "otto@example.org", "pat@example.org"]


def test_only_help_desk_staff_start_one(world, accounts):
    with pytest.raises(PermissionDenied):
        reviews.start_campaign(
            by=Actor.of(world.pat.user), name="x", deadline=timezone.now() + timedelta(days=1)
        )


def test_confirming_keeps_the_access_and_dates_the_review(world, campaign, accounts):
    item = campaign.items.get(account=accounts["alice"])

    reviews.decide_review(item, by=Actor.of(world.pat.user), decision="keep")

    accounts["alice"].refresh_from_db()
    assert accounts["alice"].last_reviewed_at is not None
    assert accounts["alice"].state == AccountState.ACTIVE


def test_marking_for_removal_opens_a_revocation(world, campaign, accounts):
    item = campaign.items.get(account=accounts["alice"])

    decided = reviews.decide_review(
        item, by=Actor.of(world.pat.user), decision="remove", note="Moved to intake."
    )

    assert decided.revoke_request.kind == "revoke"
    assert decided.revoke_request.state == RequestState.SUBMITTED
    with pytest.raises(ValidationError):
        reviews.decide_review(item, by=Actor.of(world.pat.user), decision="keep")


def test_a_local_expert_reviews_only_their_agency(world, campaign, accounts):
    item = campaign.items.get(account=accounts["otto"])

    with pytest.raises(PermissionDenied):
        reviews.decide_review(item, by=Actor.of(world.pat.user), decision="remove")


def test_reminders_then_the_deadline_closes_it_and_keeps_the_results(
    world, campaign, accounts, mailoutbox, django_capture_on_commit_callbacks
):
    reviews.decide_review(
        campaign.items.get(account=accounts["alice"]), by=Actor.of(world.pat.user), decision="keep"
    )
    mailoutbox.clear()

    # Each email leaves in its own task, after the commit that queued it.
    with (
        time_machine.travel(campaign.deadline - timedelta(days=5)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert reviews.review_sweep() == {"reminded": 1, "closed": 0}
        assert reviews.review_sweep() == {"reminded": 0, "closed": 0}
    assert [e.to for e in mailoutbox] == [["otto@example.org"]]  # only where work is left
    with time_machine.travel(campaign.deadline + timedelta(minutes=1)):
        assert reviews.review_sweep() == {"reminded": 0, "closed": 1}

    decisions = dict(campaign.items.values_list("account__identifier", "decision"))
    assert decisions == {"DHSAL01": ReviewDecision.KEEP, "DHSOT01": ReviewDecision.NOT_REVIEWED}
    with pytest.raises(ValidationError):
        reviews.decide_review(
            campaign.items.get(account=accounts["otto"]),
            by=Actor.of(world.otto.user),
            decision="keep",
        )


@pytest.mark.parametrize("value", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx"])
def test_csv_cells_that_would_be_formulas_are_neutralised(value):
    assert safe_cell(value) == "'" + value
    assert safe_cell("Alice") == "Alice"


def test_the_access_report_for_the_help_desk_and_for_a_local_expert(client, world, accounts):
    world.alice.first_name = "=cmd|' /C calc'!A0"
    world.alice.save()

    client.force_login(world.hannah)
    rows = list(csv.reader(io.StringIO(client.get(reverse("access_report")).content.decode())))
    assert rows[0][:3] == ["Person", "Email", "Agency"]
    assert len(rows) == 3
    assert any(row[0].startswith("'=cmd") for row in rows[1:])

    client.force_login(world.pat.user)
    rows = list(csv.reader(io.StringIO(client.get(reverse("access_report")).content.decode())))
    assert [row[5] for row in rows[1:]] == ["DHSAL01"]

    client.force_login(world.alice.user)
    assert client.get(reverse("access_report")).status_code == 403


def test_review_pages(client, world, campaign, accounts):
    client.force_login(world.pat.user)
    page = client.get(reverse("review_campaign", args=[campaign.pk])).content.decode()
    assert "DHSAL01" in page
    assert "DHSOT01" not in page
    item = campaign.items.get(account=accounts["alice"])
    client.post(reverse("review_decide", args=[campaign.pk, item.pk]), {"decision": "keep"})
    item.refresh_from_db()
    assert item.decision == ReviewDecision.KEEP

    client.force_login(world.hannah)
    page = client.get(reverse("review_campaign", args=[campaign.pk])).content.decode()
    assert "Northern Lights CCR&amp;R" in page
    client.force_login(world.mike)
    assert client.get(reverse("review_campaigns")).status_code == 403


def test_the_home_page_shows_revocations(client, world, accounts):
    from datetime import date

    from access.services import report_departure

    report_departure(
        world.alice, by=Actor.of(world.pat.user), kind="left", effective_on=date.today()
    )
    for user in (world.hannah, world.pat.user):
        client.force_login(user)
        assert "1 open revocation" in client.get(reverse("home")).content.decode()
    client.force_login(world.otto.user)
    assert "0 open revocations" in client.get(reverse("home")).content.decode()


def test_an_account_on_no_active_system_is_not_marked_for_removal(world, campaign, accounts):
    """A credential whose systems are all retired has nowhere to send a revocation: the expert
    is told so, and the review stays pending (nothing half done)."""
    group = accounts["alice"].credential_group
    TargetSystem.objects.filter(credential_group=group).update(active=False)
    item = campaign.items.get(account=accounts["alice"])

    with pytest.raises(ValidationError, match="No active system"):
        reviews.decide_review(item, by=Actor.of(world.pat.user), decision="remove")

    item.refresh_from_db()
    assert item.decision == ReviewDecision.PENDING
    assert item.revoke_request is None
