"""Local expert designations: one primary and at most one alternate per office, both from the
office's own agency; who acts at a given time; and the role and audit that follow."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.actor import Actor
from helpdesk.directory.roles import Role, roles_of
from helpdesk.directory.selectors import acting_local_expert, office_coverage
from helpdesk.directory.services import (
    designate_local_expert,
    record_absence,
    remove_designation,
)
from helpdesk.models import AuditEvent, AuditKind, DesignationRole, LocalExpertDesignation
from tests.factories import AbsenceFactory, OfficeFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_an_office_has_one_primary(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocalExpertDesignation.objects.create(
            office=world.office, person=world.alice, role=DesignationRole.PRIMARY
        )


def test_an_office_has_at_most_one_alternate(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        LocalExpertDesignation.objects.create(
            office=world.office, person=world.alice, role=DesignationRole.ALTERNATE
        )


def test_a_person_holds_one_role_per_office(world):
    designation = LocalExpertDesignation(
        office=world.other_office, person=world.otto, role=DesignationRole.ALTERNATE
    )
    with pytest.raises(ValidationError, match="already a local expert of this office"):
        designation.full_clean()


def test_a_local_expert_must_work_for_the_offices_agency(world):
    with pytest.raises(ValidationError, match="office's own agency"):
        designate_local_expert(
            world.other_office, world.pat, DesignationRole.ALTERNATE, by=Actor.of(world.ada)
        )
    assert not LocalExpertDesignation.objects.filter(office=world.other_office, person=world.pat)


def test_a_person_of_another_office_of_the_same_agency_may_be_designated(world):
    sister_office = OfficeFactory(agency=world.office.agency, name="Freeport office")
    designation = designate_local_expert(
        sister_office, world.alex, DesignationRole.PRIMARY, by=Actor.of(world.ada)
    )
    assert designation.person == world.alex


def test_someone_who_left_cannot_be_designated(world):
    leaver = PersonFactory(office=world.other_office, left=True)
    with pytest.raises(ValidationError, match="has left"):
        designate_local_expert(
            world.other_office, leaver, DesignationRole.ALTERNATE, by=Actor.of(world.ada)
        )


def test_designating_a_new_primary_replaces_the_old_one_and_audits_both(world):
    designate_local_expert(
        world.office, world.alice, DesignationRole.PRIMARY, by=Actor.of(world.hannah)
    )

    designations = LocalExpertDesignation.objects.filter(office=world.office)
    assert {(d.role, d.person) for d in designations} == {
        (DesignationRole.PRIMARY, world.alice),
        (DesignationRole.ALTERNATE, world.alex),
    }
    kinds = list(
        AuditEvent.objects.filter(actor=world.hannah)
        .order_by("id")
        .values_list("kind", "target_repr")
    )
    assert kinds[0][0] == AuditKind.UNDESIGNATED
    assert "Pat Primary" in kinds[0][1]
    assert (AuditKind.DESIGNATED, str(designations.get(person=world.alice))) in kinds


def test_the_local_expert_role_follows_designations(world):
    alice_user = world.alice.user
    designate_local_expert(
        world.office, world.alice, DesignationRole.PRIMARY, by=Actor.of(world.ada)
    )
    alice_user.refresh_from_db()
    assert Role.LOCAL_EXPERT in roles_of(alice_user)

    pat_user = world.pat.user
    pat_user.refresh_from_db()
    assert Role.LOCAL_EXPERT not in roles_of(pat_user)  # replaced, so the role went too
    event = AuditEvent.objects.filter(kind=AuditKind.ROLES_CHANGED, target_id=str(pat_user.pk))
    assert event.get().before == {"roles": ["local_expert"]}


def test_primary_and_alternate_can_swap(world):
    designate_local_expert(
        world.office, world.alex, DesignationRole.PRIMARY, by=Actor.of(world.ada)
    )
    designate_local_expert(
        world.office, world.pat, DesignationRole.ALTERNATE, by=Actor.of(world.ada)
    )
    roles = dict(
        LocalExpertDesignation.objects.filter(office=world.office).values_list("role", "person")
    )
    assert roles == {"primary": world.alex.pk, "alternate": world.pat.pk}


def test_removing_the_last_designation_removes_the_role(world):
    remove_designation(world.otto.designations.get(), by=Actor.of(world.ada), note="Moved on")
    world.otto.user.refresh_from_db()
    assert Role.LOCAL_EXPERT not in roles_of(world.otto.user)


class TestActingLocalExpert:
    def test_the_primary_acts_when_present(self, world):
        assert acting_local_expert(world.office) == world.pat

    def test_the_alternate_acts_while_the_primary_is_absent(self, world):
        AbsenceFactory(person=world.pat)
        assert acting_local_expert(world.office) == world.alex

    def test_the_primary_acts_again_when_the_absence_ends(self, world):
        absence = AbsenceFactory(person=world.pat)
        assert acting_local_expert(world.office, absence.ends_at) == world.pat
        assert (
            acting_local_expert(world.office, absence.ends_at - timedelta(seconds=1)) == world.alex
        )
        assert acting_local_expert(world.office, absence.starts_at) == world.alex
        assert (
            acting_local_expert(world.office, absence.starts_at - timedelta(seconds=1)) == world.pat
        )

    def test_nobody_acts_when_both_are_absent(self, world):
        AbsenceFactory(person=world.pat)
        AbsenceFactory(person=world.alex)
        assert acting_local_expert(world.office) is None

    def test_the_alternate_acts_when_the_primary_has_left(self, world):
        world.pat.active = False
        world.pat.save()
        assert acting_local_expert(world.office) == world.alex

    def test_the_alternate_acts_when_no_primary_is_designated(self, world):
        remove_designation(world.pat.designations.get(), by=Actor.of(world.ada))
        assert acting_local_expert(world.office) == world.alex

    def test_an_office_without_designations_has_nobody(self, db):
        assert acting_local_expert(OfficeFactory()) is None

    def test_coverage_of_many_offices_takes_two_queries(self, world, django_assert_num_queries):
        offices = [world.office, world.other_office, *OfficeFactory.create_batch(5)]
        with django_assert_num_queries(2):
            coverage = office_coverage(offices)
        assert coverage[world.office.pk].acting == world.pat
        assert coverage[world.other_office.pk].acting == world.otto

    @settings(max_examples=40, deadline=None)
    @given(
        starts=st.integers(min_value=-72, max_value=72),
        length=st.integers(min_value=1, max_value=96),
        probe=st.integers(min_value=-100, max_value=100),
    )
    def test_the_primary_acts_exactly_when_not_inside_an_absence(
        self, django_db_blocker, starts, length, probe
    ):
        """Whatever the absence and the moment, the primary acts iff the moment falls
        outside [starts_at, ends_at)."""
        with django_db_blocker.unblock(), transaction.atomic():
            office = OfficeFactory()
            primary = PersonFactory(office=office)
            alternate = PersonFactory(office=office)
            designate_local_expert(
                office, primary, DesignationRole.PRIMARY, by=Actor.system("test setup")
            )
            designate_local_expert(
                office, alternate, DesignationRole.ALTERNATE, by=Actor.system("test setup")
            )
            now = timezone.now()
            start = now + timedelta(hours=starts)
            end = start + timedelta(hours=length)
            record_absence(primary, starts_at=start, ends_at=end, by=Actor.system("test setup"))
            at = now + timedelta(hours=probe)
            expected = alternate if start <= at < end else primary
            assert acting_local_expert(office, at) == expected
            transaction.set_rollback(True)


def test_overlapping_absences_are_refused(world):
    absence = AbsenceFactory(person=world.pat)
    with pytest.raises(ValidationError, match="overlaps"):
        record_absence(
            world.pat,
            starts_at=absence.starts_at + timedelta(hours=1),
            ends_at=absence.ends_at + timedelta(days=1),
            by=Actor.of(world.pat.user),
        )


def test_a_local_expert_may_not_record_someone_elses_absence(world):
    with pytest.raises(PermissionDenied):
        record_absence(
            world.alex,
            starts_at=timezone.now(),
            ends_at=timezone.now() + timedelta(days=1),
            by=Actor.of(world.pat.user),
        )


def test_a_deactivated_login_holds_no_role(world):
    user = world.pat.user
    user.is_active = False
    assert roles_of(user) == frozenset()
    assert roles_of(UserFactory()) == frozenset()
