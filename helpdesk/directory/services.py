"""Use cases of the directory: designating local experts and recording their absences."""

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from helpdesk.audit import record, snapshot
from helpdesk.directory.permissions import can_manage_absences_of
from helpdesk.directory.role_groups import sync_local_expert_role
from helpdesk.models import (
    Absence,
    AuditKind,
    DesignationRole,
    LocalExpertDesignation,
    Office,
    Person,
)


@transaction.atomic
def designate_local_expert(
    office: Office, person: Person, role: DesignationRole, *, by, note: str = "", actor_label=""
) -> LocalExpertDesignation:
    """Make ``person`` the office's primary or alternate local expert, replacing whoever held
    that role. The rules (same agency, active, one per role) live on the model."""
    office = Office.objects.select_for_update().get(pk=office.pk)  # serialise per office
    replaced = LocalExpertDesignation.objects.filter(office=office, role=role).first()
    if replaced is not None and replaced.person_id == person.pk:
        return replaced
    if replaced is not None:
        remove_designation(replaced, by=by, note=f"Replaced by {person}.", actor_label=actor_label)
    # Moving someone between roles (a swap of primary and alternate) frees their old role first.
    moved = LocalExpertDesignation.objects.filter(office=office, person=person).first()
    if moved is not None:
        remove_designation(moved, by=by, note=f"Now {role}.", actor_label=actor_label)
    designation = LocalExpertDesignation(office=office, person=person, role=role)
    designation.full_clean()
    designation.save()
    record(
        AuditKind.DESIGNATED,
        actor=by,
        target=designation,
        after=snapshot(designation),
        note=note,
        actor_label=actor_label,
    )
    sync_local_expert_role(person, by=by, actor_label=actor_label)
    return designation


@transaction.atomic
def remove_designation(
    designation: LocalExpertDesignation, *, by, note: str = "", actor_label: str = ""
) -> None:
    before = snapshot(designation)
    person = designation.person
    record(
        AuditKind.UNDESIGNATED,
        actor=by,
        target=designation,
        before=before,
        note=note,
        actor_label=actor_label,
    )
    designation.delete()
    sync_local_expert_role(person, by=by, actor_label=actor_label)


@transaction.atomic
def record_absence(
    person: Person, *, starts_at: datetime, ends_at: datetime, reason: str = "", by
) -> Absence:
    """Mark ``person`` away for [starts_at, ends_at); their office's alternate acts meanwhile."""
    if by is not None and not can_manage_absences_of(by, person):
        raise PermissionDenied("You may not record absences for this person.")
    absence = Absence(
        person=person,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        recorded_by=by if getattr(by, "pk", None) else None,
    )
    absence.full_clean()
    absence.save()
    record(AuditKind.ABSENCE_RECORDED, actor=by, target=absence, after=snapshot(absence))
    return absence


@transaction.atomic
def cancel_absence(absence: Absence, *, by, note: str = "") -> None:
    if by is not None and not can_manage_absences_of(by, absence.person):
        raise PermissionDenied("You may not change absences for this person.")
    record(
        AuditKind.ABSENCE_CANCELLED, actor=by, target=absence, before=snapshot(absence), note=note
    )
    absence.delete()
