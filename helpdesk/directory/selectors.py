"""Reads of the directory that several pages and apps share."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from helpdesk.models import Absence, DesignationRole, LocalExpertDesignation, Office, Person, User


@dataclass(frozen=True)
class OfficeCoverage:
    """Who answers for an office at one moment."""

    office: Office
    primary: LocalExpertDesignation | None
    alternate: LocalExpertDesignation | None
    absent_person_ids: frozenset[int]

    @property
    def acting(self) -> Person | None:
        """The primary unless absent or gone; then the alternate; else nobody."""
        for designation in (self.primary, self.alternate):
            if designation is not None and self._available(designation.person):
                return designation.person
        return None

    @property
    def acting_role(self) -> str | None:
        acting = self.acting
        if acting is None:
            return None
        return (
            DesignationRole.PRIMARY
            if self.primary and self.primary.person == acting
            else (DesignationRole.ALTERNATE)
        )

    @property
    def acting_role_label(self) -> str:
        role = self.acting_role
        return DesignationRole(role).label if role else ""

    def is_absent(self, person: Person) -> bool:
        return person.pk in self.absent_person_ids

    def _available(self, person: Person) -> bool:
        return person.active and person.pk not in self.absent_person_ids


def office_coverage(
    offices: Iterable[Office], at: datetime | None = None
) -> dict[int, OfficeCoverage]:
    """Coverage of many offices in two queries, keyed by office id."""
    at = at or timezone.now()
    offices = list(offices)
    designations = LocalExpertDesignation.objects.filter(office__in=offices).select_related(
        "person"
    )
    by_office: dict[int, dict[str, LocalExpertDesignation]] = {}
    for designation in designations:
        by_office.setdefault(designation.office_id, {})[designation.role] = designation
    person_ids = {d.person_id for d in designations}
    absent = frozenset(
        Absence.objects.covering(at)
        .filter(person_id__in=person_ids)
        .values_list("person_id", flat=True)
    )
    return {
        office.pk: OfficeCoverage(
            office=office,
            primary=by_office.get(office.pk, {}).get(DesignationRole.PRIMARY),
            alternate=by_office.get(office.pk, {}).get(DesignationRole.ALTERNATE),
            absent_person_ids=absent,
        )
        for office in offices
    }


def acting_local_expert(office: Office, at: datetime | None = None) -> Person | None:
    """Who acts as the office's local expert at ``at`` (default now): the primary unless they
    are absent or have left, then the alternate; None when neither can act."""
    return office_coverage([office], at)[office.pk].acting


def role_addresses(role: str) -> list[str]:
    """The email addresses of the active logins holding ``role`` (e.g. every MIS staff member)."""
    return list(
        User.objects.filter(groups__name=role, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
