"""The directory's own home panels."""

from typing import Any

from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import Role
from helpdesk.directory.selectors import office_coverage
from helpdesk.home.panels import Panel
from helpdesk.models import Absence, AgencyKind, DesignationRole, Office, Person, User

_STATE = frozenset({Role.HELP_DESK, Role.MIS, Role.ADMINISTRATOR})


def my_local_expert(user: User) -> dict[str, Any] | None:
    """An agency user's office: who to tell about a problem right now."""
    me = person_of(user)
    if me is None:
        return {"me": None}
    coverage = office_coverage([me.office])[me.office_id]
    return {"me": me, "coverage": coverage}


def my_offices(user: User) -> dict[str, Any] | None:
    """A local expert's designations: whether they act today and who backs them up."""
    me = person_of(user)
    if me is None:
        return None
    designations = list(me.designations.select_related("office__agency"))
    coverages = office_coverage([d.office for d in designations])
    now = timezone.now()
    return {
        "me": me,
        "rows": [(d, coverages[d.office_id]) for d in designations],
        "my_absences": list(me.absences.current_or_upcoming(now)[:5]),
        "now": now,
    }


def coverage_gaps(user: User) -> dict[str, Any] | None:
    """Offices where a problem has nowhere to go: no primary, no alternate, or nobody acting."""
    offices = (
        Office.objects.filter(active=True, agency__active=True)
        .exclude(agency__kind=AgencyKind.STATE_UNIT)  # state units have no local experts
        .select_related("agency")
        .annotate(
            primaries=Count("designations", filter=Q(designations__role=DesignationRole.PRIMARY)),
            alternates=Count(
                "designations", filter=Q(designations__role=DesignationRole.ALTERNATE)
            ),
        )
    )
    no_primary = [o for o in offices if not o.primaries]
    no_alternate = [o for o in offices if o.primaries and not o.alternates]
    designated = [o for o in offices if o.primaries or o.alternates]
    nobody_acting = [c.office for c in office_coverage(designated).values() if c.acting is None]
    return {
        "no_primary": no_primary,
        "no_alternate": no_alternate,
        "nobody_acting": nobody_acting,
        "office_count": len(offices),
    }


def away_today(user: User) -> dict[str, Any] | None:
    """Local experts away right now, and who acts for their offices meanwhile."""
    now = timezone.now()
    absences = list(
        Absence.objects.covering(now)
        .filter(person__designations__isnull=False)
        .select_related("person__office__agency")
        .prefetch_related("person__designations__office__agency")
        .distinct()
        .order_by("ends_at")
    )
    offices = {d.office for a in absences for d in a.person.designations.all()}
    coverages = office_coverage(offices, now)
    rows = [
        (absence, [coverages[d.office_id] for d in absence.person.designations.all()])
        for absence in absences
    ]
    return {"rows": rows}


def admin_attention(user: User) -> dict[str, Any] | None:
    """Logins locked out by throttling, and logins of people who have left."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    locked = AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since
    ).order_by("-attempt_time")[:20]
    leavers = Person.objects.filter(active=False, user__is_active=True).select_related(
        "user", "office__agency"
    )
    return {"locked": list(locked), "leavers_with_logins": list(leavers[:20])}


PANELS = (
    Panel("my_local_expert", "Your local expert", {Role.AGENCY_USER}, my_local_expert, order=10),
    Panel("my_offices", "Your offices", {Role.LOCAL_EXPERT}, my_offices, order=20),
    Panel(
        "admin_attention",
        "Logins needing attention",
        {Role.ADMINISTRATOR},
        admin_attention,
        order=30,
    ),
    Panel("coverage_gaps", "Offices without local expert cover", _STATE, coverage_gaps, order=40),
    Panel("away_today", "Local experts away today", _STATE, away_today, order=50),
)
