"""The agency's own staff list (issue 18): a local expert adds and edits the people of the
office(s) they are designated for; each change is audited and kept as a ``StaffChange`` the help
desk reviews and may undo. Changes of designation are asked for by the agency
(``request_designation_change``) and decided by the help desk, whose approval goes through
``designate_local_expert``; the requester is emailed the decision.

Departures and access requests are not here: the access app owns them (its person page, with
the departure's confirmation and clock), and the directory does not import it."""

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot
from helpdesk.directory.permissions import may_manage_staff_of, may_review_staff_lists
from helpdesk.directory.services import add_person, designate_local_expert
from helpdesk.models import (
    AuditKind,
    DesignationRequest,
    DesignationRequestState,
    DesignationRole,
    Office,
    Person,
    PersonEmail,
    StaffChange,
    StaffChangeKind,
)

# What a staff list shows and changes of a person, in this order.
STAFF_FIELDS = ("first_name", "last_name", "email", "phone", "job_title")

# Rows pointing at a person that do not make them "someone with records": their addresses, the
# welcome packet the directory sent when they were added, and the staff list's own rows.
_NOT_RECORDS = frozenset(
    {
        "helpdesk.personemail",
        "helpdesk.acknowledgementlink",
        "helpdesk.procedureacknowledgement",
        "helpdesk.staffchange",
    }
)


def staff_values(person: Person) -> dict[str, str]:
    """The values of ``person`` the staff list edits (their primary address as ``email``)."""
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "email": person.primary_email,
        "phone": person.phone,
        "job_title": person.job_title,
    }


def _check_expert(by: Actor, office: Office) -> None:
    if by.is_system or not may_manage_staff_of(by.user, office.pk):
        raise PermissionDenied(_("Only this office's local experts change its staff list."))


def _note(change: StaffChange, by: Actor) -> None:
    """Keep the change for the help desk's review."""
    change.made_by = by.user
    change.save()


@transaction.atomic
def add_person_to_office(
    office: Office,
    *,
    by: Actor,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    job_title: str = "",
) -> Person:
    """A local expert adds someone to their office: in the directory (audited and welcomed by
    ``add_person``), and listed for the help desk's review."""
    _check_expert(by, office)
    address = email.strip().lower()
    if address and PersonEmail.objects.filter(address__iexact=address).exists():
        raise ValidationError({"email": _("This address already belongs to someone.")})
    person = add_person(
        office,
        by=by,
        first_name=first_name,
        last_name=last_name,
        email=address,
        phone=phone,
        job_title=job_title,
    )
    _note(
        StaffChange(
            office=office,
            person=person,
            person_label=person.full_name,
            kind=StaffChangeKind.ADDED,
            after=staff_values(person),
        ),
        by,
    )
    return person


@transaction.atomic
def update_person(person: Person, *, by: Actor, **values: str) -> Person:
    """A local expert corrects someone of their office: name, address, phone, role in the
    office. Audited with before and after; nothing changed, nothing recorded."""
    person = (
        Person.objects.select_for_update(of=("self",)).select_related("office").get(pk=person.pk)
    )
    _check_expert(by, person.office)
    if not person.active:
        raise ValidationError(
            _("%(person)s has left: the help desk restores people who left.") % {"person": person}
        )
    unknown = set(values) - set(STAFF_FIELDS)
    if unknown:
        raise TypeError(f"Not a staff list field: {sorted(unknown)}")
    before = staff_values(person)
    wanted = {**before, **{k: v.strip() for k, v in values.items()}}
    wanted["email"] = wanted["email"].lower()
    if wanted == before:
        return person
    _apply(person, wanted, by=by, kind=AuditKind.CHANGED, before=before, note="Staff list edit.")
    _note(
        StaffChange(
            office=person.office,
            person=person,
            person_label=person.full_name,
            kind=StaffChangeKind.EDITED,
            before=before,
            after=staff_values(person),
        ),
        by,
    )
    return person


def _apply(
    person: Person,
    values: dict[str, str],
    *,
    by: Actor,
    kind: AuditKind,
    before: dict[str, str],
    note: str,
) -> None:
    address = values["email"]
    if address != before["email"]:
        if (
            address
            and PersonEmail.objects.filter(address__iexact=address).exclude(person=person).exists()
        ):
            raise ValidationError({"email": _("This address already belongs to someone.")})
        primary = person.emails.filter(primary=True).first() or person.emails.first()
        if primary is not None and address:
            # The old address stays theirs (mail from it is still recognised), not primary.
            person.emails.filter(address__iexact=address).delete()
            PersonEmail.objects.filter(pk=primary.pk).update(primary=False)
            PersonEmail.objects.create(person=person, address=address, primary=True)
        elif primary is not None:
            PersonEmail.objects.filter(pk=primary.pk).delete()
        elif address:
            PersonEmail.objects.create(person=person, address=address, primary=True)
    for field in ("first_name", "last_name", "phone", "job_title"):
        setattr(person, field, values[field])
    person.full_clean()
    person.save()
    person.refresh_from_db()
    record(kind, actor=by, target=person, before=before, after=staff_values(person), note=note)


# --- The help desk's review ---------------------------------------------------------------------


def undo_refusal(change: StaffChange) -> str:
    """Why ``change`` cannot be undone, or "" when it can (the review page says so)."""
    if change.undone_at is not None:
        return _("Already undone.")
    person = change.person
    if person is None:
        return _("The person is no longer in the directory.")
    if change.kind == StaffChangeKind.LEFT:
        return _("A departure is undone by reactivating the person, on their access page.")
    if change.kind == StaffChangeKind.EDITED:
        if staff_values(person) != change.after:
            return _("Changed again since: undo the later change first.")
        if not person.active:
            return _("The person has left.")
        return ""
    # An addition: only someone added by mistake, with nothing recorded about them yet.
    if person.user_id is not None:
        return _("They have a login.")
    held = _records_of(person)
    if held:
        return _("They already have records: %(records)s.") % {"records": ", ".join(held)}
    return ""


def _records_of(person: Person) -> list[str]:
    """The kinds of record that point at ``person`` (besides those in ``_NOT_RECORDS``)."""
    held = []
    for relation in person._meta.related_objects:
        model = relation.related_model
        if not isinstance(model, type):  # "self": a person never points at a person
            continue
        if model._meta.label_lower in _NOT_RECORDS or relation.many_to_many:
            continue
        rows = model._default_manager.filter(**{relation.field.name: person})
        if rows.exists():
            held.append(str(model._meta.verbose_name_plural))
    return sorted(set(held))


@transaction.atomic
def undo_staff_change(change: StaffChange, *, by: Actor, reason: str) -> StaffChange:
    """The help desk reverts a change: an edit gets the values before it back; a person added
    by mistake, with no records yet, leaves the directory. Audited; a change that cannot be
    undone raises ``ValidationError`` saying why (``undo_refusal``)."""
    if not may_review_staff_lists(by.user):
        raise PermissionDenied(_("Only help desk staff undo staff list changes."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this change is undone.")})
    change = StaffChange.objects.select_for_update().get(pk=change.pk)
    refusal = undo_refusal(change)
    if refusal:
        raise ValidationError(refusal)
    person = change.person
    assert person is not None  # undo_refusal said so
    note = _("Undone: %(change)s. %(reason)s") % {"change": change, "reason": reason.strip()}
    if change.kind == StaffChangeKind.EDITED:
        _apply(
            person,
            dict(change.before or {}),
            by=by,
            kind=AuditKind.STAFF_CHANGE_UNDONE,
            before=staff_values(person),
            note=note,
        )
    else:
        record(
            AuditKind.STAFF_CHANGE_UNDONE,
            actor=by,
            target=person,
            before={**snapshot(person), **staff_values(person)},
            note=note,
        )
        person.delete()  # its addresses and welcome packet go with it; the change keeps the name
    change.refresh_from_db()
    change.undone_at, change.undone_by, change.undo_reason = (
        timezone.now(),
        by.user,
        reason.strip(),
    )
    change.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    return change


# --- Designation change requests ---------------------------------------------------------------


@transaction.atomic
def request_designation_change(
    office: Office,
    person: Person,
    role: str,
    *,
    by: Actor,
    reason: str,
    effective_on: date,
) -> DesignationRequest:
    """The agency asks the help desk: make ``person`` the office's ``role`` local expert."""
    _check_expert(by, office)
    errors: dict[str, str] = {}
    if person.office.agency_id != office.agency_id or not person.active:
        errors["person"] = _("Choose an active person of this agency.")
    if role not in DesignationRole.values:
        errors["role"] = _("Choose primary or alternate.")
    if not reason.strip():
        errors["reason"] = _("Say why.")
    if errors:
        raise ValidationError(errors)
    if DesignationRequest.objects.filter(
        office=office, role=role, state=DesignationRequestState.PENDING
    ).exists():
        raise ValidationError(
            _("A change of this office's %(role)s is already waiting for the help desk.")
            % {"role": DesignationRole(role).label.lower()}
        )
    asked = DesignationRequest.objects.create(
        office=office,
        person=person,
        role=role,
        reason=reason.strip(),
        effective_on=effective_on,
        requested_by=by.user,
    )
    record(AuditKind.DESIGNATION_REQUESTED, actor=by, target=asked, after=snapshot(asked))
    return asked


def _decide(asked: DesignationRequest, by: Actor) -> DesignationRequest:
    if not may_review_staff_lists(by.user):
        raise PermissionDenied(_("Only help desk staff decide designation changes."))
    asked = (
        DesignationRequest.objects.select_for_update(of=("self",))
        .select_related("office", "person", "requested_by")
        .get(pk=asked.pk)
    )
    if asked.state != DesignationRequestState.PENDING:
        raise ValidationError(
            _("This request was already %(state)s.") % {"state": asked.get_state_display().lower()}
        )
    return asked


@transaction.atomic
def approve_designation_request(
    asked: DesignationRequest, *, by: Actor, note: str = ""
) -> DesignationRequest:
    """The help desk approves: the designation changes now, through ``designate_local_expert``
    (which replaces whoever held the role, dated ``designated_at``), and the requester hears."""
    asked = _decide(asked, by)
    before = snapshot(asked)
    designate_local_expert(
        asked.office,
        asked.person,
        asked.role,
        by=by,
        note=_("Approved request #%(pk)d (effective %(on)s): %(reason)s")
        % {"pk": asked.pk, "on": asked.effective_on.isoformat(), "reason": asked.reason},
    )
    return _decided(asked, by, DesignationRequestState.APPROVED, note, before)


@transaction.atomic
def decline_designation_request(
    asked: DesignationRequest, *, by: Actor, reason: str
) -> DesignationRequest:
    """The help desk declines, saying why; nothing changes but the request; the requester hears."""
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the request is declined.")})
    asked = _decide(asked, by)
    return _decided(asked, by, DesignationRequestState.DECLINED, reason, snapshot(asked))


def _decided(
    asked: DesignationRequest, by: Actor, state: str, note: str, before: dict[str, Any]
) -> DesignationRequest:
    asked.state, asked.decided_by, asked.decided_at = state, by.user, timezone.now()
    asked.decision_note = note.strip()
    asked.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    kind = (
        AuditKind.DESIGNATION_APPROVED
        if state == DesignationRequestState.APPROVED
        else AuditKind.DESIGNATION_DECLINED
    )
    record(kind, actor=by, target=asked, before=before, after=snapshot(asked), note=note.strip())
    requester = asked.requested_by
    if requester is not None and requester.email:
        emails.queue(
            "designation_decision",
            to=[requester.email],
            key=f"designation-request-{asked.pk}-{state}",
            context={
                "request": asked,
                "approved": state == DesignationRequestState.APPROVED,
                "staff_path": reverse("staff_list_office", args=[asked.office_id]),
            },
        )
    return asked
