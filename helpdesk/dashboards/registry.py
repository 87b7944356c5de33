"""Dashboard sections. Every app registers its own when it loads (``AppConfig.ready``), the
help desk's included, so this app never imports the higher ones (security forms, access;
DESIGN.md, layering)."""

from collections.abc import Callable
from dataclasses import dataclass

from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.tables import Table
from helpdesk.directory.roles import roles_of
from helpdesk.models import User
from helpdesk.registry import Registry

# The dashboard pages: the full one (help desk staff, administrators) and MIS's own.
FULL = "full"
MIS = "mis"


@dataclass(frozen=True)
class DashboardSection:
    key: str
    title: str
    roles: frozenset[str]
    # Returns the section's tables for a user the roles allow, under the filters chosen.
    tables: Callable[[User, DashboardFilters], list[Table]]
    pages: frozenset[str] = frozenset({FULL})
    order: int = 100


dashboard_sections: Registry[DashboardSection] = Registry(
    "dashboard sections", key=lambda s: s.key, order=lambda s: (s.order, s.key)
)


def sections_for(user: User, page: str) -> list[DashboardSection]:
    roles = roles_of(user)
    return [s for s in dashboard_sections if page in s.pages and s.roles & roles]
