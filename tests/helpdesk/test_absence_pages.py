"""Recording and cancelling local expert absences on the web."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import Absence, AuditEvent, AuditKind
from tests.factories import AbsenceFactory

pytestmark = pytest.mark.django_db


def _form(person, start_in_days=1, days=2, reason="Training"):
    start = timezone.localtime() + timedelta(days=start_in_days)
    return {
        "person": person.pk,
        "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
        "ends_at": (start + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M"),
        "reason": reason,
    }


def test_a_local_expert_records_their_own_absence(client, world):
    client.force_login(world.pat.user)
    response = client.post(reverse("absence_new"), _form(world.pat))
    assert response.status_code == 302
    absence = Absence.objects.get(person=world.pat)
    assert absence.reason == "Training"
    assert absence.recorded_by == world.pat.user
    assert AuditEvent.objects.filter(kind=AuditKind.ABSENCE_RECORDED, actor=world.pat.user)
    listing = client.get(reverse("absence_list"))
    assert "Training" in listing.content.decode()


def test_a_local_expert_cannot_record_an_absence_for_someone_else(client, world):
    client.force_login(world.pat.user)
    response = client.post(reverse("absence_new"), _form(world.alex))
    assert response.status_code == 200  # the form says the choice is not valid
    assert "Select a valid choice" in response.content.decode()
    assert not Absence.objects.exists()


def test_help_desk_staff_record_an_absence_for_any_local_expert(client, world):
    client.force_login(world.hannah)
    response = client.post(reverse("absence_new"), _form(world.otto))
    assert response.status_code == 302
    assert Absence.objects.get().person == world.otto


@pytest.mark.parametrize("persona", ["alice", "mike"])
def test_agency_users_and_mis_may_not_record_absences(client, world, persona):
    person = getattr(world, persona)
    client.force_login(getattr(person, "user", person))
    assert client.get(reverse("absence_new")).status_code == 403
    assert client.post(reverse("absence_new"), _form(world.pat)).status_code == 403
    assert client.get(reverse("absence_list")).status_code == 403


def test_an_absence_must_end_after_it_starts(client, world):
    client.force_login(world.pat.user)
    response = client.post(reverse("absence_new"), _form(world.pat, days=-1))
    assert "must end after it starts" in response.content.decode()


def test_an_overlapping_absence_is_refused_with_a_clear_message(client, world):
    AbsenceFactory(person=world.pat)
    client.force_login(world.pat.user)
    response = client.post(reverse("absence_new"), _form(world.pat, start_in_days=0))
    assert "overlaps an absence" in response.content.decode()
    assert Absence.objects.count() == 1


def test_cancelling_needs_a_post(client, world):
    absence = AbsenceFactory(person=world.pat)
    client.force_login(world.pat.user)
    assert client.get(reverse("absence_cancel", args=[absence.pk])).status_code == 405
    assert Absence.objects.filter(pk=absence.pk).exists()


def test_a_local_expert_cancels_their_own_absence_and_it_is_audited(client, world):
    absence = AbsenceFactory(person=world.pat)
    client.force_login(world.pat.user)
    response = client.post(reverse("absence_cancel", args=[absence.pk]))
    assert response.status_code == 302
    assert not Absence.objects.exists()
    event = AuditEvent.objects.get(kind=AuditKind.ABSENCE_CANCELLED)
    assert event.actor == world.pat.user
    assert event.before["person"] == world.pat.pk


def test_an_outsider_cannot_cancel_another_persons_absence(client, world):
    absence = AbsenceFactory(person=world.pat)
    client.force_login(world.otto.user)
    assert client.post(reverse("absence_cancel", args=[absence.pk])).status_code == 403
    assert Absence.objects.filter(pk=absence.pk).exists()


def test_absence_pages_need_a_login(client, world):
    response = client.get(reverse("absence_list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
