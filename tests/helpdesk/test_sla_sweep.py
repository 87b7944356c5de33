"""The SLA sweep: set-based, each breach claimed once, resolved tickets closed after 5 days."""

import importlib
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core import mail

from escalation import sla
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import EventKind, OutboundEmail, Ticket, TicketEvent
from helpdesk.tickets.tasks import send_breach_emails, sla_sweep
from tests.concurrency import POSTGRESQL_ONLY, raise_unexpected, run_at_once
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9AM = datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO)


@pytest.fixture
def starting_sla_targets(db):
    """The SLA targets the migrations start with. A test with ``transaction=True`` needs this:
    the database is emptied after each such test, data migrations' rows with it."""
    migration = importlib.import_module("escalation.migrations.0003_default_sla_policies")
    migration.add_policies(django_apps, None)


def test_a_missed_response_target_is_flagged_once_and_notified_once(
    world, settings, django_capture_on_commit_callbacks
):
    settings.HELP_DESK_SUPERVISORS = ["supervisor@example.org"]
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = th.submitted(world)  # first response due at 13:00
    mail.outbox.clear()
    with time_machine.travel(TUESDAY_9AM + timedelta(hours=5), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            first = sla_sweep()
        with django_capture_on_commit_callbacks(execute=True):
            second = sla_sweep()
    assert first["response"] == 1
    assert "response" not in second
    ticket.refresh_from_db()
    assert ticket.response_breached_at is not None
    assert ticket.events.filter(kind=EventKind.SLA_BREACH).count() == 1
    breach = [m for m in mail.outbox if "Missed target" in m.subject]
    assert len(breach) == 1
    assert breach[0].subject.startswith(f"[{ticket.tracking_number}]")
    assert "supervisor@example.org" in breach[0].to


def test_a_retried_breach_batch_emails_each_breach_once(world, django_capture_on_commit_callbacks):
    ticket = th.submitted(world)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert send_breach_emails("response", [ticket.pk], flagged="20260303T130000") == 1
        # django-q2 running the same batch again: nothing new to send.
        assert send_breach_emails("response", [ticket.pk], flagged="20260303T130000") == 0
        # The same target missed again later (its clock was reset since): a new email.
        assert send_breach_emails("response", [ticket.pk], flagged="20260310T130000") == 1
    assert len([m for m in mail.outbox if "Missed target" in m.subject]) == 2


def test_nothing_is_flagged_before_it_is_due_or_while_paused(world):
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = th.in_progress(world)
        assert sla_sweep() == {"auto_closed": 0}
    with time_machine.travel(TUESDAY_9AM + timedelta(hours=1), tick=False):
        from helpdesk.tickets import services as svc

        svc.request_info(ticket, by=Actor.of(world.hannah), question="Which PC?")
    with time_machine.travel(TUESDAY_9AM + timedelta(days=30), tick=False):
        assert sla_sweep() == {"auto_closed": 0}  # paused: waiting on the local expert


def _record_claims(monkeypatch) -> list[set]:
    """Each call of ``sla.claim_breaches`` (one per sweep), as the set of (ticket id, clock)
    it claimed; the claim itself is the real one."""
    claims: list[set] = []
    real = sla.claim_breaches

    def claim_breaches(queryset, now):
        claimed = real(queryset, now)
        claims.append({(pk, clock) for clock, ids in claimed.items() for pk in ids})
        return claimed

    monkeypatch.setattr(sla, "claim_breaches", claim_breaches)
    return claims


@POSTGRESQL_ONLY
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_claim_each_breach_once(
    world, settings, monkeypatch, starting_sla_targets
):
    """Two workers sweep the same due tickets at once: both start their claim while every
    breach is still unflagged, yet each breach is claimed by one sweep only, flagged once and
    emailed once."""
    settings.HELP_DESK_SUPERVISORS = ["supervisor@example.org"]
    with time_machine.travel(TUESDAY_9AM, tick=False):
        tickets = [th.submitted(world) for _ in range(5)]
    later = TUESDAY_9AM + timedelta(days=10)
    due = {
        (pk, clock)
        for clock in sla.Clock
        for pk in Ticket.objects.filter(sla.overdue_q(later, [clock])).values_list("pk", flat=True)
    }
    assert {(t.pk, sla.Clock.RESPONSE) for t in tickets} <= due  # the test is not vacuous
    claims = _record_claims(monkeypatch)

    outcomes = run_at_once(
        lambda: sla_sweep(now=later),
        lambda: sla_sweep(now=later),
        contend_for=Ticket.objects.filter(pk__in=[t.pk for t in tickets]),
    )
    raise_unexpected(outcomes)

    assert len(claims) == 2, claims
    first, second = claims
    assert first.isdisjoint(second), sorted(first & second)  # no breach claimed twice
    assert first | second == due  # and none left out
    flagged = TicketEvent.objects.filter(kind=EventKind.SLA_BREACH)
    assert sorted((e.ticket_id, e.data["clock"]) for e in flagged) == sorted(due)
    emails = OutboundEmail.objects.filter(kind="sla_breach")  # queued, and run inline
    emailed = [
        (e.ticket_id, clock)
        for e in emails
        for clock in sla.Clock
        if f"Missed target ({clock.label})" in e.subject
    ]
    assert len(emails) == len(due)
    assert sorted(emailed) == sorted(due)
    swept = {t.pk: t for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    for pk, clock in due:
        assert getattr(swept[pk], sla.CLOCK_FIELDS[clock][1]) == later


def test_resolved_tickets_close_after_five_business_days_without_reply(world):
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = th.resolved(world)
    with time_machine.travel(datetime(2026, 3, 16, 16, 0, tzinfo=CHICAGO), tick=False):
        assert sla_sweep()["auto_closed"] == 0  # four business days later
    with time_machine.travel(datetime(2026, 3, 17, 17, 1, tzinfo=CHICAGO), tick=False):
        assert sla_sweep()["auto_closed"] == 1
        assert sla_sweep()["auto_closed"] == 0
    ticket.refresh_from_db()
    assert ticket.state == S.CLOSED
    last = ticket.events.filter(kind=EventKind.TRANSITION).last()
    assert last.actor_label == "system"
    assert "no reply for 5 business days" in last.note
