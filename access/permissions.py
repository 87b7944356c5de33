"""Who may do what with access. Views, services and the request machine's guards ask these."""

from access.models import AccessRequest, ReviewItem
from forms_4052_4055.permissions import is_local_expert_for
from helpdesk.actor import Actor
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import Person


def may_request_for(user: AnyUser, person: Person) -> bool:
    """Help desk staff for anyone; a local expert for people of their own agency."""
    return has_role(user, Role.HELP_DESK) or is_local_expert_for(user, person)


def may_see_access_of(user: AnyUser, person: Person) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR) or is_local_expert_for(user, person)


# What the system may do on its own: a departure's fan-out (prepare, submit, cancel), the forms
# gate moving a request on (prepare), the LDAP task completing what it provisioned, and a CMS
# reset answered at once with CMS's route.
SYSTEM_ACTIONS = frozenset({"wait_for_forms", "make_ready", "submit", "cancel", "complete"})


def may_act(actor: Actor, request: AccessRequest, action: str) -> bool:
    """Who may take each step of an access request."""
    if actor.is_system:
        return action in SYSTEM_ACTIONS
    if not actor.is_active:
        return False
    help_desk = actor.has_role(Role.HELP_DESK)
    requester = may_request_for(actor.user, request.person)
    rules = {
        "wait_for_forms": requester,
        "make_ready": requester,
        "submit": help_desk,
        "complete": help_desk,
        "deny": help_desk,
        # A departure's revocation is the help desk's to close: the agency cannot call it off.
        "cancel": help_desk or (requester and request.departure_id is None),
    }
    return rules.get(action, False)


def may_review(user: AnyUser, item: ReviewItem) -> bool:
    """The agency's local expert reviews its own people's access."""
    return is_local_expert_for(user, item.account.person)
