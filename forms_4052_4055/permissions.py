"""Who may do what with security forms. Views, services and the machine's guards ask these."""

from forms_4052_4055.models import SecurityForm
from helpdesk.actor import Actor
from helpdesk.directory.permissions import designated_office_ids, is_local_expert_for, person_of
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import Person


def expert_agency_id(user: AnyUser) -> int | None:
    """The agency a designated local expert works for (None for anyone else)."""
    me = person_of(user)
    return me.office.agency_id if me is not None and designated_office_ids(user) else None


def may_issue_for(user: AnyUser, person: Person) -> bool:
    return has_role(user, Role.HELP_DESK) or is_local_expert_for(user, person)


def may_see_forms_of(user: AnyUser, person: Person) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR) or is_local_expert_for(user, person)


def may_download_documents(user: AnyUser) -> bool:
    """Signed forms carry personal data: help desk staff and administrators only."""
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


# What the system may do on its own: the daily sweep expires forms not returned in time, and
# the mail intake receives a signed copy emailed back to the help desk.
SYSTEM_ACTIONS = frozenset({"expire", "receive"})


def may_act(actor: Actor, form: SecurityForm, action: str) -> bool:
    """Who may take each step of a security form."""
    if actor.is_system:
        return action in SYSTEM_ACTIONS
    if not actor.is_active:
        return False
    help_desk = actor.has_role(Role.HELP_DESK)
    rules = {
        "receive": help_desk or is_local_expert_for(actor.user, form.person),
        "verify": help_desk,
        "return_for_correction": help_desk,
        "file": help_desk,
        "supersede": help_desk,
        "void": help_desk,
        "expire": help_desk,
    }
    return rules.get(action, False)
