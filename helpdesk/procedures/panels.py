"""Home panels of the procedures library (registered from ``apps.py``)."""

from typing import Any

from helpdesk.directory.roles import DESK_STAFF, Role
from helpdesk.home.panels import Panel
from helpdesk.models import User
from helpdesk.procedures import onboarding

PANEL_ROWS = 8


def outstanding_acknowledgements(user: User) -> dict[str, Any] | None:
    """Staff: the procedures with the most people who have not acknowledged them yet."""
    counts = onboarding.counts_per_procedure(onboarding.acknowledgements_visible_to(user))
    waiting = sorted((c for c in counts if c.outstanding), key=lambda c: -c.outstanding)
    return {"counts": waiting[:PANEL_ROWS], "total": sum(c.outstanding for c in waiting)}


def my_procedures_to_read(user: User) -> dict[str, Any] | None:
    """A reader: the procedures they were sent and have not acknowledged (nothing when none)."""
    rows = list(onboarding.awaiting_acknowledgement(user).order_by("version__title"))
    return {"rows": rows} if rows else None


PANELS = (
    Panel(
        "procedure_acknowledgements",
        "Procedures not yet acknowledged",
        DESK_STAFF,
        outstanding_acknowledgements,
        order=60,
    ),
    Panel(
        "my_procedures",
        "Procedures to read",
        {Role.AGENCY_USER, Role.LOCAL_EXPERT, Role.MIS},
        my_procedures_to_read,
        order=15,
    ),
)
