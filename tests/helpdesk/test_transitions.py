"""The one transition path and the typed actor: every kind of record changes state the same
way, with one conflict error, a permission check nobody can skip, and the system as an actor
that says why it acts."""

import pytest
from django.core.exceptions import PermissionDenied

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind, EventKind, Ticket
from helpdesk.tickets import services as svc
from helpdesk.transitions import ConflictError
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db


def test_an_actor_is_a_user_or_the_system_with_a_reason(world):
    hannah = Actor.of(world.hannah)
    assert hannah.user == world.hannah
    assert hannah.label == "hannah"
    assert not hannah.is_system
    assert Actor.of(world.pat.user).person == world.pat
    with pytest.raises(ValueError, match="why"):
        Actor.system("  ")
    with pytest.raises(TypeError):
        Actor.of(None)
    sweep = Actor.system("the SLA sweep")
    assert sweep.is_system
    assert sweep.user is None
    assert sweep.label == "system"


def test_a_transition_is_audited_and_on_the_timeline_once(
    world, django_capture_on_commit_callbacks
):
    ticket = th.in_progress(world)
    with django_capture_on_commit_callbacks() as after_commit:
        done = svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Reset the profile.")
    assert done.state == S.RESOLVED
    assert done.version == ticket.version + 1
    audited = AuditEvent.objects.for_object(ticket).filter(kind=AuditKind.TRANSITION)
    assert audited.filter(after={"state": S.RESOLVED}).count() == 1
    assert ticket.events.filter(kind=EventKind.TRANSITION, action=Action.RESOLVE).count() == 1
    assert after_commit  # the live update and the email wait for the commit


def test_the_system_acts_only_as_its_rule_allows_and_its_reason_is_recorded(world):
    ticket = th.in_progress(world)
    with pytest.raises(PermissionDenied):
        svc.resolve(ticket, by=Actor.system("a script"), resolution="Done.")
    resolved = th.resolved(world)
    svc.close(resolved, by=Actor.system("no reply for 5 business days"), note="")
    event = AuditEvent.objects.for_object(resolved).filter(after={"state": S.CLOSED}).get()
    assert event.actor is None
    assert event.actor_label == "system"
    assert event.note == "Closed. [no reply for 5 business days]"


def test_a_login_made_inactive_may_not_act(world):
    ticket = th.in_progress(world)
    hannah = Actor.of(world.hannah)
    world.hannah.is_active = False
    with pytest.raises(PermissionDenied):
        svc.resolve(ticket, by=hannah, resolution="Done.")


def test_one_conflict_error_for_a_stale_page_and_for_a_move_already_made(world):
    ticket = th.in_progress(world)
    seen = ticket.version
    svc.set_priority(ticket, by=Actor.of(world.hannah), priority="p1", expected_version=seen)
    with pytest.raises(ConflictError, match="changed by someone else"):
        svc.resolve(ticket, by=Actor.of(world.hannah), resolution="x", expected_version=seen)
    svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Fixed.")
    with pytest.raises(ConflictError, match="is resolved now, so that cannot be done"):
        svc.escalate_to_mis(ticket, by=Actor.of(world.hannah), note="Send up")
    assert Ticket.objects.get(pk=ticket.pk).state == S.RESOLVED
