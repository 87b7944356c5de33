"""Access use cases: open a request (through the security forms gate), submit it to its
fulfiller, complete, deny or cancel it, reset a password (a temporary one shown once, never
stored), report a departure (every account revoked within 2 working days), and the sweep that
escalates overdue revocations and retries provisioning. Every change is audited."""

import secrets
import string
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from access.models import (
    AccessRequest,
    Account,
    AccountState,
    DataSharingAgreement,
    Departure,
    Fulfiller,
    RequestKind,
    RequestState,
    ReviewCampaign,
    ReviewDecision,
    ReviewItem,
    TargetSystem,
)
from access.permissions import may_act, may_request_for, may_review
from access.selectors import LIVE_ACCOUNT_STATES, cancelling_drops_account, departure_effects
from escalation.calendar import (
    BusinessCalendar,
    add_business_hours,
    add_working_days,
    start_of_day,
    working_days_after,
)
from forms_4052_4055.selectors import forms_on_file
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.roles import Role
from helpdesk.directory.selectors import role_addresses
from helpdesk.directory.services import deactivate_person
from helpdesk.events import emit
from helpdesk.lib.background import enqueue, enqueue_on_commit, run_on_commit
from helpdesk.models import Agency, AgencyKind, AuditKind, Person
from helpdesk.transitions import ConflictError, Machine, transition

PROVISION = "access.tasks.provision"
DEPARTURE_WORKING_DAYS = 2
# A departure told after its deadline: its revocations are due this many business hours later.
LATE_DEPARTURE_BUSINESS_HOURS = 4
# Easy to read aloud over the phone: no 0/O, 1/l/I.
_PASSWORD_ALPHABET = "".join(c for c in string.ascii_letters + string.digits if c not in "0O1lI")


# --- Opening a request ----------------------------------------------------------------------------


@transaction.atomic
def open_request(
    person: Person,
    system: TargetSystem,
    kind: str,
    *,
    by: Actor,
    ccms_role: str = "",
    reason: str = "",
) -> AccessRequest:
    """A new, reset, modify or revoke request. New and modify requests wait for the security
    forms the system needs; a reset of a system CMS resets (CCMS, InfoView) is answered at once
    with CMS's route and recorded, never queued for the help desk."""
    if not by.is_system and not may_request_for(by.user, person):
        raise PermissionDenied("You may request access only for people of your own agency.")
    if kind in (RequestKind.NEW, RequestKind.MODIFY) and not person.active:
        raise ValidationError("Access is not requested for someone who has left.")
    account = _live_account(person, system)
    if kind in (RequestKind.RESET, RequestKind.MODIFY, RequestKind.REVOKE) and account is None:
        raise ValidationError(f"{person} has no {system.credential_group.id_label} to change.")
    if kind == RequestKind.NEW and account is not None:
        raise ValidationError(f"{person} already has {account.identifier or 'an ID requested'}.")
    request = AccessRequest.objects.create(
        kind=kind,
        person=person,
        system=system,
        account=account,
        fulfiller=system.fulfiller_for(kind),
        ccms_role=ccms_role.strip(),
        reason=reason.strip(),
        requested_by=by.user,
    )
    record(
        AuditKind.CREATED,
        actor=by,
        target=request,
        after={"kind": kind, "system": system.code, "person": person.pk},
        note=reason,
    )
    emit("access_request.created", event_data(request))
    if kind == RequestKind.RESET and request.fulfiller == Fulfiller.CMS:
        return _route_to_cms(request, by=by)
    if kind == RequestKind.NEW:
        Account.objects.create(
            person=person, credential_group=system.credential_group, ccms_role=ccms_role
        )
        request.account = _live_account(person, system)
        request.save(update_fields=["account"])
    return advance_past_forms(request, by=by)


def _route_to_cms(request: AccessRequest, *, by: Actor) -> AccessRequest:
    """CMS resets CCMS and InfoView passwords itself: the answer is its portal and phone."""
    system = Actor.system(f"a {request.system} reset is CMS's: answered with its route")
    request = _transition(request, "make_ready", by=system)
    request = _transition(request, "submit", by=system)
    return _transition(
        request,
        "complete",
        by=system,
        note="Routed to CMS.",
        changes={"outcome_note": request.system.reset_route},
    )


def _live_account(person: Person, system: TargetSystem) -> Account | None:
    return Account.objects.filter(
        person=person, credential_group=system.credential_group, state__in=LIVE_ACCOUNT_STATES
    ).first()


def missing_forms(request: AccessRequest) -> list[str]:
    """The security forms a new or modify request still waits for (codes)."""
    if request.kind not in (RequestKind.NEW, RequestKind.MODIFY) or not request.system.forms_system:
        return []
    return [t.code for t in forms_on_file(request.person, request.system.forms_system).missing]


def missing_agreement(request: AccessRequest) -> list[str]:
    """A new or changed access for someone of an agency (not a State unit) waits for a current
    Data Sharing Agreement of that agency covering the system."""
    agency = request.person.office.agency
    changes_access = request.kind in (RequestKind.NEW, RequestKind.MODIFY)
    if not changes_access or agency.kind == AgencyKind.STATE_UNIT:
        return []
    current = DataSharingAgreement.objects.current(timezone.localdate()).filter(
        agency=agency, systems=request.system
    )
    return [] if current.exists() else [f"a current Data Sharing Agreement for {request.system}"]


def missing_prerequisites(request: AccessRequest) -> list[str]:
    """What a request waits for before it may be submitted: security forms (codes), and the
    agency's Data Sharing Agreement."""
    return missing_forms(request) + missing_agreement(request)


def advance_past_forms(request: AccessRequest, *, by: Actor) -> AccessRequest:
    """Move a draft or waiting request on: ``ready`` once its forms and its agency's agreement
    are on file."""
    missing = missing_prerequisites(request)
    if missing and request.state == RequestState.DRAFT:
        note = f"Waiting for {', '.join(missing)}."
        return _transition(request, "wait_for_forms", by=by, note=note)
    if not missing and request.state in (RequestState.DRAFT, RequestState.AWAITING_FORMS):
        return _transition(
            request,
            "make_ready",
            by=by,
            note="Forms on file." if request.kind in (RequestKind.NEW, RequestKind.MODIFY) else "",
        )
    return request


def recheck_forms_of(person: Person) -> int:
    """A form was filed: requests of this person waiting for forms may be ready now."""
    moved = 0
    for request in AccessRequest.objects.filter(
        person=person, state=RequestState.AWAITING_FORMS
    ).select_related("system"):
        with transaction.atomic():
            locked = _lock(request)
            if locked.state == RequestState.AWAITING_FORMS and not missing_prerequisites(locked):
                _transition(locked, "make_ready", by=FORMS_GATE, note="Forms on file.")
                moved += 1
    return moved


def recheck_agency(agency: Agency) -> int:
    """An agreement was recorded: requests of the agency's people waiting for it may be ready."""
    people = Person.objects.filter(
        office__agency=agency,
        access_requests__state=RequestState.AWAITING_FORMS,
    ).distinct()
    return sum(recheck_forms_of(person) for person in people)


@transaction.atomic
def record_agreement(
    agency: Agency,
    *,
    by: Actor,
    signed_on: date,
    expires_on: date,
    systems: list[TargetSystem],
    note: str = "",
) -> DataSharingAgreement:
    """The help desk records an agency's signed Data Sharing Agreement; requests it held move
    on."""
    if not by.has_role(Role.HELP_DESK, Role.ADMINISTRATOR):
        raise PermissionDenied("Only help desk staff record data sharing agreements.")
    if expires_on <= signed_on:
        raise ValidationError("An agreement expires after it is signed.")
    agreement = DataSharingAgreement.objects.create(
        agency=agency, signed_on=signed_on, expires_on=expires_on, note=note.strip()
    )
    agreement.systems.set(systems)
    record(
        AuditKind.CREATED,
        actor=by,
        target=agreement,
        after={
            "agency": agency.pk,
            "signed_on": signed_on.isoformat(),
            "expires_on": expires_on.isoformat(),
            "systems": sorted(s.code for s in systems),
        },
        note=note,
    )
    recheck_agency(agency)
    return agreement


# --- Submitting, completing -----------------------------------------------------------------------


@transaction.atomic
def submit(request: AccessRequest, *, by: Actor, password_hash: str = "") -> AccessRequest:
    """Hand the request to its fulfiller: the help desk's own task list, or an email to CMS or
    MIS with what they need; a system provisioned through LDAP gets a task after the commit."""
    locked = _lock(request)
    if locked.is_help_desk_reset and not password_hash:
        raise ValidationError(
            "Use “Reset to a temporary password”: it submits the reset with the new password."
        )
    missing = missing_prerequisites(locked)
    if missing:
        raise ValidationError(f"Still missing: {', '.join(missing)}.")
    locked = _transition(locked, "submit", by=by, note=f"To {locked.get_fulfiller_display()}.")
    pk = locked.pk
    if locked.fulfiller in (Fulfiller.CMS, Fulfiller.MIS):
        enqueue_on_commit("access.tasks.send_fulfiller_email", pk)
    elif locked.system.directory_base_dn:
        _provision_on_commit(pk, password_hash)
    return locked


def _provision_on_commit(pk: int, password_hash: str = "") -> None:
    """The directory work of a submitted request, after the commit. With a password's hash it
    runs in this process: django-q2 stores every task's arguments (queued and done), and the
    hash must not be stored. A directory that is down is recorded on the request as ever; a
    reset is never retried (its password was shown once): staff reset it again."""
    if password_hash:
        run_on_commit(PROVISION, pk, password_hash=password_hash)
    else:
        enqueue_on_commit(PROVISION, pk)


@transaction.atomic
def complete(
    request: AccessRequest, *, by: Actor, identifier: str = "", note: str = ""
) -> AccessRequest:
    """The fulfiller confirmed it (help desk staff record CMS's or MIS's confirmation; the
    provisioning task records its own). The account follows."""
    locked = _lock(request)
    if not may_act(by, locked, "complete"):
        raise PermissionDenied("Only help desk staff record that a request was carried out.")
    account = locked.account
    if locked.kind == RequestKind.NEW:
        identifier = (identifier or (account.identifier if account else "")).strip()
        _check_identifier(locked.system, identifier)
    locked = _transition(
        locked,
        "complete",
        by=by,
        note=note or "Confirmed by the fulfiller.",
        changes={"outcome_note": note.strip()},
    )
    if account is not None:
        before = {"state": account.state, "identifier": account.identifier}
        if locked.kind == RequestKind.NEW:
            account.identifier, account.state = identifier, AccountState.ACTIVE
        elif locked.kind == RequestKind.MODIFY and locked.ccms_role:
            account.ccms_role = locked.ccms_role
        elif locked.kind == RequestKind.REVOKE:
            account.state = AccountState.REVOKED
        account.save()
        record(
            AuditKind.CHANGED,
            actor=by,
            target=account,
            before=before,
            after={"state": account.state, "identifier": account.identifier},
            note=f"{locked.get_kind_display()} completed.",
        )
    return locked


def _check_identifier(system: TargetSystem, identifier: str) -> None:
    import re

    group = system.credential_group
    if not identifier:
        raise ValidationError(f"Enter the {group.id_label} that was created.")
    if group.id_pattern and not re.fullmatch(group.id_pattern, identifier):
        raise ValidationError(f"{identifier} is not a valid {group.id_label} ({group.id_hint}).")


@transaction.atomic
def deny(request: AccessRequest, *, by: Actor, reason: str) -> AccessRequest:
    if not reason.strip():
        raise ValidationError("Say why the request is denied.")
    locked = _transition(
        request, "deny", by=by, note=reason.strip(), changes={"outcome_note": reason.strip()}
    )
    _drop_requested_account(locked, by)
    return locked


@transaction.atomic
def cancel(request: AccessRequest, *, by: Actor, reason: str) -> AccessRequest:
    locked = _transition(
        request,
        "cancel",
        by=by,
        note=reason.strip() or "Cancelled.",
        changes={"outcome_note": reason.strip()},
    )
    _drop_requested_account(locked, by)
    return locked


def _drop_requested_account(request: AccessRequest, by: Actor) -> None:
    """A new request that will not happen leaves no account behind."""
    account = request.account
    if account is not None and cancelling_drops_account(request):
        account.state = AccountState.REVOKED
        account.save(update_fields=["state", "updated_at"])
        record(AuditKind.CHANGED, actor=by, target=account, after={"state": account.state})


# --- Temporary passwords --------------------------------------------------------------------------


@dataclass(frozen=True)
class TemporaryPassword:
    """Shown once to the staff member who reset it, for phone delivery; never stored."""

    value: str

    def __repr__(self) -> str:  # never in a log or a traceback
        return "TemporaryPassword(<hidden>)"

    __str__ = __repr__


def generate_temporary_password(length: int = 12) -> TemporaryPassword:
    while True:
        value = "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in value) and any(c.isupper() for c in value):
            return TemporaryPassword(value)


def ldap_password_hash(password: TemporaryPassword) -> str:
    """A salted SHA-1 ({SSHA}, RFC 2307) for the directory: the task that sets it receives
    only this, so the clear password never reaches the task queue or the database."""
    import base64
    import hashlib

    salt = secrets.token_bytes(8)
    digest = hashlib.sha1(password.value.encode() + salt).digest()  # noqa: S324 - LDAP's format
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


@transaction.atomic
def reset_password(request: AccessRequest, *, by: Actor) -> TemporaryPassword:
    """The help desk resets a password it owns (CCTS): a temporary one, returned to be shown
    once. With a directory, the task sets its hash after the commit."""
    if not by.has_role(Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff reset passwords.")
    locked = _lock(request)
    if locked.kind != RequestKind.RESET or locked.fulfiller != Fulfiller.HELP_DESK:
        raise ValidationError("Only a password reset the help desk does itself.")
    password = generate_temporary_password()
    password_hash = ldap_password_hash(password)
    if locked.state == RequestState.READY:
        locked = submit(locked, by=by, password_hash=password_hash)
    elif locked.state == RequestState.SUBMITTED and locked.system.directory_base_dn:
        # Tried before and the directory was down: this new password goes with a new attempt.
        _provision_on_commit(locked.pk, password_hash)
    else:
        raise ConflictError("This reset is no longer waiting to be done.")
    if not locked.system.directory_base_dn:
        complete(locked, by=by, note="Temporary password given by phone.")
    assert locked.account is not None, "a reset is of an account (open_request)"
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked.account,
        note="Password reset to a temporary one (shown once, not stored).",
    )
    return password


# --- Departures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DepartureClock:
    contract_deadline: datetime  # 2 working days after the effective date
    deadline: datetime  # when the revocations are due
    late_working_days: int  # 0 when reported in time


def departure_clock(effective_on: date, reported_at: datetime) -> DepartureClock:
    """The contract's rule: access ends within 2 working days of the effective departure date.
    Told after that, the revocations are due at once (within 4 business hours of the report)
    and the departure is late by the working days since the deadline (at least 1)."""
    contract = add_working_days(start_of_day(effective_on), DEPARTURE_WORKING_DAYS)
    if reported_at <= contract:
        return DepartureClock(contract, contract, 0)
    due = add_business_hours(reported_at, LATE_DEPARTURE_BUSINESS_HOURS)
    return DepartureClock(contract, due, late_working_days(contract, reported_at))


def late_working_days(
    due: datetime, done: datetime, calendar: BusinessCalendar | None = None
) -> int:
    """How many working days late something due at ``due`` and done at ``done`` is: 0 when
    done in time, else the working days after the due day up to the day it was done, at least
    1 (done the evening of the due day). The departure clock's lateness of a report, and the
    agency reports' lateness of a revocation (``access.agency_reports``), with one
    ``calendar`` for many."""
    if done <= due:
        return 0
    late = working_days_after(timezone.localdate(due), timezone.localdate(done), calendar)
    return max(late, 1)


@transaction.atomic
def report_departure(
    person: Person, *, by: Actor, kind: str, effective_on: date, note: str = ""
) -> Departure:
    """Someone left or changed job function: one revoke request per live account, submitted at
    once, each due by the departure clock (``departure_clock``); their pending requests are
    cancelled. The reporter is emailed what will be revoked and by when."""
    if not by.is_system and not may_request_for(by.user, person):
        raise PermissionDenied("You may report departures only for people of your own agency.")
    now = timezone.now()
    clock = departure_clock(effective_on, now)
    departure = Departure.objects.create(
        person=person,
        kind=kind,
        effective_on=effective_on,
        note=note.strip(),
        reported_by=by.user,
        reported_at=now,
        deadline=clock.deadline,
        contract_deadline=clock.contract_deadline,
        late_working_days=clock.late_working_days,
    )
    record(
        AuditKind.CREATED,
        actor=by,
        target=departure,
        after={
            "person": person.pk,
            "kind": kind,
            "effective_on": effective_on.isoformat(),
            "deadline": departure.deadline.isoformat(),
            "late_working_days": clock.late_working_days,
        },
        note=note,
    )
    fan_out = Actor.system(f"departure of {person} reported by {by.label}")
    effects = departure_effects(person, kind)
    for request in effects.cancelled:
        cancel(request, by=fan_out, reason=f"{person} {departure.get_kind_display().lower()}.")
    for account, system in effects.revocations:
        revoke = AccessRequest.objects.create(
            kind=RequestKind.REVOKE,
            person=person,
            system=system,
            account=account,
            fulfiller=system.fulfils_revoke,
            reason=f"Departure: {departure.get_kind_display().lower()}.",
            requested_by=by.user,
            departure=departure,
            deadline=departure.deadline,
        )
        record(AuditKind.CREATED, actor=by, target=revoke, after={"kind": "revoke"})
        emit("access_request.created", event_data(revoke))
        revoke = _transition(revoke, "make_ready", by=fan_out, note="Departure reported.")
        submit(revoke, by=fan_out)
    if kind == Departure.Kind.LEFT:
        # Out of the directory and signed out everywhere now, not when the revocations close.
        reason = f"Departure reported ({departure.get_kind_display().lower()}). {note}"
        deactivate_person(person, by=by, reason=reason.strip(), left_on=effective_on)
    if departure.reported_by_id:
        enqueue_on_commit("access.tasks.send_departure_confirmation", departure.pk)
    return departure


# --- The sweep ------------------------------------------------------------------------------------


def access_sweep(now: datetime | None = None) -> dict[str, int]:
    """Escalate overdue revocations once to the help desk supervisors and the agency's local
    expert; retry provisioning that failed (a directory that was down)."""
    now = now or timezone.now()
    counts = {"escalated": 0, "retried": 0}
    overdue = AccessRequest.objects.overdue_revocations(now).filter(escalated_at__isnull=True)
    for pk in overdue.values_list("pk", flat=True):
        updated = AccessRequest.objects.filter(pk=pk, escalated_at__isnull=True).update(
            escalated_at=now
        )
        if updated:  # claimed: two sweeps never escalate one request twice
            enqueue("access.tasks.send_overdue_revocation_email", pk)
            counts["escalated"] += 1
    # A reset is not retried: its temporary password was shown once and is gone; staff reset
    # it again from the request page, which sends a new one.
    failed = (
        AccessRequest.objects.filter(state=RequestState.SUBMITTED)
        .exclude(provisioning_error="")
        .exclude(kind=RequestKind.RESET)
    )
    for pk in failed.values_list("pk", flat=True):
        enqueue(PROVISION, pk)
        counts["retried"] += 1
    counts["agreements_reminded"] = _remind_expiring_agreements(now)
    return counts


# An agreement's expiry is announced this long before it, once.
AGREEMENT_REMINDER_DAYS = 60


def _remind_expiring_agreements(now: datetime) -> int:
    soon = timezone.localdate(now) + timedelta(days=AGREEMENT_REMINDER_DAYS)
    expiring = DataSharingAgreement.objects.current(timezone.localdate(now)).filter(
        expires_on__lte=soon, reminded_at__isnull=True
    )
    reminded = 0
    for pk in expiring.values_list("pk", flat=True):
        claimed = DataSharingAgreement.objects.filter(pk=pk, reminded_at__isnull=True)
        if claimed.update(reminded_at=now):  # two sweeps never remind twice
            enqueue("access.tasks.send_agreement_reminder", pk)
            reminded += 1
    return reminded


# --- The machine ----------------------------------------------------------------------------------


def _lock(request: AccessRequest) -> AccessRequest:
    return (
        AccessRequest.objects.select_for_update(of=("self",))
        .select_related("system__credential_group", "person__office__agency", "account")
        .get(pk=request.pk)
    )


def event_data(request: AccessRequest) -> dict[str, Any]:
    """What the request's events (``helpdesk.events``) say of it: ids and states, no names,
    reasons or IDs of accounts."""
    return {
        "id": request.pk,
        "kind": request.kind,
        "state": request.state,
        "system": request.system.code,
        "fulfiller": request.fulfiller,
        "person_id": request.person_id,
        "office_id": request.person.office_id,
        "agency_id": request.person.office.agency_id,
        "departure_id": request.departure_id,
    }


REQUESTS: Machine[AccessRequest] = Machine(
    noun="request",
    lock=_lock,
    may=may_act,
    reference=lambda request: "This request",
    events=lambda step: ("access_request.state_changed",),
    payload=event_data,
)
FORMS_GATE = Actor.system("the security forms gate: the forms are on file")


def _transition(
    request: AccessRequest,
    action: str,
    *,
    by: Actor,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> AccessRequest:
    return transition(request, action, machine=REQUESTS, by=by, note=note, changes=changes)


# --- Access reviews -------------------------------------------------------------------------------
# A campaign lists every live account, agency by agency; each agency's local experts confirm
# or mark for removal (which opens a revoke request at once). Reminders go out before the
# deadline; at the deadline the campaign closes and what was not reviewed is recorded as such.

REMINDER_DAYS_BEFORE_DEADLINE = (7, 1)


@transaction.atomic
def start_campaign(*, by: Actor, name: str, deadline: datetime) -> ReviewCampaign:
    if not by.has_role(Role.HELP_DESK):
        raise PermissionDenied("Help desk staff start access reviews.")
    if deadline <= timezone.now():
        raise ValidationError("The deadline must be in the future.")
    campaign = ReviewCampaign.objects.create(
        name=name.strip(), started_by=by.user, deadline=deadline
    )
    accounts = Account.objects.filter(state__in=LIVE_ACCOUNT_STATES).select_related(
        "person__office"
    )
    ReviewItem.objects.bulk_create(
        ReviewItem(
            campaign=campaign,
            account=account,
            agency_id_snapshot=account.person.office.agency_id,
        )
        for account in accounts
    )
    record(
        AuditKind.CREATED,
        actor=by,
        target=campaign,
        after={"items": campaign.items.count(), "deadline": deadline.isoformat()},
    )
    pk = campaign.pk
    enqueue_on_commit("access.tasks.send_review_emails", pk, "started")
    return campaign


@transaction.atomic
def decide_review(item: ReviewItem, *, by: Actor, decision: str, note: str = "") -> ReviewItem:
    """Confirm an account, or mark it for removal: that opens a revoke request at once."""
    locked = (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("campaign", "account__person__office", "account__credential_group")
        .get(pk=item.pk)
    )
    if not may_review(by.user, locked):
        raise PermissionDenied("Only the agency's local expert reviews its people's access.")
    if not locked.campaign.open:
        raise ValidationError("This review is closed.")
    if decision not in (ReviewDecision.KEEP, ReviewDecision.REMOVE):
        raise ValidationError("Confirm the access or mark it for removal.")
    if locked.decision == ReviewDecision.REMOVE:
        raise ValidationError("Already marked for removal; the revocation is under way.")
    before = locked.decision
    locked.decision, locked.decided_by, locked.decided_at = decision, by.user, timezone.now()
    locked.note = note.strip()[:300]
    if decision == ReviewDecision.REMOVE:
        system = locked.account.credential_group.systems.filter(active=True).order_by("pk").first()
        if system is None:  # every system of the credential retired: nowhere to revoke it
            raise ValidationError(
                f"No active system uses {locked.account.credential_group}: the help desk "
                "revokes this access by hand."
            )
        revoke = open_request(
            locked.account.person,
            system,
            RequestKind.REVOKE,
            by=by,
            reason=f"Access review {locked.campaign}: {note}".strip(": "),
        )
        review = Actor.system(f"access review {locked.campaign}: marked for removal")
        locked.revoke_request = submit(revoke, by=review)
    else:
        Account.objects.filter(pk=locked.account_id).update(last_reviewed_at=locked.decided_at)
    locked.save()
    record(
        AuditKind.CHANGED,
        actor=by,
        target=locked.account,
        before={"review": before},
        after={"review": decision},
        note=f"Access review {locked.campaign}.",
    )
    return locked


def review_sweep(now: datetime | None = None) -> dict[str, int]:
    """Reminders as the deadline nears (7 days, 1 day); close campaigns past it."""
    now = now or timezone.now()
    counts = {"reminded": 0, "closed": 0}
    for campaign in ReviewCampaign.objects.filter(closed_at__isnull=True):
        if campaign.deadline <= now:
            close_campaign(campaign, now=now)
            counts["closed"] += 1
            continue
        left = campaign.deadline - now
        crossed = sum(1 for d in REMINDER_DAYS_BEFORE_DEADLINE if left <= timedelta(days=d))
        if campaign.reminders_sent < crossed:
            updated = ReviewCampaign.objects.filter(
                pk=campaign.pk, reminders_sent=campaign.reminders_sent
            ).update(reminders_sent=crossed)
            if updated:
                enqueue("access.tasks.send_review_emails", campaign.pk, "reminder", crossed)
                counts["reminded"] += 1
    return counts


@transaction.atomic
def close_campaign(campaign: ReviewCampaign, *, now: datetime | None = None) -> ReviewCampaign:
    locked = ReviewCampaign.objects.select_for_update().get(pk=campaign.pk)
    if locked.closed_at is not None:
        return locked
    locked.closed_at = now or timezone.now()
    locked.save(update_fields=["closed_at"])
    missed = locked.items.filter(decision=ReviewDecision.PENDING).update(
        decision=ReviewDecision.NOT_REVIEWED
    )
    by = Actor.system("the access review sweep: the deadline passed")
    record(AuditKind.CHANGED, actor=by, target=locked, after={"closed": True, "missed": missed})
    return locked


# --- Fulfillers' replies by email -----------------------------------------------------------------
def fulfiller_addresses() -> set[str]:
    """Where requests are sent for CMS or MIS to carry out (``tasks.send_fulfiller_email``),
    lower-cased: the addresses whose replies thread to requests."""
    configured = TargetSystem.objects.exclude(fulfiller_email="").values_list(
        "fulfiller_email", flat=True
    )
    addresses = [*configured, settings.ACCESS_CMS_EMAIL, *role_addresses(Role.MIS)]
    return {a.lower() for a in addresses if a}


def is_fulfiller_address(address: str) -> bool:
    return bool(address) and address.lower() in fulfiller_addresses()
