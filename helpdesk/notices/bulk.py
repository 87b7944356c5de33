"""The queue's bulk action of the notices: link the chosen tickets to one open notice, each
through ``link_ticket`` and the rule of who may join a notice (``join_refusal``)."""

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from helpdesk.actor import Actor
from helpdesk.models import Ticket
from helpdesk.notices.forms import BulkNoticeForm
from helpdesk.notices.selectors import join_refusal
from helpdesk.notices.services import link_ticket
from helpdesk.tickets.bulk import BulkAction, bulk_actions


def _link(ticket: Ticket, by: Actor, data: Mapping[str, Any], version: int) -> None:
    notice = data["notice"]
    refusal = join_refusal(notice, system=ticket.system, agency=ticket.office.agency)
    if refusal:
        raise ValidationError(refusal)
    link_ticket(ticket, notice, by=by, expected_version=version)


def _consequence(data: Mapping[str, Any], n: int) -> str:
    tickets = ngettext("%(n)d ticket", "%(n)d tickets", n) % {"n": n}
    return _(
        "%(tickets)s will be filed as reports of %(notice)s; when the notice is resolved, "
        "they are resolved with it. Tickets about another system or agency are refused."
    ) % {
        "tickets": tickets,
        "notice": data["notice"].reference if data.get("notice") else _("the notice you choose"),
    }


def register() -> None:
    bulk_actions.register(
        BulkAction(
            "notice",
            gettext_lazy("Link to a notice"),
            BulkNoticeForm,
            _link,
            _consequence,
            order=30,
        )
    )
