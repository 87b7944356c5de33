"""The security forms section of the help desk dashboard: forms outstanding, by state, and
those overdue, each linking to the tracking page with the same filters. Registered with the
help desk when this app loads (it may not import us)."""

from django.db.models import Count, Q

from forms_4052_4055.models import OUTSTANDING, FormState, SecurityForm
from helpdesk.dashboards.filters import DashboardFilters
from helpdesk.dashboards.registry import DashboardSection
from helpdesk.dashboards.tables import Cell, Row, Table, link
from helpdesk.directory.roles import DESK_STAFF
from helpdesk.models import User


def outstanding_forms(user: User, filters: DashboardFilters) -> list[Table]:
    forms = SecurityForm.objects.order_by()
    agency = {"agency": filters.agency.pk} if filters.agency is not None else {}
    if filters.agency is not None:
        forms = forms.filter(person__office__agency=filters.agency)
    named = {f"state_{s.value}": Q(state=s) for s in OUTSTANDING}
    named["total"] = Q(state__in=OUTSTANDING)
    # The tracking page's own rule for overdue (issued or returned, past due).
    named["overdue"] = Q(pk__in=SecurityForm.objects.overdue(filters.now).values("pk"))
    counts = forms.aggregate(**{name: Count("pk", filter=q) for name, q in named.items()})
    rows = [
        Row(
            FormState(s).label,
            (Cell(counts[f"state_{s}"], link("forms_tracking", state=s, **agency)),),
        )
        for s in OUTSTANDING
    ]
    rows.append(Row("All outstanding", (Cell(counts["total"], link("forms_tracking", **agency)),)))
    rows.append(
        Row("Overdue", (Cell(counts["overdue"], link("forms_tracking", overdue="on", **agency)),))
    )
    return [
        Table(
            "forms_outstanding",
            "Security forms outstanding",
            "State",
            ("Forms",),
            tuple(rows),
            note="Now; the agency filter applies, the date range and system do not.",
        )
    ]


SECTIONS = (
    DashboardSection("security_forms", "Security forms", DESK_STAFF, outstanding_forms, order=40),
)
