"""Who may see and manage notices, and link tickets to them."""

from django.core.exceptions import PermissionDenied

from helpdesk.directory.permissions import is_designated_expert_of, person_of, sees_all_agencies
from helpdesk.directory.roles import AnyUser, Role, has_role, roles_of
from helpdesk.models import Agency, Notice, Ticket
from helpdesk.models.notices import NoticeQuerySet


def may_manage_notices(user: AnyUser) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


def require_notice_manager(user: AnyUser) -> None:
    if not may_manage_notices(user):
        raise PermissionDenied("Only help desk staff publish and change notices.")


def notices_visible_to(user: AnyUser) -> NoticeQuerySet:
    """State staff see every notice; agency staff see those whose audience includes their
    agency; anyone else, none."""
    if sees_all_agencies(user):
        return Notice.objects.all()
    me = person_of(user)
    if me is None or not roles_of(user) or not me.active:
        return Notice.objects.none()
    return Notice.objects.for_agencies(Agency.objects.filter(offices=me.office_id))


def expert_may_link(user: AnyUser, ticket: Ticket, notice: Notice) -> bool:
    """A local expert links their own office's report to an open notice meant for them."""
    return (
        is_designated_expert_of(user, ticket.office_id)
        and notice.is_open
        and notices_visible_to(user).filter(pk=notice.pk).exists()
    )
