"""Dashboard sections. The help desk's own are built in; higher apps (security forms, access)
register theirs when they load (``AppConfig.ready``), so this app never imports them
(DESIGN.md, layering)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.tables import Table
from helpdesk.roles import roles_of

# The dashboard pages: the full one (help desk staff, administrators) and MIS's own.
FULL = "full"
MIS = "mis"


@dataclass(frozen=True)
class DashboardSection:
    key: str
    title: str
    roles: frozenset[str]
    # Returns the section's tables for a user the roles allow, under the filters chosen.
    tables: Callable[[Any, DashboardFilters], list[Table]]
    pages: frozenset[str] = frozenset({FULL})
    order: int = 100


_registry: dict[str, DashboardSection] = {}


def register_dashboard_section(section: DashboardSection) -> None:
    _registry[section.key] = section


def sections_for(user, page: str) -> list[DashboardSection]:
    from helpdesk.dashboards.sections import BUILT_IN

    roles = roles_of(user)
    every = {s.key: s for s in BUILT_IN} | _registry
    return sorted(
        (s for s in every.values() if page in s.pages and s.roles & roles),
        key=lambda s: (s.order, s.key),
    )
