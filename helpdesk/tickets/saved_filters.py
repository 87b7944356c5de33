"""Saved queue filters: a person names the filters they use, keeps them next to the queue, and
(staff only) shares one with everyone of a role they have. Only the owner deletes one."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import QueryDict
from django.utils.translation import gettext as _

from helpdesk.actor import Actor
from helpdesk.directory.roles import Role, roles_of
from helpdesk.models import SavedFilter
from helpdesk.tickets import selectors

# Who may share a filter with a role: staff, whose shared views of the work are the help
# desk's and MIS's routine; agency users and local experts keep theirs to themselves.
SHARERS = frozenset({Role.HELP_DESK, Role.MIS, Role.ADMINISTRATOR})
# Parameters of a queue page that are not filters.
NOT_FILTERS = ("page", "partial", "csrfmiddlewaretoken")


def share_choices(by: Actor) -> list[tuple[str, str]]:
    """The roles ``by`` may share a filter with: the staff roles they have."""
    if by.user is None:
        return []
    mine = roles_of(by.user) & SHARERS
    return [(role.value, str(role.label)) for role in Role if role in mine]


def _clean_query(query: str) -> str:
    values = QueryDict(query, mutable=True)
    for name in NOT_FILTERS:
        values.pop(name, None)
    return values.urlencode()


@transaction.atomic
def save_filter(
    *, by: Actor, queue: str, name: str, query: str, shared_with: str = ""
) -> SavedFilter:
    """Keep the queue's current filters under ``name``; the same name again replaces them."""
    if by.user is None or not selectors.may_open(by.user, queue):
        raise PermissionDenied(_("This queue is not for your role."))
    if shared_with and shared_with not in dict(share_choices(by)):
        raise ValidationError(_("You can share a filter only with a staff role you have."))
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the filter a name."))
    saved, _created = SavedFilter.objects.update_or_create(
        owner=by.user,
        queue=queue,
        name=name,
        defaults={"query": _clean_query(query), "shared_with": shared_with},
    )
    return saved


@transaction.atomic
def delete_filter(saved: SavedFilter, *, by: Actor) -> None:
    """A filter is its owner's: others it is shared with use it, and only the owner removes it."""
    if by.user is None or saved.owner_id != by.user.pk:
        raise PermissionDenied(_("Only the person who saved this filter can delete it."))
    saved.delete()
