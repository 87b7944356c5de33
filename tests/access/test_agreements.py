"""Data Sharing Agreements (issue 19): new or changed access for someone of an agency waits for
a current agreement of that agency covering the system, like the security-forms gate; it moves
on once one is recorded; the sweep announces an expiry once, ahead of time."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from access import services as acs
from access.models import DataSharingAgreement, RequestKind, RequestState, TargetSystem
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind
from tests.access.test_services import file_forms

pytestmark = pytest.mark.django_db


def _ccms() -> TargetSystem:
    return TargetSystem.objects.get(code="ccms")


def _without_agreement(world) -> None:
    DataSharingAgreement.objects.filter(agency=world.office.agency).delete()


def _new_ccms_request(world):
    file_forms(world, world.alice, systems=("ccms",))
    return acs.open_request(
        world.alice, _ccms(), RequestKind.NEW, by=Actor.of(world.pat.user), ccms_role="Caseworker"
    )


def test_without_a_current_agreement_new_access_waits(world):
    _without_agreement(world)

    request = _new_ccms_request(world)

    assert request.state == RequestState.AWAITING_FORMS
    assert acs.missing_prerequisites(request) == ["a current Data Sharing Agreement for CCMS"]


def test_an_expired_agreement_or_one_for_other_systems_does_not_count(world):
    _without_agreement(world)
    today = timezone.localdate()
    old = DataSharingAgreement.objects.create(
        agency=world.office.agency,
        signed_on=today - timedelta(days=800),
        expires_on=today - timedelta(days=1),
    )
    old.systems.set([_ccms()])
    other = DataSharingAgreement.objects.create(
        agency=world.office.agency, signed_on=today, expires_on=today + timedelta(days=365)
    )
    other.systems.set(TargetSystem.objects.exclude(code="ccms"))

    assert _new_ccms_request(world).state == RequestState.AWAITING_FORMS


def test_recording_an_agreement_lets_the_held_requests_move_on(world):
    _without_agreement(world)
    request = _new_ccms_request(world)
    today = timezone.localdate()

    agreement = acs.record_agreement(
        world.office.agency,
        by=Actor.of(world.hannah),
        signed_on=today,
        expires_on=today + timedelta(days=3 * 365),
        systems=[_ccms()],
    )

    request.refresh_from_db()
    assert request.state == RequestState.READY
    event = AuditEvent.objects.for_object(agreement).get(kind=AuditKind.CREATED)
    assert event.after["systems"] == ["ccms"]


def test_only_the_help_desk_records_agreements(world):
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        acs.record_agreement(
            world.office.agency,
            by=Actor.of(world.pat.user),
            signed_on=today,
            expires_on=today + timedelta(days=30),
            systems=[_ccms()],
        )


def test_state_staff_and_revocations_need_no_agreement(world):
    DataSharingAgreement.objects.all().delete()

    assert acs.missing_agreement(_unsaved(world.hannah.person, RequestKind.NEW)) == []
    assert acs.missing_agreement(_unsaved(world.alice, RequestKind.REVOKE)) == []
    assert acs.missing_agreement(_unsaved(world.alice, RequestKind.NEW)) != []


def _unsaved(person, kind):
    from access.models import AccessRequest

    return AccessRequest(person=person, system=_ccms(), kind=kind)


def test_the_sweep_announces_an_expiry_once(world, mailoutbox, django_capture_on_commit_callbacks):
    agreement = DataSharingAgreement.objects.get(agency=world.office.agency)
    agreement.expires_on = timezone.localdate() + timedelta(days=30)
    agreement.save()

    with django_capture_on_commit_callbacks(execute=True):
        first = acs.access_sweep()
        second = acs.access_sweep()

    assert (first["agreements_reminded"], second["agreements_reminded"]) == (1, 0)
    told = {m.to[0] for m in mailoutbox if "Data Sharing Agreement expires" in m.subject}
    assert told >= {"pat@example.org", "alex@example.org"}


def test_the_admin_records_one_and_the_held_requests_move_on(world, client):
    _without_agreement(world)
    request = _new_ccms_request(world)
    client.force_login(world.ada)
    today = timezone.localdate()

    response = client.post(
        reverse("admin:access_datasharingagreement_add"),
        {
            "agency": world.office.agency.pk,
            "signed_on": today.isoformat(),
            "expires_on": (today + timedelta(days=365)).isoformat(),
            "systems": [_ccms().pk],
            "note": "",
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    request.refresh_from_db()
    assert request.state == RequestState.READY
