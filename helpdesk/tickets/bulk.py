"""Bulk work on a queue: one action on many tickets, for help desk staff.

Each ticket goes through the same service as on its own page, with its own permission and
version check, in its own transaction: never one UPDATE over many rows. A ticket refused (it
changed since the person looked, its state does not allow the action, the person may not) is
reported with why and does not stop or undo the others.

The actions are a registry: assign, priority, resolve and close are the tickets' own; a higher
feature (linking to a notice) registers its action from ``AppConfig.ready``."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from helpdesk.actor import Actor
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import Ticket, User
from helpdesk.registry import Registry
from helpdesk.tickets import forms as tf
from helpdesk.tickets import services as svc
from helpdesk.transitions import ConflictError


@dataclass(frozen=True)
class BulkAction:
    key: str
    label: str | Promise
    # What the action needs besides the tickets (an assignee, a resolution).
    form: type[forms.Form]
    # One ticket, through its service: apply(ticket, by, cleaned_data, version_seen).
    apply: Callable[[Ticket, Actor, Mapping[str, Any], int], object]
    # What will happen, for the confirmation page: consequence(cleaned_data, how_many); the
    # data is empty before the person has chosen (say "the person you choose").
    consequence: Callable[[Mapping[str, Any], int], str]
    order: int = 100
    # Extra keyword arguments for the form (the choices it offers).
    form_kwargs: Callable[[], dict[str, Any]] = dict


bulk_actions: Registry[BulkAction] = Registry(
    "queue bulk actions", key=lambda a: a.key, order=lambda a: a.order
)


def may_bulk(user: AnyUser) -> bool:
    """Bulk controls are help desk staff's: the actions are theirs on each ticket anyway."""
    return has_role(user, Role.HELP_DESK)


@dataclass(frozen=True)
class Outcome:
    ticket: Ticket
    done: bool
    reason: str = ""


def run_bulk(
    action: BulkAction,
    picked: Mapping[Ticket, int],
    *,
    by: Actor,
    data: Mapping[str, Any],
) -> list[Outcome]:
    """Apply ``action`` to each ticket (to the version the person saw) on its own."""
    if not may_bulk(by.user):
        raise PermissionDenied(_("Only help desk staff act on many tickets at once."))
    outcomes = []
    for ticket, version in picked.items():
        try:
            # A savepoint per ticket: a refusal undoes that ticket's work alone, even when the
            # caller holds a transaction.
            with transaction.atomic():
                action.apply(ticket, by, data, version)
        except ConflictError as conflict:
            outcomes.append(
                Outcome(ticket, False, _conflict_reason(action, ticket, version, conflict))
            )
        except (PermissionDenied, ValidationError) as refusal:
            reason = (
                " ".join(refusal.messages) if isinstance(refusal, ValidationError) else str(refusal)
            )
            outcomes.append(Outcome(ticket, False, reason or _("Not allowed.")))
        else:
            outcomes.append(Outcome(ticket, True))
    return outcomes


def _conflict_reason(
    action: BulkAction, ticket: Ticket, version: int, conflict: ConflictError
) -> str:
    """The path's one conflict message, unless the ticket is as the person saw it: then its
    state is why (a bulk selection mixes states; "someone acted first" would mislead)."""
    if not Ticket.objects.filter(pk=ticket.pk, version=version).exists():
        return str(conflict)
    return _("%(ticket)s is %(state)s: “%(action)s” does not apply to it. Nothing was changed.") % {
        "ticket": ticket.reference,
        "state": str(ticket.get_state_display()).lower(),
        "action": action.label,
    }


# --- The tickets' own actions ----------------------------------------------------------------


def _name(user: User) -> str:
    return user.get_full_name() or user.username


def _assign(ticket: Ticket, by: Actor, data: Mapping[str, Any], version: int) -> object:
    return svc.assign(ticket, by=by, assignee=data["assignee"], expected_version=version)


def _priority(ticket: Ticket, by: Actor, data: Mapping[str, Any], version: int) -> object:
    return svc.set_priority(ticket, by=by, priority=data["priority"], expected_version=version)


def _resolve(ticket: Ticket, by: Actor, data: Mapping[str, Any], version: int) -> object:
    return svc.resolve(ticket, by=by, resolution=data["resolution"], expected_version=version)


def _close(ticket: Ticket, by: Actor, data: Mapping[str, Any], version: int) -> object:
    return svc.close(ticket, by=by, note=data["note"], expected_version=version)


def _tickets(n: int) -> str:
    return ngettext("%(n)d ticket", "%(n)d tickets", n) % {"n": n}


BUILT_IN = (
    BulkAction(
        "assign",
        gettext_lazy("Assign"),
        tf.BulkAssignForm,
        _assign,
        lambda d, n: (
            _(
                "%(tickets)s will be assigned to %(who)s, who is emailed about each one they "
                "did not assign to themselves."
            )
            % {
                "tickets": _tickets(n),
                "who": _name(d["assignee"]) if d.get("assignee") else _("the person you choose"),
            }
        ),
        order=10,
    ),
    BulkAction(
        "priority",
        gettext_lazy("Change priority"),
        tf.BulkPriorityForm,
        _priority,
        lambda d, n: (
            _("%(tickets)s will get priority %(priority)s; their SLA targets move with it.")
            % {
                "tickets": _tickets(n),
                "priority": str(d["priority"]).upper() if d.get("priority") else _("you choose"),
            }
        ),
        order=20,
    ),
    BulkAction(
        "resolve",
        gettext_lazy("Resolve"),
        tf.BulkResolveForm,
        _resolve,
        lambda d, n: (
            _(
                "%(tickets)s will be resolved with this resolution, and each ticket's local "
                "expert is emailed it. Tickets not in progress are refused."
            )
            % {"tickets": _tickets(n)}
        ),
        order=40,
    ),
    BulkAction(
        "close",
        gettext_lazy("Close"),
        tf.BulkCloseForm,
        _close,
        lambda d, n: (
            _(
                "%(tickets)s will be closed. Only resolved tickets can be closed; the others are "
                "refused."
            )
            % {"tickets": _tickets(n)}
        ),
        order=50,
    ),
)
bulk_actions.register_all(BUILT_IN)
