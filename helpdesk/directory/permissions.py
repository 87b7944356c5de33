"""Who may see and change what. Views, services and websockets ask these functions; no rule
about access is written anywhere else."""

from django.db.models import QuerySet

from helpdesk.directory.roles import STATE_ROLES, AnyUser, Role, has_role
from helpdesk.models import Office, Person, User


def person_of(user: AnyUser) -> Person | None:
    if not isinstance(user, User):
        return None
    try:
        return user.person
    except Person.DoesNotExist:
        return None


def agency_id_of(user: AnyUser) -> int | None:
    person = person_of(user)
    return person.office.agency_id if person is not None else None


def sees_all_agencies(user: AnyUser) -> bool:
    return has_role(user, *STATE_ROLES)


def offices_visible_to(user: AnyUser) -> QuerySet[Office]:
    """State staff see every office; agency staff see their own agency's offices only."""
    offices = Office.objects.select_related("agency", "agency__region")
    if sees_all_agencies(user):
        return offices
    agency_id = agency_id_of(user)
    if agency_id is None:
        return offices.none()
    return offices.filter(agency_id=agency_id)


def can_manage_absences_of(user: AnyUser, person: Person) -> bool:
    """Help desk staff and administrators for anyone; a local expert for themself."""
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return True
    me = person_of(user)
    return me is not None and me.pk == person.pk and has_role(user, Role.LOCAL_EXPERT)


def may_review_mail(user: AnyUser) -> bool:
    """The inbound mail pages (raw messages, quarantine) are for help desk staff."""
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


def can_use_admin(user: AnyUser) -> bool:
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.ADMINISTRATOR)


# --- Local experts ------------------------------------------------------------------------------


def is_designated_expert_of(user: AnyUser, office_id: int) -> bool:
    """A designated local expert (primary or alternate) of that office, holding the role."""
    return office_id in designated_office_ids(user)


def designated_office_ids(user: AnyUser) -> frozenset[int]:
    """The offices ``user`` is local expert for, read once per request (cached on the user)."""
    cached = getattr(user, "_ccap_expert_offices", None)
    if cached is not None:
        return cached
    me = person_of(user)
    offices: frozenset[int] = frozenset()
    if me is not None and me.active and has_role(user, Role.LOCAL_EXPERT):
        # all(): the designations the caller prefetched (the mail intake's sender), if any.
        offices = frozenset(d.office_id for d in me.designations.all())
    if isinstance(user, User):
        user._ccap_expert_offices = offices
    return offices


def is_local_expert_for(user: AnyUser, person: Person) -> bool:
    """A designated, active local expert of the person's own agency (any of its offices)."""
    me = person_of(user)
    return (
        me is not None
        and bool(designated_office_ids(user))  # holds the role, is designated, has not left
        and me.office.agency_id == person.office.agency_id
    )


# --- Leavers ----------------------------------------------------------------------------------


def may_deactivate(user: AnyUser, person: Person | None) -> bool:
    """Help desk staff and administrators for anyone; a local expert for their own agency's
    people (who report departures). Only the help desk restores a login (``may_reactivate``)."""
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return True
    return person is not None and is_local_expert_for(user, person)


def may_reactivate(user: AnyUser) -> bool:
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.HELP_DESK)


def has_left(person: Person) -> bool:
    """Out of the directory, or with a disabled login: what a reactivation restores."""
    return not person.active or (person.user is not None and not person.user.is_active)


def can_reset_second_factors(user: AnyUser) -> bool:
    """Administrators may clear someone's second factors (a lost phone); the user enrols again."""
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.ADMINISTRATOR)


# --- The agency's staff list --------------------------------------------------------------------


def staff_offices_of(user: AnyUser) -> QuerySet[Office]:
    """The offices whose staff list ``user`` runs: those they are a designated local expert of
    (primary or alternate), never another office of their agency."""
    return Office.objects.filter(pk__in=designated_office_ids(user), active=True).select_related(
        "agency"
    )


def may_manage_staff_of(user: AnyUser, office_id: int) -> bool:
    """Adds, edits and designation requests for an office: its own local experts only."""
    return office_id in designated_office_ids(user)


def may_review_staff_lists(user: AnyUser) -> bool:
    """The help desk reviews (and undoes) staff list changes and decides designation requests."""
    return bool(getattr(user, "is_active", False)) and has_role(
        user, Role.HELP_DESK, Role.ADMINISTRATOR
    )
