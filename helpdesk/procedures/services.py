"""The procedures library: who may read and manage procedures, and every change to them
(create, edit as a new version, archive, restore), each audited. Views, the admin and the demo
seeder all come through here."""

import difflib
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import (
    AgencyKind,
    AuditKind,
    Procedure,
    ProcedureAudience,
    ProcedureVersion,
)
from helpdesk.models.procedures import ProcedureQuerySet

# The new-staff audience of each kind of agency; state units have none (they write the
# procedures, they are not onboarded by them).
NEW_STAFF_AUDIENCE: dict[str, ProcedureAudience] = {
    AgencyKind.CCRR: ProcedureAudience.NEW_CCRR_STAFF,
    AgencyKind.SITE: ProcedureAudience.NEW_SITE_STAFF,
}

# --- Who may do what ----------------------------------------------------------------------------


def may_manage_procedures(user: AnyUser) -> bool:
    """Help desk staff and administrators write, archive, restore and send procedures, and
    see every procedure, archived ones included."""
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


def readable_audiences(user: AnyUser) -> set[str]:
    """The audiences whose procedures a reader sees: everyone's, plus their agency kind's
    new-staff procedures (agency users and local experts), plus the local experts' own."""
    if not has_role(user, Role.AGENCY_USER, Role.LOCAL_EXPERT, Role.MIS):
        return set()
    audiences: set[str] = {ProcedureAudience.ALL}
    me = person_of(user)
    if me is not None and has_role(user, Role.AGENCY_USER, Role.LOCAL_EXPERT):
        kind_audience = NEW_STAFF_AUDIENCE.get(me.office.agency.kind)
        if kind_audience:
            audiences.add(kind_audience)
    if has_role(user, Role.LOCAL_EXPERT):
        audiences.add(ProcedureAudience.LOCAL_EXPERTS)
    return audiences


def procedures_visible_to(user: AnyUser) -> ProcedureQuerySet:
    procedures = Procedure.objects.select_related("current_version")
    if may_manage_procedures(user):
        return procedures
    return procedures.live().for_audiences(readable_audiences(user))


def get_procedure_for_user(user: AnyUser, pk: int) -> Procedure:
    """The procedure, or 404 when this user may not read it (so ids cannot be probed)."""
    procedure = procedures_visible_to(user).filter(pk=pk).first()
    if procedure is None:
        raise Http404("No such procedure.")
    return procedure


def search(
    procedures: ProcedureQuerySet, *, text: str = "", audience: str = ""
) -> ProcedureQuerySet:
    """Title or text of the current version containing ``text``; one audience if given."""
    if text:
        procedures = procedures.filter(
            Q(current_version__title__icontains=text) | Q(current_version__body__icontains=text)
        )
    if audience:
        procedures = procedures.filter(audience=audience)
    return procedures


# --- Changes ------------------------------------------------------------------------------------


@transaction.atomic
def create_procedure(
    *, by: Actor, title: str, body: str, audience: str, change_note: str = ""
) -> Procedure:
    procedure = Procedure.objects.create(audience=audience)
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=1,
        title=title,
        body=body,
        change_note=change_note or "First version.",
        created_by=by.user,
    )
    procedure.current_version = version
    procedure.save(update_fields=["current_version"])
    record(AuditKind.CREATED, actor=by, target=procedure, after=_state(procedure))
    return procedure


@transaction.atomic
def edit_procedure(
    procedure: Procedure, *, by: Actor, title: str, body: str, audience: str, change_note: str
) -> ProcedureVersion:
    """Every edit is a new version; the old ones stay as they were."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)  # one number each
    if procedure.archived:
        raise ValidationError("This procedure is archived: restore it before editing.")
    current = procedure.current
    if (current.title, current.body, procedure.audience) == (title, body, audience):
        raise ValidationError("Nothing changed: no new version was written.")
    before = _state(procedure)
    version = ProcedureVersion.objects.create(
        procedure=procedure,
        number=current.number + 1,
        title=title,
        body=body,
        change_note=change_note,
        created_by=by.user,
    )
    procedure.current_version = version
    procedure.audience = audience
    procedure.save(update_fields=["current_version", "audience"])
    record(
        AuditKind.CHANGED,
        actor=by,
        target=procedure,
        before=before,
        after=_state(procedure),
        note=change_note,
    )
    return version


@transaction.atomic
def archive_procedure(procedure: Procedure, *, by: Actor, reason: str) -> None:
    """Deleting a procedure archives it: readers no longer see it, its history stays."""
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if procedure.archived:
        raise ValidationError("This procedure is already archived.")
    if not reason.strip():
        raise ValidationError("Say why the procedure is archived.")
    before = _state(procedure)
    procedure.archived_at = timezone.now()
    procedure.archived_by = by.user
    procedure.archive_reason = reason.strip()
    procedure.save(update_fields=["archived_at", "archived_by", "archive_reason"])
    record(
        AuditKind.ARCHIVED,
        actor=by,
        target=procedure,
        before=before,
        after=_state(procedure),
        note=procedure.archive_reason,
    )


@transaction.atomic
def restore_procedure(procedure: Procedure, *, by: Actor) -> None:
    procedure = Procedure.objects.select_for_update().get(pk=procedure.pk)
    if not procedure.archived:
        raise ValidationError("This procedure is not archived.")
    before = _state(procedure)
    procedure.archived_at = None
    procedure.archived_by = None
    procedure.archive_reason = ""
    procedure.save(update_fields=["archived_at", "archived_by", "archive_reason"])
    record(AuditKind.RESTORED, actor=by, target=procedure, before=before, after=_state(procedure))


def _state(procedure: Procedure) -> dict[str, Any]:
    """What the audit trail keeps of a procedure (the text itself is in its versions)."""
    version = procedure.current
    return {
        "audience": procedure.audience,
        "version": version.number,
        "title": version.title,
        "archived_at": procedure.archived_at.isoformat() if procedure.archived_at else None,
        "archive_reason": procedure.archive_reason,
    }


# --- History ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "context" or "hunk"
    text: str


def previous_version(version: ProcedureVersion) -> ProcedureVersion | None:
    return (
        ProcedureVersion.objects.filter(procedure=version.procedure_id, number__lt=version.number)
        .order_by("-number")
        .first()
    )


def version_diff(older: ProcedureVersion | None, newer: ProcedureVersion) -> list[DiffLine]:
    """A unified diff of the text, line by line, as data: the template escapes every line."""
    before = older.body.splitlines() if older else []
    lines = difflib.unified_diff(before, newer.body.splitlines(), lineterm="", n=3)
    diff = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue  # the file header: the page already says which versions these are
        if line.startswith("@@"):
            diff.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            diff.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            diff.append(DiffLine("removed", line[1:]))
        else:
            diff.append(DiffLine("context", line[1:]))
    return diff
