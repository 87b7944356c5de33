"""Reading the dashboard's tables back from a response, by key."""

from helpdesk.dashboards.tables import Table


def tables_of(response) -> dict[str, Table]:
    return {table.key: table for item in response.context["sections"] for table in item.tables}


def values(table: Table) -> dict[str, tuple[int, ...]]:
    """Row label -> the row's counts."""
    return {row.label: tuple(cell.value for cell in row.cells) for row in table.rows}


def single(table: Table) -> dict[str, int]:
    return {label: counts[0] for label, counts in values(table).items()}
