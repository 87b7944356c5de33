"""Who may see and change what. Views, services and websockets ask these functions; no rule
about access is written anywhere else."""

from django.db.models import QuerySet

from helpdesk.models import Office, Person
from helpdesk.roles import STATE_ROLES, Role, has_role


def person_of(user) -> Person | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def agency_id_of(user) -> int | None:
    person = person_of(user)
    return person.office.agency_id if person is not None else None


def sees_all_agencies(user) -> bool:
    return has_role(user, *STATE_ROLES)


def offices_visible_to(user) -> QuerySet[Office]:
    """State staff see every office; agency staff see their own agency's offices only."""
    offices = Office.objects.select_related("agency", "agency__region")
    if sees_all_agencies(user):
        return offices
    agency_id = agency_id_of(user)
    if agency_id is None:
        return offices.none()
    return offices.filter(agency_id=agency_id)


def can_manage_absences_of(user, person: Person) -> bool:
    """Help desk staff and administrators for anyone; a local expert for themself."""
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return True
    me = person_of(user)
    return me is not None and me.pk == person.pk and has_role(user, Role.LOCAL_EXPERT)


def can_use_admin(user) -> bool:
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.ADMINISTRATOR)
