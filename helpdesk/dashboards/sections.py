"""The help desk's own dashboard sections: tickets, SLA compliance, and what is with MIS."""

from helpdesk.dashboards import figures
from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.registry import FULL, MIS, DashboardSection
from helpdesk.dashboards.tables import Table
from helpdesk.directory.roles import DESK_STAFF, Role
from helpdesk.models import User
from helpdesk.tickets import selectors


def _scope(user: User, filters: DashboardFilters) -> figures.TicketScope:
    """The help desk queue for its staff; MIS's own queue for MIS, so every link opens."""
    queue = "help_desk" if selectors.may_open(user, "help_desk") else "mis"
    return figures.TicketScope.of(selectors.tickets_in(user, queue), queue, filters)


def _tickets(user: User, filters: DashboardFilters) -> list[Table]:
    scope = _scope(user, filters)
    return [
        figures.weekly(scope),
        *figures.open_snapshot(scope),
        figures.top_systems(scope),
        figures.top_agencies(scope),
    ]


def _sla(user: User, filters: DashboardFilters) -> list[Table]:
    return [figures.sla_compliance(_scope(user, filters))]


def _mis(user: User, filters: DashboardFilters) -> list[Table]:
    return figures.with_mis(_scope(user, filters))


SECTIONS = (
    DashboardSection("tickets", "Tickets", DESK_STAFF, _tickets, order=10),
    DashboardSection("sla", "Service levels", DESK_STAFF, _sla, order=20),
    DashboardSection(
        "mis", "With MIS", DESK_STAFF | {Role.MIS}, _mis, pages=frozenset({FULL, MIS}), order=30
    ),
)
