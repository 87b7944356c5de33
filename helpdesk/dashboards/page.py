"""What the dashboard views show: who may open which page, and the sections with their tables
(built once per request, for the page and for the CSV alike)."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied

from helpdesk.dashboards.charts import chart_for
from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.registry import FULL, MIS, DashboardSection, sections_for
from helpdesk.dashboards.tables import Table
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import User

PAGE_ROLES = {
    FULL: (Role.HELP_DESK, Role.ADMINISTRATOR),
    MIS: (Role.HELP_DESK, Role.ADMINISTRATOR, Role.MIS),
}
TITLES = {FULL: "Dashboard", MIS: "MIS dashboard"}


def require_page(user: User, page: str) -> None:
    """The server's check, for the page and its CSV alike; 403 for anyone else."""
    if not has_role(user, *PAGE_ROLES[page]):
        raise PermissionDenied("This dashboard is not for your role.")


@dataclass(frozen=True)
class ShownSection:
    section: DashboardSection
    tables: list[Table]

    def charts(self) -> Iterator[tuple[Table, str]]:
        return ((table, chart_for(table)) for table in self.tables)


def build(user: User, page: str, filters: DashboardFilters) -> list[ShownSection]:
    return [
        ShownSection(section, section.tables(user, filters)) for section in sections_for(user, page)
    ]


def csv_rows(shown: list[ShownSection]) -> Iterator[list[object]]:
    """Every table, one line per cell: section, table, row, column, value."""
    for item in shown:
        for table in item.tables:
            for row in table.rows:
                for column, cell in zip(table.columns, row.cells, strict=True):
                    yield [item.section.title, table.title, row.label, column, cell.value]


CSV_HEADER = ("section", "table", "row", "column", "value")
