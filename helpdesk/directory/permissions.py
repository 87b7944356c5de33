"""Who may see and change what. Views, services and websockets ask these functions; no rule
about access is written anywhere else."""

from django.db.models import Q, QuerySet

from helpdesk.directory.roles import STATE_ROLES, Role, has_role
from helpdesk.models import Office, Person


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


def may_review_mail(user) -> bool:
    """The inbound mail pages (raw messages, quarantine) are for help desk staff."""
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


def can_use_admin(user) -> bool:
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.ADMINISTRATOR)


# --- Tickets ------------------------------------------------------------------------------------


def is_designated_expert_of(user, office_id: int) -> bool:
    """A designated local expert (primary or alternate) of that office, holding the role."""
    return office_id in designated_office_ids(user)


def designated_office_ids(user) -> frozenset[int]:
    """The offices ``user`` is local expert for, read once per request (cached on the user)."""
    cached = getattr(user, "_ccap_expert_offices", None)
    if cached is not None:
        return cached
    me = person_of(user)
    offices: frozenset[int] = frozenset()
    if me is not None and me.active and has_role(user, Role.LOCAL_EXPERT):
        offices = frozenset(me.designations.values_list("office_id", flat=True))
    if getattr(user, "is_authenticated", False):
        user._ccap_expert_offices = offices
    return offices


def tickets_visible_to(user):
    """Help desk and administrators: all; MIS: what was ever escalated to MIS; a local expert:
    their agency's; an agency user: what they reported. Nobody else: nothing."""
    from helpdesk.models import Ticket

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
    from escalation.workflow import Action, TicketState

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
