"""Who may do what with security forms. Views, services and the machine's guards ask these."""

from helpdesk.directory.permissions import designated_office_ids, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import Person


def is_local_expert_for(user, person: Person) -> bool:
    """A designated, active local expert of the person's own agency (any of its offices)."""
    me = person_of(user)
    return (
        me is not None
        and bool(designated_office_ids(user))  # holds the role, is designated, has not left
        and me.office.agency_id == person.office.agency_id
    )


def expert_agency_id(user) -> int | None:
    """The agency a designated local expert works for (None for anyone else)."""
    me = person_of(user)
    return me.office.agency_id if me is not None and designated_office_ids(user) else None


def may_issue_for(user, person: Person) -> bool:
    return has_role(user, Role.HELP_DESK) or is_local_expert_for(user, person)


def may_see_forms_of(user, person: Person) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR) or is_local_expert_for(user, person)


def may_download_documents(user) -> bool:
    """Signed forms carry personal data: help desk staff and administrators only."""
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


def user_may_act(user, form, action: str) -> bool:
    """The machine's guards. ``user`` None is the system: the schedule expires forms, the mail
    intake receives a signed copy by email."""
    if user is None:
        return action in ("expire", "receive")
    if not getattr(user, "is_active", False):
        return False
    help_desk = has_role(user, Role.HELP_DESK)
    rules = {
        "receive": help_desk or is_local_expert_for(user, form.person),
        "verify": help_desk,
        "file": help_desk,
        "supersede": help_desk,
        "void": help_desk,
        "expire": help_desk,
    }
    return rules.get(action, False)
