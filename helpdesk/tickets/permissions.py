"""Who may see and act on tickets: the rules of the four tiers (DESIGN.md). Views, services and
websockets ask these functions; no rule about ticket access is written anywhere else."""

from django.db.models import Q

from escalation.workflow import Action, TicketState
from helpdesk.directory.permissions import is_designated_expert_of, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import Ticket


def tickets_visible_to(user):
    """Help desk and administrators: all; MIS: what was ever escalated to MIS; a local expert:
    their agency's; an agency user: what they reported. Nobody else: nothing."""
    tickets = Ticket.objects.all()
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return tickets
    visible = Q(pk__in=[])
    if has_role(user, Role.MIS):
        visible |= Q(mis_escalated_at__isnull=False)
    me = person_of(user)
    if me is not None and has_role(user, Role.LOCAL_EXPERT):
        visible |= Q(office__agency_id=me.office.agency_id)
    if me is not None and has_role(user, Role.AGENCY_USER):
        visible |= Q(reported_by=me)
    return tickets.filter(visible)


def sees_internal_notes(user) -> bool:
    return has_role(user, Role.HELP_DESK, Role.MIS, Role.ADMINISTRATOR)


def user_may_act(user, ticket, action: str) -> bool:
    """Who may take each workflow action (DESIGN.md, the four tiers). ``user`` None is the
    system itself, which may only auto-close a resolved ticket."""
    if user is None:
        return action == Action.CLOSE
    if not getattr(user, "is_active", False):
        return False
    expert = is_designated_expert_of(user, ticket.office_id)
    help_desk = has_role(user, Role.HELP_DESK)
    mis = has_role(user, Role.MIS) and ticket.mis_escalated_at is not None
    rules = {
        Action.RESOLVE_LOCALLY: expert,
        Action.ESCALATE_TO_HELP_DESK: expert,
        Action.WITHDRAW: expert,
        Action.ASSIGN: help_desk,
        Action.ESCALATE_TO_MIS: help_desk,
        Action.RESOLVE: help_desk,
        Action.REJECT: help_desk,
        # Whoever holds the ticket asks: the help desk at tier 3, MIS at tier 4.
        Action.REQUEST_INFO: (help_desk and ticket.state == TicketState.IN_PROGRESS)
        or (mis and ticket.state == TicketState.ESCALATED_TO_MIS),
        Action.PROVIDE_INFO: expert or help_desk,
        Action.REPORT_MIS_RESOLUTION: mis,
        Action.REOPEN: expert or help_desk,
        Action.CLOSE: expert or help_desk,
    }
    return bool(rules.get(action, False))
