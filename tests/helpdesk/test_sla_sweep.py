"""The SLA sweep: set-based, each breach claimed once, resolved tickets closed after 5 days."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail

from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import EventKind, Ticket
from helpdesk.tickets.tasks import sla_sweep
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
CHICAGO = ZoneInfo("America/Chicago")
TUESDAY_9AM = datetime(2026, 3, 10, 9, 0, tzinfo=CHICAGO)


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


def test_nothing_is_flagged_before_it_is_due_or_while_paused(world):
    with time_machine.travel(TUESDAY_9AM, tick=False):
        ticket = th.in_progress(world)
        assert sla_sweep() == {"auto_closed": 0}
    with time_machine.travel(TUESDAY_9AM + timedelta(hours=1), tick=False):
        from helpdesk.tickets import services as svc

        svc.request_info(ticket, by=Actor.of(world.hannah), question="Which PC?")
    with time_machine.travel(TUESDAY_9AM + timedelta(days=30), tick=False):
        assert sla_sweep() == {"auto_closed": 0}  # paused: waiting on the local expert


def test_two_sweeps_at_once_claim_each_breach_once(world):
    with time_machine.travel(TUESDAY_9AM, tick=False):
        tickets = [th.submitted(world) for _ in range(5)]
    from escalation import sla

    later = TUESDAY_9AM + timedelta(days=10)
    first = sla.claim_breaches(Ticket.objects.all(), later)
    second = sla.claim_breaches(Ticket.objects.all(), later)
    assert sorted(first[sla.Clock.RESPONSE]) == sorted(t.pk for t in tickets)
    assert second == {}


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
