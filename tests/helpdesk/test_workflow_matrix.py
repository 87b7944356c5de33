"""Every (state, action, role) combination is allowed or refused as DESIGN.md says."""

import pytest
from django_fsm import has_transition_perm

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db

PERSONAS = ["alice", "pat", "alex", "otto", "hannah", "mike", "ada", "system"]
A = Action

# state -> action -> personas allowed. Anything not listed is refused, for everyone.
ALLOWED = {
    S.WITH_LOCAL_EXPERT: {
        A.RESOLVE_LOCALLY: {"pat", "alex"},
        A.ESCALATE_TO_HELP_DESK: {"pat", "alex"},
        A.WITHDRAW: {"pat", "alex"},
    },
    S.SUBMITTED: {
        A.ASSIGN: {"hannah"},
        A.REJECT: {"hannah"},
        A.WITHDRAW: {"pat", "alex"},
    },
    S.IN_PROGRESS: {
        A.ASSIGN: {"hannah"},
        A.ESCALATE_TO_MIS: {"hannah"},
        A.RESOLVE: {"hannah"},
        A.REJECT: {"hannah"},
        A.REQUEST_INFO: {"hannah"},
    },
    S.ESCALATED_TO_MIS: {
        A.REQUEST_INFO: {"mike"},
        A.REPORT_MIS_RESOLUTION: {"mike"},
    },
    S.AWAITING_INFO: {A.PROVIDE_INFO: {"pat", "alex", "hannah"}},
    S.RESOLVED: {
        A.REOPEN: {"pat", "alex", "hannah"},
        A.CLOSE: {"pat", "alex", "hannah", "system"},
    },
    S.RESOLVED_LOCALLY: {},
    S.CLOSED: {},
    S.REJECTED: {},
}


def _actor(world, persona):
    if persona == "system":
        return None
    person = getattr(world, persona)
    return getattr(person, "user", person)


def _may(ticket, action, actor) -> bool:
    method = getattr(ticket, action.value)
    if actor is None:
        from django_fsm import can_proceed

        return can_proceed(method) and ticket.user_may(None, action)
    return has_transition_perm(method, actor)


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
    assert not has_transition_perm(ticket.request_info, world.mike)
    assert th.awaiting_info_from_mis(world).state == S.AWAITING_INFO


def test_a_former_local_expert_loses_the_right_to_escalate(world):
    ticket = th.reported(world)
    from helpdesk.directory.services import remove_designation

    remove_designation(world.alex.designations.get(), by=world.ada)
    world.alex.user.refresh_from_db()
    assert not has_transition_perm(ticket.escalate_to_help_desk, world.alex.user)


def test_the_state_field_cannot_be_written_directly(world):
    ticket = th.reported(world)
    with pytest.raises(AttributeError):
        ticket.state = S.RESOLVED
