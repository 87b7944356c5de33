"""Who may do what with access. Views, services and the request machine's guards ask these."""

from forms_4052_4055.permissions import is_local_expert_for
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import Person


def may_request_for(user, person: Person) -> bool:
    """Help desk staff for anyone; a local expert for people of their own agency."""
    return has_role(user, Role.HELP_DESK) or is_local_expert_for(user, person)


def may_see_access_of(user, person: Person) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR) or is_local_expert_for(user, person)


def user_may_act(user, request, action: str) -> bool:
    """The request machine's guards. ``user`` None is the system: a departure's fan-out, the
    forms gate moving a request on, the LDAP task completing what it provisioned."""
    if user is None:
        return action in ("prepare", "submit", "cancel", "complete")
    if not getattr(user, "is_active", False):
        return False
    help_desk = has_role(user, Role.HELP_DESK)
    requester = may_request_for(user, request.person)
    rules = {
        "prepare": requester,
        "submit": help_desk,
        "complete": help_desk,
        "deny": help_desk,
        # A departure's revocation is the help desk's to close: the agency cannot call it off.
        "cancel": help_desk or (requester and request.departure_id is None),
    }
    return rules.get(action, False)
