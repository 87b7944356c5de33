"""Who may see and act on tickets: the rules of the four tiers (DESIGN.md). Views, services and
websockets ask these functions; no rule about ticket access is written anywhere else."""

from django.db.models import Q

from escalation.workflow import Action, TicketState
from helpdesk.actor import Actor
from helpdesk.directory.permissions import is_designated_expert_of, person_of
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import Ticket
from helpdesk.models.tickets import REACHED_MIS, TicketQuerySet


def tickets_visible_to(user: AnyUser) -> TicketQuerySet:
    """Help desk and administrators: all; MIS: what was ever escalated to MIS; a local expert:
    their agency's; an agency user: what they reported. Nobody else: nothing."""
    tickets = Ticket.objects.all()
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return tickets
    visible = Q(pk__in=[])
    if has_role(user, Role.MIS):
        visible |= REACHED_MIS
    me = person_of(user)
    if me is not None and has_role(user, Role.LOCAL_EXPERT):
        visible |= Q(office__agency_id=me.office.agency_id)
    if me is not None and has_role(user, Role.AGENCY_USER):
        visible |= Q(reported_by=me)
    return tickets.filter(visible)


def sees_internal_notes(user: AnyUser) -> bool:
    return has_role(user, Role.HELP_DESK, Role.MIS, Role.ADMINISTRATOR)


# What the system may do on its own, and why: a resolved ticket nobody answered closes itself
# (the SLA sweep); help desk staff release a quarantined emailed report into the tiers (the
# release is theirs to make and is audited; the escalation it causes is the system's).
SYSTEM_ACTIONS = frozenset({Action.CLOSE, Action.ESCALATE_TO_HELP_DESK})


def may_act(actor: Actor, ticket: Ticket, action: str) -> bool:
    """Who may take each workflow action (DESIGN.md, the four tiers)."""
    if actor.is_system:
        return action in SYSTEM_ACTIONS
    user = actor.user
    if not actor.is_active:
        return False
    expert = is_designated_expert_of(user, ticket.office_id)
    help_desk = actor.has_role(Role.HELP_DESK)
    mis = actor.has_role(Role.MIS) and ticket.mis_escalated_at is not None
    rules = {
        Action.RESOLVE_LOCALLY: expert,
        Action.ESCALATE_TO_HELP_DESK: expert,
        Action.WITHDRAW: expert,
        Action.ASSIGN: help_desk,
        Action.ESCALATE_TO_MIS: help_desk,
        Action.RESOLVE: help_desk,
        Action.REJECT: help_desk,
        # A duplicate merged into another (tickets.merging); its rules of which tickets, there.
        Action.MERGE: help_desk,
        # Whoever holds the ticket asks: the help desk at tier 3, MIS at tier 4.
        Action.REQUEST_INFO: (help_desk and ticket.state == TicketState.IN_PROGRESS)
        or (mis and ticket.state == TicketState.ESCALATED_TO_MIS),
        Action.PROVIDE_INFO: expert or help_desk,
        Action.REPORT_MIS_RESOLUTION: mis,
        Action.REOPEN: expert or help_desk,
        Action.CLOSE: expert or help_desk,
    }
    return bool(rules.get(Action(action), False))


def available_actions(actor: Actor, ticket: Ticket) -> list[Action]:
    """The actions the ticket's state allows now and ``actor`` may take, in the machine's
    order: what the ticket page offers."""
    return [
        Action(t.name)
        for t in ticket.get_available_state_transitions()
        if may_act(actor, ticket, t.name)
    ]
