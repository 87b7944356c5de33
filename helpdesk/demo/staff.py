"""Demo staff list: one office's local expert added someone and corrected someone, and asked
the help desk to change the office's alternate (so the review pages have something to show)."""

from datetime import timedelta

from django.utils import timezone

from helpdesk.actor import Actor
from helpdesk.directory import staff
from helpdesk.models import (
    AgencyKind,
    DesignationRequest,
    DesignationRole,
    LocalExpertDesignation,
    StaffChange,
)


def seed_demo_staff_list() -> int:
    if StaffChange.objects.exists() or DesignationRequest.objects.exists():
        return 0
    primary = (
        LocalExpertDesignation.objects.filter(
            role=DesignationRole.PRIMARY,
            office__agency__kind=AgencyKind.CCRR,
            person__user__isnull=False,
        )
        .select_related("office", "person__user")
        .order_by("office__pk")
        .first()
    )
    if primary is None:
        return 0
    office, by = primary.office, Actor.of(primary.person.user)  # type: ignore[arg-type]
    colleague = office.people.active().filter(designations__isnull=True).order_by("pk").first()
    if colleague is None:
        return 0
    domain = primary.person.primary_email.rpartition("@")[2] or "example.org"
    staff.add_person_to_office(
        office,
        by=by,
        first_name="Jordan",
        last_name="Newhire",
        email=f"jordan.newhire@{domain}",
        phone="(815) 555-0190",
        job_title="CCAP caseworker",
    )
    staff.update_person(colleague, by=by, job_title="Senior CCAP caseworker")
    staff.request_designation_change(
        office,
        colleague,
        DesignationRole.ALTERNATE,
        by=by,
        reason="The alternate moves to another office next month.",
        effective_on=timezone.localdate() + timedelta(days=7),
    )
    return 3
