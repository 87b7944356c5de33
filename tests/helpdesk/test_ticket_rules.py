"""Each rule of the workflow is defined once (escalation.workflow) and evaluated two ways, on a
ticket and in the database; the two never disagree, in any state."""

import pytest
from django.utils import timezone

from escalation.workflow import TicketState, tier_q
from helpdesk.models import Ticket
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("state", list(th.BUILDERS))
def test_open_tier_and_breached_agree_on_a_ticket_and_in_the_database(world, state):
    ticket = th.BUILDERS[state](world)
    ticket.refresh_from_db()
    one = Ticket.objects.filter(pk=ticket.pk)

    assert ticket.is_open == one.open().exists()
    for tier in (2, 3, 4):
        assert (ticket.tier == tier) == one.filter(tier_q(tier)).exists(), tier
    assert ticket.is_breached is False
    assert not one.breached().exists()
    Ticket.objects.filter(pk=ticket.pk).update(resolution_breached_at=timezone.now())
    ticket.refresh_from_db()
    assert ticket.is_breached
    assert one.breached().exists()


def test_a_resolved_ticket_is_not_open_and_a_paused_one_keeps_its_tier(world):
    assert not th.BUILDERS[TicketState.RESOLVED](world).is_open
    assert th.awaiting_info_from_mis(world).tier == 4
    assert th.awaiting_info(world).tier == 3
