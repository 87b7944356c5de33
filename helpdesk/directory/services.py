"""Use cases of the directory: designating local experts, recording their absences, the
roles (Django groups) people hold, and leavers (deactivation, and the help desk's reactivation)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.apps import apps as django_apps
from django.contrib.auth.management import create_permissions
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F

from helpdesk.actor import Actor
from helpdesk.audit import record, snapshot
from helpdesk.directory.permissions import (
    can_manage_absences_of,
    may_deactivate,
    may_reactivate,
    may_review_staff_lists,
)
from helpdesk.directory.roles import Role, forget_roles
from helpdesk.models import (
    Absence,
    AuditKind,
    LocalExpertDesignation,
    Office,
    Person,
    PersonEmail,
    StaffChange,
    StaffChangeKind,
    User,
)
from helpdesk.registry import Registry


@dataclass(frozen=True)
class NewcomerHook:
    """Work of a higher feature for someone new to the directory, or newly a local expert (the
    procedures library sends their welcome packet); registered from its AppConfig.ready."""

    name: str
    welcome: Callable[[Person | LocalExpertDesignation], object]


newcomer_hooks: Registry[NewcomerHook] = Registry("newcomer hooks", key=lambda h: h.name)


def welcome_newcomer(newcomer: Person | LocalExpertDesignation) -> None:
    """Tell the registered hooks about a person just added, or just designated. The services
    below call it; so does the admin, which saves a person (and their addresses) itself."""
    for hook in newcomer_hooks:
        hook.welcome(newcomer)


@transaction.atomic
def add_person(
    office: Office,
    *,
    by: Actor,
    first_name: str,
    last_name: str,
    email: str = "",
    phone: str = "",
    job_title: str = "",
) -> Person:
    """Someone joins an office: in the directory, with their address, audited, and welcomed."""
    person = Person(
        office=office,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        phone=phone.strip(),
        job_title=job_title.strip(),
    )
    person.full_clean()
    person.save()
    if email.strip():
        PersonEmail.objects.create(person=person, address=email.strip().lower(), primary=True)
    record(AuditKind.CREATED, actor=by, target=person, after=snapshot(person))
    welcome_newcomer(person)
    return person


@transaction.atomic
def designate_local_expert(
    office: Office, person: Person, role: str, *, by: Actor, note: str = ""
) -> LocalExpertDesignation:
    """Make ``person`` the office's primary or alternate local expert, replacing whoever held
    that role. The rules (same agency, active, one per role) live on the model."""
    office = Office.objects.select_for_update().get(pk=office.pk)  # serialise per office
    replaced = LocalExpertDesignation.objects.filter(office=office, role=role).first()
    if replaced is not None and replaced.person_id == person.pk:
        return replaced
    if replaced is not None:
        remove_designation(replaced, by=by, note=f"Replaced by {person}.")
    # Moving someone between roles (a swap of primary and alternate) frees their old role first.
    moved = LocalExpertDesignation.objects.filter(office=office, person=person).first()
    if moved is not None:
        remove_designation(moved, by=by, note=f"Now {role}.")
    designation = LocalExpertDesignation(office=office, person=person, role=role)
    designation.full_clean()
    designation.save()
    welcome_newcomer(designation)
    record(
        AuditKind.DESIGNATED, actor=by, target=designation, after=snapshot(designation), note=note
    )
    sync_local_expert_role(person, by=by)
    return designation


@transaction.atomic
def remove_designation(designation: LocalExpertDesignation, *, by: Actor, note: str = "") -> None:
    before = snapshot(designation)
    person = designation.person
    record(AuditKind.UNDESIGNATED, actor=by, target=designation, before=before, note=note)
    designation.delete()
    sync_local_expert_role(person, by=by)


@transaction.atomic
def record_absence(
    person: Person, *, starts_at: datetime, ends_at: datetime, reason: str = "", by: Actor
) -> Absence:
    """Mark ``person`` away for [starts_at, ends_at); their office's alternate acts meanwhile."""
    if not by.is_system and not can_manage_absences_of(by.user, person):
        raise PermissionDenied("You may not record absences for this person.")
    absence = Absence(
        person=person,
        starts_at=starts_at,
        ends_at=ends_at,
        reason=reason,
        recorded_by=by.user,
    )
    absence.full_clean()
    absence.save()
    record(AuditKind.ABSENCE_RECORDED, actor=by, target=absence, after=snapshot(absence))
    return absence


@transaction.atomic
def cancel_absence(absence: Absence, *, by: Actor, note: str = "") -> None:
    if not by.is_system and not can_manage_absences_of(by.user, absence.person):
        raise PermissionDenied("You may not change absences for this person.")
    record(
        AuditKind.ABSENCE_CANCELLED, actor=by, target=absence, before=snapshot(absence), note=note
    )
    absence.delete()


# --- Roles ------------------------------------------------------------------------------------
# Roles: the Django groups of DESIGN.md, their permissions, and who holds them.

# Administrators manage the directory, logins, lockouts and schedules in the Django admin.
# The audit trail is readable, never writable, by anyone.
_ADMIN_APPS = ("helpdesk", "auth", "axes", "django_q", "forms_4052_4055", "access", "escalation")
_READ_ONLY_MODELS = ("auditevent",)


def ensure_role_groups(using: str = "default") -> None:
    """Create the role groups and give administrators their permissions. Idempotent."""
    # Runs after the help desk's own migrations, before Django has made the permissions of the
    # apps that come after it (access, the security forms): make them all now.
    for app_config in django_apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    for role in Role:
        Group.objects.using(using).get_or_create(name=role.value)
    admin_group = Group.objects.using(using).get(name=Role.ADMINISTRATOR)
    wanted = Permission.objects.using(using).filter(content_type__app_label__in=_ADMIN_APPS)
    wanted = wanted.exclude(
        content_type__model__in=_READ_ONLY_MODELS, codename__regex=r"^(add|change|delete)_"
    )
    missing = set(wanted.values_list("pk", flat=True)) - set(
        admin_group.permissions.values_list("pk", flat=True)
    )
    if missing:
        admin_group.permissions.add(*missing)


@transaction.atomic
def set_roles(user: User, roles: Iterable[str], *, by: Actor, note: str = "") -> bool:
    """Make ``user`` hold exactly ``roles``; audited. Returns whether anything changed."""
    wanted = {Role(r).value for r in roles}
    current = set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))
    if wanted == current:
        return False
    role_groups = Group.objects.filter(name__in=Role.values)
    user.groups.remove(*[g for g in role_groups if g.name in current - wanted])
    user.groups.add(*[g for g in role_groups if g.name in wanted - current])
    forget_roles(user)
    record(
        AuditKind.ROLES_CHANGED,
        actor=by,
        target=user,
        before={"roles": sorted(current)},
        after={"roles": sorted(wanted)},
        note=note,
    )
    return True


def current_roles(user: User) -> set[str]:
    return set(user.groups.filter(name__in=Role.values).values_list("name", flat=True))


def sync_local_expert_role(person: Person, *, by: Actor) -> None:
    """A person with a login holds the local expert role exactly while they have a designation."""
    user = person.user
    if user is None:
        return
    roles = current_roles(user)
    if person.designations.exists():
        roles.add(Role.LOCAL_EXPERT)
    else:
        roles.discard(Role.LOCAL_EXPERT)
    set_roles(user, roles, by=by, note="Follows the person's local expert designations.")


# --- Leavers ------------------------------------------------------------------------------------
# Someone who leaves loses, at once and audited: the login (is_active), every session (the
# session generation, mixed into the hash Django checks on each request and socket), their
# designations (through remove_designation, so the office's cover and roles follow), and what
# the registered leaver hooks end: open websockets (helpdesk.tickets), emailed links
# (helpdesk.procedures). Nothing but ``reactivate_person``/``reactivate_user``, which only the
# help desk may call, sets a login active again.


@dataclass(frozen=True)
class LeaverHook:
    """Work of a higher feature when a login is disabled (close its sockets, revoke its
    links); registered from its AppConfig.ready. ``end`` gets the user (None for a person
    without a login), the person (None for a login without one) and the actor."""

    name: str
    end: Callable[[User | None, Person | None, Actor], object]


leaver_hooks: Registry[LeaverHook] = Registry("leaver hooks", key=lambda h: h.name)


@transaction.atomic
def deactivate_person(
    person: Person, *, by: Actor, reason: str, left_on: date | None = None
) -> Person:
    """``person`` has left: out of the directory's active people, their designations ended,
    and their login (if any) disabled with everything it holds. Idempotent: a second call
    finishes what is still on (a login left active by an older departure) and nothing else."""
    if not by.is_system and not may_deactivate(by.user, person):
        raise PermissionDenied("You may not deactivate this person.")
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if person.active:
        person.active = False
        person.left_on = left_on or person.left_on
        person.save(update_fields=["active", "left_on", "updated_at"])
        record(
            AuditKind.DEACTIVATED,
            actor=by,
            target=person,
            before={"active": True},
            after={"active": False, "left_on": left_on.isoformat() if left_on else None},
            note=reason,
        )
        if not by.is_system and not may_review_staff_lists(by.user):
            # The agency's own change to its staff list: shown on the help desk's review page
            # (undone there by a reactivation, not by an undo).
            StaffChange.objects.create(
                office=person.office,
                person=person,
                person_label=person.full_name,
                kind=StaffChangeKind.LEFT,
                before={"active": True},
                after={"active": False, "left_on": left_on.isoformat() if left_on else None},
                made_by=by.user,
            )
    for designation in LocalExpertDesignation.objects.filter(person=person).select_related(
        "office"
    ):
        remove_designation(designation, by=by, note=f"Left: {reason}")
    if person.user is not None:
        _disable_login(person.user, by=by, reason=reason)
    for hook in leaver_hooks:
        hook.end(person.user, person, by)
    return person


@transaction.atomic
def deactivate_user(user: User, *, by: Actor, reason: str) -> User:
    """Disable a login. A login with a directory person is a leaver: the person is
    deactivated with it (``deactivate_person``), so the two never disagree."""
    person = Person.objects.filter(user=user).first()
    if person is not None:
        deactivate_person(person, by=by, reason=reason)
        user.refresh_from_db()
        return user
    if not by.is_system and not may_deactivate(by.user, None):
        raise PermissionDenied("You may not deactivate this login.")
    _disable_login(user, by=by, reason=reason)
    for hook in leaver_hooks:
        hook.end(user, None, by)
    user.refresh_from_db()
    return user


def _disable_login(user: User, *, by: Actor, reason: str) -> None:
    """is_active off and every session ended, once: a login already off is left as it is
    (its sessions ended when it was disabled)."""
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        User.objects.filter(pk=user.pk).update(is_active=False)
        record(
            AuditKind.DEACTIVATED,
            actor=by,
            target=locked,
            before={"is_active": True},
            after={"is_active": False},
            note=reason,
        )
        end_sessions(locked, by=by, reason=reason)
    # The caller's copy too, so a later save of it cannot turn the login back on.
    user.refresh_from_db(fields=["is_active", "session_generation"])


def end_sessions(user: User, *, by: Actor, reason: str) -> None:
    """Every session of ``user`` ends at its next request or socket message: the hash Django
    checks mixes in the generation raised here (helpdesk.models.users); password reset links
    stop working for the same reason (helpdesk.auth.tokens)."""
    User.objects.filter(pk=user.pk).update(session_generation=F("session_generation") + 1)
    record(
        AuditKind.SESSIONS_ENDED,
        actor=by,
        target=user,
        note=f"Sessions and password reset links ended. {reason}",
    )


@transaction.atomic
def reactivate_person(person: Person, *, by: Actor, reason: str) -> Person:
    """The help desk restores someone who had left: active again, their login too. Their
    designations are not restored (designate them again); their old sessions stay ended."""
    if not may_reactivate(by.user):
        raise PermissionDenied("Only help desk staff reactivate people.")
    if not reason.strip():
        raise ValidationError("Say why this person is reactivated.")
    person = Person.objects.select_for_update(of=("self",)).select_related("user").get(pk=person.pk)
    if not person.active:
        left_on = person.left_on.isoformat() if person.left_on else None
        before = {"active": False, "left_on": left_on}
        person.active, person.left_on = True, None
        person.save(update_fields=["active", "left_on", "updated_at"])
        record(
            AuditKind.REACTIVATED,
            actor=by,
            target=person,
            before=before,
            after={"active": True, "left_on": None},
            note=reason.strip(),
        )
    if person.user is not None:
        _enable_login(person.user, by=by, reason=reason.strip())
    return person


@transaction.atomic
def reactivate_user(user: User, *, by: Actor, reason: str) -> User:
    """The help desk restores a login; with a directory person, the person too."""
    person = Person.objects.filter(user=user).first()
    if person is not None:
        reactivate_person(person, by=by, reason=reason)
    else:
        if not may_reactivate(by.user):
            raise PermissionDenied("Only help desk staff reactivate logins.")
        if not reason.strip():
            raise ValidationError("Say why this login is reactivated.")
        _enable_login(user, by=by, reason=reason.strip())
    user.refresh_from_db()
    return user


def _enable_login(user: User, *, by: Actor, reason: str) -> None:
    locked = User.objects.select_for_update().get(pk=user.pk)
    if locked.is_active:
        return
    User.objects.filter(pk=user.pk).update(is_active=True)
    user.refresh_from_db(fields=["is_active"])
    record(
        AuditKind.REACTIVATED,
        actor=by,
        target=locked,
        before={"is_active": False},
        after={"is_active": True},
        note=reason,
    )
