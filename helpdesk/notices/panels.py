"""Where notices show outside their own pages: the help desk's home panel about known problems
(open notices, and possible outages no notice covers yet), the possible-outage prompt on the
help desk queue, and the notice a ticket is part of on the ticket page."""

from typing import Any

from django.db.models import Count

from helpdesk.directory.roles import DESK_STAFF
from helpdesk.home.panels import Panel
from helpdesk.models import Notice, Ticket, User
from helpdesk.notices.forms import TicketNoticeForm
from helpdesk.notices.permissions import may_manage_notices, notices_visible_to
from helpdesk.notices.selectors import open_notices_about, possible_outages
from helpdesk.tickets.panels import QueueSection, TicketSection, queue_sections, ticket_sections


def known_problems(user: User) -> dict[str, Any]:
    return {
        "open": list(Notice.objects.open().annotate(linked=Count("tickets"))[:10]),
        "possible_outages": possible_outages(),
    }


def outage_prompt(user: User) -> dict[str, Any] | None:
    return {"possible_outages": possible_outages()} if may_manage_notices(user) else None


def ticket_notice(user: User, ticket: Ticket) -> dict[str, Any] | None:
    """The notice the ticket is part of, if the user may read it; for help desk staff, the open
    notices about its system it could join."""
    notice = None
    if ticket.notice_id:
        notice = notices_visible_to(user).filter(pk=ticket.notice_id).first()
    manager = may_manage_notices(user)
    offers = []
    if manager and ticket.notice_id is None and ticket.is_open:
        offers = open_notices_about(ticket.system, ticket.office.agency)
    if notice is None and not offers:
        return None
    return {
        "notice": notice,
        "manages_notices": manager,
        "notice_form": TicketNoticeForm(notices=offers) if offers else None,
    }


PANELS = (
    Panel(
        "known_problems",
        "Known problems",
        DESK_STAFF,
        known_problems,
        order=4,
    ),
)


def register() -> None:
    queue_sections.register(
        QueueSection(
            "possible_outages",
            frozenset({"help_desk"}),
            "notices/_possible_outages.html",
            outage_prompt,
        )
    )
    ticket_sections.register(TicketSection("notice", "notices/_ticket_section.html", ticket_notice))
