"""Every (state, action, role) combination is allowed or refused as DESIGN.md says."""

import pytest
from django_fsm import can_proceed

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.tickets.permissions import may_act
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db

PERSONAS = ["alice", "pat", "alex", "otto", "hannah", "mike", "ada", "system"]
A = Action

# state -> action -> personas allowed. Anything not listed is refused, for everyone.
ALLOWED = {
    S.WITH_LOCAL_EXPERT: {
        A.RESOLVE_LOCALLY: {"pat", "alex"},
        # The system files a report help desk staff released from the mail quarantine.
        A.ESCALATE_TO_HELP_DESK: {"pat", "alex", "system"},
        A.WITHDRAW: {"pat", "alex"},
    },
    S.SUBMITTED: {
        A.ASSIGN: {"hannah"},
        A.REJECT: {"hannah"},
        A.WITHDRAW: {"pat", "alex"},
        # A duplicate report is merged into another by the help desk, wherever tier 3 or 4 is.
        A.MERGE: {"hannah"},
    },
    S.IN_PROGRESS: {
        A.ASSIGN: {"hannah"},
        A.ESCALATE_TO_MIS: {"hannah"},
        A.RESOLVE: {"hannah"},
        A.REJECT: {"hannah"},
        A.REQUEST_INFO: {"hannah"},
        A.MERGE: {"hannah"},
    },
    S.ESCALATED_TO_MIS: {
        A.REQUEST_INFO: {"mike"},
        A.REPORT_MIS_RESOLUTION: {"mike"},
        A.MERGE: {"hannah"},
    },
    S.AWAITING_INFO: {A.PROVIDE_INFO: {"pat", "alex", "hannah"}, A.MERGE: {"hannah"}},
    S.RESOLVED: {
        A.REOPEN: {"pat", "alex", "hannah"},
        A.CLOSE: {"pat", "alex", "hannah", "system"},
    },
    S.RESOLVED_LOCALLY: {},
    S.CLOSED: {},
    S.REJECTED: {},
}


def _actor(world, persona) -> Actor:
    if persona == "system":
        return Actor.system("the workflow matrix")
    person = getattr(world, persona)
    return Actor.of(getattr(person, "user", person))


def _may(ticket, action, actor: Actor) -> bool:
    """What the one transition path checks: the machine allows it now, and the rule allows it."""
    return can_proceed(getattr(ticket, action.value)) and may_act(actor, ticket, action)


@pytest.mark.parametrize("state", list(ALLOWED))
def test_every_action_for_every_role_in_every_state(world, state):
    ticket = th.BUILDERS[state](world)
    assert ticket.state == state
    wrong = []
    for action in Action:
        for persona in PERSONAS:
            expected = persona in ALLOWED[state].get(action, set())
            if _may(ticket, action, _actor(world, persona)) != expected:
                wrong.append(f"{persona} {'may' if not expected else 'may not'} {action.value}")
    assert not wrong, f"in {state}: " + "; ".join(wrong)


def test_mis_acts_only_on_what_was_escalated_to_it(world):
    ticket = th.in_progress(world)
    assert not _may(ticket, Action.REQUEST_INFO, Actor.of(world.mike))
    assert th.awaiting_info_from_mis(world).state == S.AWAITING_INFO


def test_a_former_local_expert_loses_the_right_to_escalate(world):
    ticket = th.reported(world)
    from helpdesk.directory.services import remove_designation

    remove_designation(world.alex.designations.get(), by=Actor.of(world.ada))
    world.alex.user.refresh_from_db()
    assert not _may(ticket, Action.ESCALATE_TO_HELP_DESK, Actor.of(world.alex.user))


def test_the_state_field_cannot_be_written_directly(world):
    ticket = th.reported(world)
    with pytest.raises(AttributeError):
        ticket.state = S.RESOLVED
