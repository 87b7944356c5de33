"""Dashboard sections. Every app registers its own when it loads (``AppConfig.ready``), the
help desk's included, so this app never imports the higher ones (security forms, access;
DESIGN.md, layering)."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.tables import Table
from helpdesk.directory.roles import roles_of

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
    roles = roles_of(user)
    return sorted(
        (s for s in _registry.values() if page in s.pages and s.roles & roles),
        key=lambda s: (s.order, s.key),
    )
