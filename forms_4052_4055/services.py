"""Security form use cases: issue, receive, verify (or return), file, void, the reminder and
expiry sweep, and ``forms_on_file``, the gate the access app asks before requesting access.
Every step is a transition on the form's machine, audited; emails leave after the commit."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from forms_4052_4055.models import (
    DEFAULT_CCMS_ROLE,
    OUTSTANDING,
    FormReferenceSequence,
    FormState,
    SecurityForm,
    SignedDocument,
)
from forms_4052_4055.permissions import may_act, may_issue_for
from forms_4052_4055.selectors import required_form_types
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.events import emit
from helpdesk.lib.background import enqueue_on_commit
from helpdesk.lib.sequences import take_next
from helpdesk.lib.uploads import safe_name, sniff
from helpdesk.models import AuditKind, Person
from helpdesk.registry import Registry
from helpdesk.transitions import Machine, transition

# Signed copies: PDF and the image types a scanner or a phone makes, by content.
ACCEPTED = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/tiff"})
REMINDER_DAYS_BEFORE_DUE = (7, 1)
SWEEP = Actor.system("the security forms sweep")


def next_reference(year: int | None = None) -> str:
    year = year or timezone.localdate().year
    return f"SF-{year}-{take_next(FormReferenceSequence, year):05d}"


# --- Issue ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormFiledHook:
    """Work of a higher app that waits for a person's forms (access requests), run after the
    commit that files one; registered from its AppConfig.ready."""

    name: str
    run: Callable[[Person], object]


form_filed_hooks: Registry[FormFiledHook] = Registry("form filed hooks", key=lambda h: h.name)


@dataclass
class IssueResult:
    issued: list[SecurityForm] = field(default_factory=list)
    already: list[SecurityForm] = field(default_factory=list)  # outstanding or valid on file


@transaction.atomic
def issue_forms(
    person: Person, systems: list[str], *, by: Actor, ccms_role: str = ""
) -> IssueResult:
    """Issue the forms ``systems`` require, except those the person already has outstanding or
    filed and valid. Each gets a reference and a pre-filled PDF, emailed to the person and the
    office's local expert after the commit."""
    if not may_issue_for(by.user, person):
        raise PermissionDenied("You may issue forms only for people of your own agency.")
    if not systems:
        raise ValidationError("Choose the systems the person needs.")
    if not person.active:
        raise ValidationError("Forms are not issued to someone who has left.")
    result = IssueResult()
    now = timezone.now()
    for form_type in required_form_types(systems):
        mine = SecurityForm.objects.filter(person=person, form_type=form_type)
        current = (
            mine.filter(state__in=OUTSTANDING).first() or mine.valid_on(now).order_by().first()
        )
        if current is not None:
            result.already.append(current)
            continue
        covered = [s for s in systems if form_type.covers(s)]
        form = SecurityForm.objects.create(
            reference=next_reference(),
            form_type=form_type,
            person=person,
            systems=covered,
            ccms_role=(ccms_role.strip() or DEFAULT_CCMS_ROLE)
            if form_type.carries_ccms_role
            else "",
            issued_by=by.user,
            issued_at=now,
            due_at=now + timedelta(days=form_type.return_days),
        )
        form.blank_pdf.save(f"{form.reference}.pdf", ContentFile(_pdf_of(form)))
        record(
            AuditKind.CREATED,
            actor=by,
            target=form,
            after={"state": form.state, "systems": covered, "ccms_role": form.ccms_role},
            note=f"Form {form_type.code} issued.",
        )
        emit("security_form.created", event_data(form))
        _email_on_commit("issued", form)
        result.issued.append(form)
    return result


# --- Receive --------------------------------------------------------------------------------------


def check_document(name: str, data: bytes) -> tuple[str, str]:
    """The content type and extension of a signed copy, or a ValidationError saying why not."""
    limit = settings.SECURITY_FORM_MAX_BYTES
    if not data:
        raise ValidationError(f"{name} is empty.")
    if len(data) > limit:
        raise ValidationError(f"{name} is larger than the {filesizeformat(limit)} limit.")
    kind = sniff(data)
    if kind is not None and kind.content_type in ACCEPTED:
        return kind.content_type, kind.extension
    raise ValidationError(f"{name} is not a PDF or an image (PNG, JPEG, GIF, TIFF).")


@transaction.atomic
def receive(
    form: SecurityForm, *, by: Actor, name: str, data: bytes, source: str = "web"
) -> SignedDocument:
    """A signed copy came back. The first one moves the form to ``received``; another one on a
    received form (a better scan) is kept beside it."""
    content_type, extension = check_document(name, data)
    locked = _lock(form)
    if locked.state != FormState.RECEIVED:
        locked = _transition(locked, "receive", by=by, note=f"Signed copy received ({source}).")
    elif not may_act(by, locked, "receive"):
        raise PermissionDenied("You may not add a signed copy to this form.")
    document = SignedDocument(
        form=locked,
        original_name=safe_name(name, extension),
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        source=source,
        uploaded_by=by.user,
    )
    document.file.save("signed", ContentFile(data), save=False)
    document.save()
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked,
        after={"document": document.original_name, "sha256": document.sha256},
        note=f"Signed copy received by {source}.",
    )
    return document


# --- Verify, return, file, void ------------------------------------------------------------------


@transaction.atomic
def verify(
    form: SecurityForm, *, by: Actor, results: dict[str, bool], note: str = ""
) -> SecurityForm:
    """Check the form against its type's checklist. Every item passed: verified. Any failed:
    returned to the sender with the reasons."""
    checklist = list(form.form_type.checklist)
    unanswered = [item for item in checklist if item not in results]
    if unanswered:
        raise ValidationError(f"Check every item: {', '.join(unanswered)}.")
    checked = {item: bool(results[item]) for item in checklist}
    failed = [item for item in checklist if not results[item]]
    if failed:
        reasons = failed + ([note.strip()] if note.strip() else [])
        returned = _transition(
            form,
            "return_for_correction",
            by=by,
            note="; ".join(reasons),
            changes={"checklist_results": checked, "returned_reasons": reasons},
        )
        _email_on_commit("returned", returned)
        return returned
    return _transition(
        form,
        "verify",
        by=by,
        note=note or "Every item checked.",
        changes={"checklist_results": checked, "verified_by": by.user},
    )


@transaction.atomic
def file_form(form: SecurityForm, *, by: Actor) -> SecurityForm:
    """File a verified form; an older filed form of the same type for the person is superseded.
    Filing may let access requests waiting for the form go on (``form_filed_hooks``)."""
    filed = _transition(form, "file", by=by, note="Filed.", changes={"filed_by": by.user})
    older = SecurityForm.objects.filter(
        person=filed.person, form_type=filed.form_type, state=FormState.FILED
    ).exclude(pk=filed.pk)
    for previous in older:
        _transition(
            previous,
            "supersede",
            by=by,
            note=f"Superseded by {filed.reference}.",
            changes={"superseded_by": filed},
        )
    person = filed.person
    for hook in form_filed_hooks:
        transaction.on_commit(partial(hook.run, person))
    return filed


@transaction.atomic
def void_form(form: SecurityForm, *, by: Actor, reason: str) -> SecurityForm:
    if not reason.strip():
        raise ValidationError("Say why the form is void.")
    return _transition(
        form, "void", by=by, note=reason.strip(), changes={"void_reason": reason.strip()}
    )


def _lock(form: SecurityForm) -> SecurityForm:
    return (
        SecurityForm.objects.select_for_update(of=("self",))
        .select_related("form_type", "person__office__agency")
        .get(pk=form.pk)
    )


def event_data(form: SecurityForm) -> dict[str, Any]:
    """What the form's events (``helpdesk.events``) say of it: ids and states, no names."""
    return {
        "id": form.pk,
        "reference": form.reference,
        "form_type": form.form_type.code,
        "state": form.state,
        "systems": list(form.systems),
        "person_id": form.person_id,
        "office_id": form.person.office_id,
        "agency_id": form.person.office.agency_id,
    }


FORMS: Machine[SecurityForm] = Machine(
    noun="form",
    lock=_lock,
    may=may_act,
    events=lambda step: ("security_form.state_changed",),
    payload=event_data,
)


def _transition(
    form: SecurityForm,
    action: str,
    *,
    by: Actor,
    note: str,
    changes: dict[str, Any] | None = None,
) -> SecurityForm:
    return transition(form, action, machine=FORMS, by=by, note=note, changes=changes)


# --- Reminders and expiry ------------------------------------------------------------------------


def forms_sweep(now: datetime | None = None) -> dict[str, int]:
    """Remind people whose forms are due soon (7 days and 1 day before), and expire forms not
    returned in time. Run by the worker's schedule; each form is handled in its own
    transaction, so one failure does not stop the rest."""
    now = now or timezone.now()
    counts = {"reminded": 0, "expired": 0}
    waiting = SecurityForm.objects.filter(state__in=[FormState.ISSUED, FormState.RETURNED])
    for form_id in waiting.filter(due_at__lt=now).values_list("pk", flat=True):
        with transaction.atomic():
            form = _lock(SecurityForm(pk=form_id))
            if form.state in (FormState.ISSUED, FormState.RETURNED) and form.due_at < now:
                form = _transition(form, "expire", by=SWEEP, note="Not returned in time.")
                _email_on_commit("expired", form)
                counts["expired"] += 1
    soon = waiting.filter(
        due_at__gte=now, due_at__lt=now + timedelta(days=max(REMINDER_DAYS_BEFORE_DUE))
    )
    for form_id in soon.values_list("pk", flat=True):
        with transaction.atomic():
            form = _lock(SecurityForm(pk=form_id))
            if _reminder_due(form, now):
                form.reminders_sent += 1
                form.last_reminded_at = now
                form.save(update_fields=["reminders_sent", "last_reminded_at", "updated_at"])
                _email_on_commit("reminder", form)
                counts["reminded"] += 1
    return counts


def _reminder_due(form: SecurityForm, now: datetime) -> bool:
    """One reminder as each threshold (7 days, 1 day before the due date) is crossed."""
    left = form.due_at - now
    crossed = sum(1 for days in REMINDER_DAYS_BEFORE_DUE if left <= timedelta(days=days))
    return form.state in (FormState.ISSUED, FormState.RETURNED) and form.reminders_sent < crossed


# --- Email --------------------------------------------------------------------------------------


def _email_on_commit(kind: str, form: SecurityForm) -> None:
    """After the commit, email about the change just saved: when it was saved is the event
    that tells this email from another of the same kind (a second return, reminder)."""
    pk, event = form.pk, f"{form.updated_at:%Y%m%dT%H%M%S%f}"
    enqueue_on_commit("forms_4052_4055.tasks.send_form_email", kind, pk, event=event)


def _pdf_of(form: SecurityForm) -> bytes:
    # reportlab is loaded when a form is issued, not by every process that imports this module
    # (the mail intake's handler does, and an MTA starts ingest_mail once per message).
    from forms_4052_4055.pdf import render_form_pdf

    return render_form_pdf(form)
