"""The administration pages: administrators only, and every change audited."""

import weakref
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role, roles_of
from helpdesk.directory.services import remove_designation
from helpdesk.models import (
    Absence,
    AuditEvent,
    AuditKind,
    DesignationRole,
    LocalExpertDesignation,
    Person,
)
from tests.factories import PersonFactory
from tests.outgoing_mail import REFUSING, queue

pytestmark = pytest.mark.django_db

ADMIN_PAGES = [
    "admin:index",
    "admin:helpdesk_agency_changelist",
    "admin:helpdesk_office_changelist",
    "admin:helpdesk_person_changelist",
    "admin:helpdesk_localexpertdesignation_changelist",
    "admin:helpdesk_absence_changelist",
    "admin:helpdesk_auditevent_changelist",
    "admin:helpdesk_outboundemail_changelist",
    "admin:helpdesk_user_changelist",
    "admin:auth_group_changelist",
    "admin:axes_accessattempt_changelist",
]


@pytest.mark.parametrize("persona", ["alice", "pat", "hannah", "mike"])
def test_admin_pages_are_refused_to_non_administrators(client, world, persona):
    person = getattr(world, persona)
    client.force_login(getattr(person, "user", person))
    for page in ADMIN_PAGES:
        response = client.get(reverse(page), follow=True)
        assert response.status_code == 403, page


def test_admin_sends_anonymous_visitors_to_the_one_login_page(client, world):
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("login"))


def test_a_staff_flag_alone_does_not_open_the_admin(client, world):
    world.hannah.is_staff = True
    world.hannah.save()
    client.force_login(world.hannah)
    assert client.get(reverse("admin:index"), follow=True).status_code == 403


def test_administrators_can_open_every_admin_page(client, world):
    client.force_login(world.ada)
    for page in ADMIN_PAGES:
        assert client.get(reverse(page)).status_code == 200, page
    search = client.get(reverse("admin:helpdesk_person_changelist"), {"q": "pat@example.org"})
    assert "Primary" in search.content.decode()


def test_an_email_that_could_not_be_sent_is_kept_in_the_admin_with_its_error(
    client, world, settings
):
    settings.EMAIL_BACKEND = REFUSING
    settings.EMAIL_RETRY_DELAYS = []  # this attempt is the last
    failed = queue()
    emails.deliver(failed.pk)
    client.force_login(world.ada)
    changelist = reverse("admin:helpdesk_outboundemail_changelist")
    assert "Review 2026" in client.get(changelist, {"status__exact": "failed"}).content.decode()
    assert "Review 2026" not in client.get(changelist, {"status__exact": "sent"}).content.decode()
    page = client.get(reverse("admin:helpdesk_outboundemail_change", args=[failed.pk]))
    assert "SMTPServerDisconnected: Connection unexpectedly closed" in page.content.decode()
    assert "lists 3 accounts" in page.content.decode()  # the whole message, never lost


def test_an_admin_change_to_a_person_is_audited_with_before_and_after(client, world):
    client.force_login(world.ada)
    person = world.alice
    email = person.emails.get()
    url = reverse("admin:helpdesk_person_change", args=[person.pk])
    data = {
        "first_name": "Alice",
        "last_name": "Agency",
        "office": person.office_id,
        "job_title": "Senior caseworker",
        "phone": person.phone,
        "user": person.user_id,
        "active": "on",
        "left_on": "",
        "emails-TOTAL_FORMS": "2",
        "emails-INITIAL_FORMS": "1",
        "emails-0-id": email.pk,
        "emails-0-person": person.pk,
        "emails-0-address": email.address,
        "emails-0-primary": "on",
        "emails-1-person": person.pk,
        "emails-1-address": "alice.home@example.net",
        "absences-TOTAL_FORMS": "0",
        "absences-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]

    changed = AuditEvent.objects.get(kind=AuditKind.CHANGED, target_id=str(person.pk))
    assert changed.actor == world.ada
    assert changed.changed_fields() == {"job_title": ("Caseworker", "Senior caseworker")}
    created = AuditEvent.objects.get(kind=AuditKind.CREATED, actor=world.ada)
    assert created.after["address"] == "alice.home@example.net"


def test_an_admin_deletion_is_audited(client, world):
    client.force_login(world.ada)
    person = PersonFactory(office=world.other_office, first_name="Temp", last_name="Worker")
    url = reverse("admin:helpdesk_person_delete", args=[person.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(kind=AuditKind.DELETED, target_id=str(person.pk))
    assert event.before["first_name"] == "Temp"
    assert event.actor == world.ada
    assert not Person.objects.filter(pk=person.pk).exists()


def test_designating_in_the_admin_goes_through_the_directory_rules(client, world):
    client.force_login(world.ada)
    url = reverse("admin:helpdesk_localexpertdesignation_add")
    wrong_agency = client.post(
        url, {"office": world.other_office.pk, "person": world.alice.pk, "role": "alternate"}
    )
    assert "office&#x27;s own agency" in wrong_agency.content.decode()

    newcomer = PersonFactory(office=world.other_office, user=None)
    response = client.post(
        url, {"office": world.other_office.pk, "person": newcomer.pk, "role": "alternate"}
    )
    assert response.status_code == 302
    designation = LocalExpertDesignation.objects.get(office=world.other_office, role="alternate")
    assert designation.person == newcomer
    assert AuditEvent.objects.filter(kind=AuditKind.DESIGNATED, actor=world.ada).exists()


def test_replacing_a_primary_in_the_office_admin_moves_the_role(client, world):
    client.force_login(world.ada)
    office = world.office
    primary = office.designations.get(role=DesignationRole.PRIMARY)
    alternate = office.designations.get(role=DesignationRole.ALTERNATE)
    data = {
        "agency": office.agency_id,
        "name": office.name,
        "street": "",
        "city": office.city,
        "zip_code": "",
        "phone": "",
        "active": "on",
        "designations-TOTAL_FORMS": "2",
        "designations-INITIAL_FORMS": "2",
        "designations-0-id": primary.pk,
        "designations-0-office": office.pk,
        "designations-0-role": "primary",
        "designations-0-person": world.alice.pk,
        "designations-1-id": alternate.pk,
        "designations-1-office": office.pk,
        "designations-1-role": "alternate",
        "designations-1-person": world.alex.pk,
    }
    response = client.post(reverse("admin:helpdesk_office_change", args=[office.pk]), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert office.designations.get(role=DesignationRole.PRIMARY).person == world.alice
    world.alice.user.refresh_from_db()
    assert Role.LOCAL_EXPERT in roles_of(world.alice.user)
    assert AuditEvent.objects.filter(kind=AuditKind.UNDESIGNATED, actor=world.ada).count() == 1


def test_the_audit_trail_cannot_be_edited_even_by_administrators(client, world):
    client.force_login(world.ada)
    remove_designation(world.otto.designations.get(), by=Actor.of(world.ada))
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:helpdesk_auditevent_add")).status_code == 403
    response = client.post(
        reverse("admin:helpdesk_auditevent_delete", args=[event.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_a_role_change_in_the_admin_is_audited(client, world):
    client.force_login(world.ada)
    user = world.alice.user
    response = client.post(
        reverse("admin:helpdesk_user_change", args=[user.pk]),
        {
            "username": user.username,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "is_active": "on",
            "groups": [g.pk for g in user.groups.all()] + [_group("mis").pk],
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2026-01-01",
            "date_joined_1": "08:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = AuditEvent.objects.get(kind=AuditKind.CHANGED, target_id=str(user.pk))
    before, after = event.changed_fields()["groups"]
    assert len(after) == len(before) + 1
    assert "password" not in event.after


def _group(name):
    from django.contrib.auth.models import Group

    return Group.objects.get(name=name)


def test_an_absence_added_in_the_admin_is_recorded_through_the_directory(client, world):
    client.force_login(world.ada)
    starts = timezone.localtime() + timedelta(days=1)
    data = {
        "person": world.pat.pk,
        "starts_at_0": starts.strftime("%Y-%m-%d"),
        "starts_at_1": "08:00:00",
        "ends_at_0": (starts + timedelta(days=2)).strftime("%Y-%m-%d"),
        "ends_at_1": "17:00:00",
        "reason": "Training",
    }
    response = client.post(reverse("admin:helpdesk_absence_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    absence = Absence.objects.get(person=world.pat)
    assert absence.recorded_by == world.ada
    assert AuditEvent.objects.for_object(absence).get().kind == AuditKind.ABSENCE_RECORDED
    # Not edited in place: cancelled (audited) and recorded again.
    change = client.get(reverse("admin:helpdesk_absence_change", args=[absence.pk]))
    assert b'name="reason"' not in change.content
    client.post(reverse("admin:helpdesk_absence_delete", args=[absence.pk]), {"post": "yes"})
    assert not Absence.objects.exists()
    cancelled = AuditEvent.objects.filter(kind=AuditKind.ABSENCE_CANCELLED)
    assert cancelled.get().actor == world.ada


def test_no_model_signal_of_the_project_has_side_effects():
    """Services call what they need; the only receivers the project connects are the
    post_migrate ones that create the role groups, schedules and seed data."""
    from django.db.models import signals

    project = ("helpdesk", "access", "forms_4052_4055", "escalation", "config")
    for signal in (signals.pre_save, signals.post_save, signals.pre_delete, signals.post_delete):
        refs = [entry[1] for entry in signal.receivers]  # (lookup key, receiver or weak ref, ...)
        alive = [r() if isinstance(r, weakref.ReferenceType) else r for r in refs]
        ours = [r for r in alive if r is not None and r.__module__.startswith(project)]
        assert ours == [], ours
