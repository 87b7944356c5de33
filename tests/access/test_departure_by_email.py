"""Departures reported by email through the mail intake."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from access.models import Account, AccountState, TargetSystem
from helpdesk.actor import Actor
from helpdesk.mail import intake
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    Outcome,
    QuarantineReason,
    SenderProof,
    Ticket,
    User,
)
from tests.helpdesk.mail.messages import email_bytes


@pytest.fixture
def alice_has_ccts(world):
    return Account.objects.create(
        person=world.alice,
        credential_group=TargetSystem.objects.get(code="ccts").credential_group,
        identifier="DHSAL01",
        state=AccountState.ACTIVE,
    )


TRUSTED = "mx.illinois.example"
CENTRAL = ZoneInfo("America/Chicago")


@pytest.fixture(autouse=True)
def our_mail_server_checks_dmarc(settings):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]


def _departure(
    sender="pat@example.org", body="Alice (alice@example.org) left on Friday.", proven=True
):
    """A departure email; ``proven``: our mail server saw an aligned DMARC pass for it."""
    domain = sender.rsplit("@", 1)[-1]
    headers = {"Authentication-Results": f"{TRUSTED}; dmarc=pass header.from={domain}"}
    return email_bytes(
        sender=sender,
        subject="Departure: Alice Agency",
        body=body,
        headers=headers if proven else None,
    )


def test_a_local_experts_email_opens_the_revocations(world, alice_has_ccts):
    result = intake.ingest(_departure(), source="pipe")

    assert result.outcome == Outcome.HANDLED
    assert "1 revocation" in result.inbound.detail
    assert world.alice.access_requests.get().kind == "revoke"


def test_finding_a_departure_by_email_disables_the_login_at_once(world, alice_has_ccts):
    intake.ingest(_departure(), source="pipe")

    world.alice.refresh_from_db()
    assert not world.alice.active
    user = User.objects.get(pk=world.alice.user.pk)
    assert not user.is_active
    assert user.session_generation == 1  # every session ended
    event = AuditEvent.objects.for_object(user).get(kind=AuditKind.DEACTIVATED)
    assert event.actor == world.pat.user
    assert "Reported by email" in event.note


def test_a_change_of_function_keeps_the_person_active(world, alice_has_ccts):
    body = "alice@example.org changed job function to billing today; remove her CCTS access."

    intake.ingest(_departure(body=body), source="pipe")

    world.alice.refresh_from_db()
    assert world.alice.active
    assert User.objects.get(pk=world.alice.user.pk).is_active
    assert world.alice.departures.get().kind == "changed_function"


@pytest.mark.parametrize(
    ("sender", "body"),
    [
        ("otto@example.org", "alice@example.org left."),  # another agency's expert
        ("pat@example.org", "Someone left yesterday."),  # nobody named
        ("stranger@elsewhere.example", "alice@example.org left."),  # no sign-in
    ],
)
def test_what_cannot_be_acted_on_is_held_for_review(world, alice_has_ccts, sender, body):
    result = intake.ingest(_departure(sender=sender, body=body), source="pipe")

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.NEEDS_REVIEW
    assert not world.alice.access_requests.exists()


def test_finding_an_unproven_departure_email_disables_no_one(world, alice_has_ccts):
    """A forged From (no aligned DMARC pass, not a reply to our mail) cannot end a colleague's
    sign-in: the message is held for the help desk, and nothing changes."""
    result = intake.ingest(_departure(proven=False), source="pipe")

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.NEEDS_REVIEW
    assert "not proven" in result.inbound.detail
    assert not world.alice.access_requests.exists()
    assert not world.alice.departures.exists()
    assert User.objects.get(pk=world.alice.user.pk).is_active


# --- Released by the help desk: offered to the departure handler again ------------------------


def test_releasing_an_unproven_departure_reports_it_and_makes_no_ticket(world, alice_has_ccts):
    """The help desk confirmed it with the expert by phone: the release is their word for the
    sender, so the departure goes ahead in the expert's name, and no ticket is made of it."""
    held = intake.ingest(_departure(proven=False), source="pipe").inbound
    assert held.handler == "departures"

    released = intake.release(held, by=Actor.of(world.hannah), note="Pat confirmed by phone.")

    assert released.ticket is None
    assert "1 revocation" in released.detail
    assert world.alice.departures.get().reported_by == world.pat.user
    assert not Ticket.objects.exists()
    held.refresh_from_db()
    assert (held.outcome, held.sender_proof) == (Outcome.RELEASED, SenderProof.HELP_DESK)
    audit = AuditEvent.objects.get(kind=AuditKind.MAIL_RELEASED)
    assert audit.after["handler"] == "departures"
    assert "1 revocation" in audit.after["detail"]


def test_a_held_departure_the_handler_still_cannot_act_on_is_not_released(world, alice_has_ccts):
    held = intake.ingest(_departure(body="Someone left yesterday."), source="pipe").inbound

    with pytest.raises(ValidationError, match="naming no one"):
        intake.release(held, by=Actor.of(world.hannah))

    held.refresh_from_db()
    assert held.outcome == Outcome.QUARANTINED
    assert not Ticket.objects.exists()
    assert not world.alice.departures.exists()


def test_the_release_page_says_what_the_handler_did(world, alice_has_ccts, client):
    held = intake.ingest(_departure(proven=False), source="pipe").inbound
    client.force_login(world.hannah)

    response = client.post(reverse("inbound_release", args=[held.pk]), {"note": ""}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("inbound_detail", args=[held.pk])
    assert "Released: departures: departure of Alice" in response.content.decode()


# --- The departure date (issue 19: the clock counts from it) ----------------------------------


def test_the_date_in_the_email_starts_the_clock(world, alice_has_ccts):
    with time_machine.travel(datetime(2026, 12, 9, 15, tzinfo=UTC)):  # Wednesday, 9:00 Central
        body = "alice@example.org's last day was 12/7/2026."
        result = intake.ingest(_departure(body=body), source="pipe")

    departure = world.alice.departures.get()
    assert result.outcome == Outcome.HANDLED
    assert departure.effective_on == date(2026, 12, 7)
    assert departure.contract_deadline == datetime(2026, 12, 9, 17, tzinfo=CENTRAL)
    assert departure.late_working_days == 0


def test_an_email_without_a_date_is_held_and_the_sender_asked(
    world, alice_has_ccts, mailoutbox, django_capture_on_commit_callbacks
):
    body = "alice@example.org no longer works here; please remove her access."

    with django_capture_on_commit_callbacks(execute=True):
        result = intake.ingest(_departure(body=body), source="pipe")

    assert result.outcome == Outcome.QUARANTINED
    assert "without a date" in result.inbound.detail
    assert not world.alice.departures.exists()
    [asked] = [m for m in mailoutbox if m.to == ["pat@example.org"]]
    assert "when did they leave" in asked.subject
    assert "Last day: 11/25/2026" in asked.body
