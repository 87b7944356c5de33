"""A refused action on the ticket page (someone acted first, or a value the service refuses)
shows the one plain message with what was typed, never a redirect that loses it."""

import pytest
from django.urls import reverse

from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import Ticket
from helpdesk.tickets import services as svc
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
TYPED = "Reset the BlueZone profile; the keep-alive was off."


def test_a_stale_page_gets_the_conflict_and_the_form_as_it_was_sent(client, world):
    ticket = th.in_progress(world)
    seen = ticket.version
    svc.set_priority(ticket, by=Actor.of(world.hannah), priority="p1")  # someone else
    client.force_login(world.hannah)
    response = client.post(
        reverse("ticket_action", args=[ticket.pk, "resolve"]),
        {"resolve-resolution": TYPED, "resolve-version": seen},
    )
    assert response.status_code == 409
    [(_, form)] = [(a, f) for a, f in response.context["actions"] if f.is_bound]
    assert form["resolution"].value() == TYPED
    assert int(form["version"].value()) == Ticket.objects.get().version  # a retry can succeed
    assert "changed by someone else" in " ".join(form.non_field_errors())
    assert Ticket.objects.get().state == S.IN_PROGRESS


def test_an_action_no_longer_offered_still_shows_what_was_typed(client, world):
    ticket = th.in_progress(world)
    seen = ticket.version
    svc.resolve(ticket, by=Actor.of(world.hannah), resolution="Fixed by a colleague.")
    client.force_login(world.hannah)
    response = client.post(
        reverse("ticket_action", args=[ticket.pk, "escalate_to_mis"]),
        {"escalate_to_mis-note": TYPED, "escalate_to_mis-version": seen},
    )
    assert response.status_code == 409
    assert response.context["unsaved"]["text"] == TYPED
    assert TYPED in response.content.decode()


def test_an_empty_required_field_is_shown_on_the_form_not_lost_in_a_flash(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.hannah)
    response = client.post(
        reverse("ticket_action", args=[ticket.pk, "reject"]),
        {"reject-reason": "", "reject-version": ticket.version},
    )
    assert response.status_code == 400
    [(_, form)] = [(a, f) for a, f in response.context["actions"] if f.is_bound]
    assert form.errors["reason"]
