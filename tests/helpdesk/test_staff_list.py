"""The agency's staff list (issue 18): a local expert adds and edits the people of their own
office (never another's), each change audited and listed for the help desk, which may undo it;
designation changes are asked for by the agency and approved or declined by the help desk,
the requester emailed."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from access.models import Account, AccountState, TargetSystem
from helpdesk.actor import Actor
from helpdesk.directory import staff
from helpdesk.directory.roles import forget_roles
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    DesignationRequest,
    DesignationRequestState,
    DesignationRole,
    LocalExpertDesignation,
    OutboundEmail,
    Person,
    PersonEmail,
    StaffChange,
    StaffChangeKind,
)
from tests.factories import OfficeFactory, PersonFactory

pytestmark = pytest.mark.django_db

NEW = {
    "first_name": "Dana",
    "last_name": "Newcomer",
    "email": "Dana.Newcomer@example.org",
    "phone": "(815) 555-0142",
    "job_title": "Caseworker",
}


def _add(world, **values):
    return staff.add_person_to_office(
        world.office, by=Actor.of(world.pat.user), **{**NEW, **values}
    )


def _audit(person, kind):
    return AuditEvent.objects.for_object(person).filter(kind=kind)


@pytest.fixture
def sister_office(world):
    """Another office of Pat's own agency, with someone in it: still not Pat's office."""
    office = OfficeFactory(agency=world.office.agency, name="Belvidere office")
    return office, PersonFactory(office=office, first_name="Sam", last_name="Sister")


# --- Adding and editing --------------------------------------------------------------------------


def test_a_local_expert_adds_a_person_to_their_office_audited_and_listed_for_review(world):
    person = _add(world)

    assert (person.office, person.full_name, person.primary_email) == (
        world.office,
        "Dana Newcomer",
        "dana.newcomer@example.org",
    )
    [created] = _audit(person, AuditKind.CREATED)
    assert created.actor == world.pat.user
    [change] = StaffChange.objects.all()
    assert (change.kind, change.person, change.office, change.made_by) == (
        StaffChangeKind.ADDED,
        person,
        world.office,
        world.pat.user,
    )
    assert change.after == {**NEW, "email": "dana.newcomer@example.org"}
    assert change.before is None


def test_an_address_that_belongs_to_someone_is_refused_next_to_the_field(world):
    with pytest.raises(ValidationError) as refused:
        _add(world, email="ALICE@example.org")
    assert "email" in refused.value.error_dict
    assert not StaffChange.objects.exists()


def test_an_edit_is_audited_with_before_and_after_and_keeps_the_old_address(world):
    person = _add(world)
    staff.update_person(
        person,
        by=Actor.of(world.alex.user),
        last_name="Married",
        email="dana.married@example.org",
        job_title="Office manager",
    )

    person.refresh_from_db()
    assert (person.last_name, person.primary_email, person.job_title) == (
        "Married",
        "dana.married@example.org",
        "Office manager",
    )
    # Mail from her old address is still hers.
    assert set(person.emails.values_list("address", "primary")) == {
        ("dana.married@example.org", True),
        ("dana.newcomer@example.org", False),
    }
    [changed] = _audit(person, AuditKind.CHANGED)
    assert changed.actor == world.alex.user
    assert changed.before["last_name"] == "Newcomer"
    assert changed.after["last_name"] == "Married"
    assert changed.after["email"] == "dana.married@example.org"
    edit = StaffChange.objects.get(kind=StaffChangeKind.EDITED)
    assert (edit.before["job_title"], edit.after["job_title"]) == ("Caseworker", "Office manager")


def test_an_edit_that_changes_nothing_records_nothing(world):
    person = _add(world)
    staff.update_person(person, by=Actor.of(world.pat.user), first_name=" Dana ")
    assert not _audit(person, AuditKind.CHANGED).exists()
    assert StaffChange.objects.count() == 1


def test_no_reach_into_another_office_even_of_the_same_agency(world, sister_office):
    office, sam = sister_office
    pat = Actor.of(world.pat.user)
    with pytest.raises(PermissionDenied):
        staff.add_person_to_office(office, by=pat, first_name="X", last_name="Y")
    with pytest.raises(PermissionDenied):
        staff.update_person(sam, by=pat, first_name="Samuel")
    with pytest.raises(PermissionDenied):
        staff.update_person(world.otto, by=pat, first_name="Ottokar")
    sam.refresh_from_db()
    assert sam.first_name == "Sam"
    assert not StaffChange.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "hannah", "mike"])
def test_only_the_offices_local_experts_change_its_staff_list(world, persona):
    someone = getattr(world, persona)
    by = Actor.of(getattr(someone, "user", someone))
    with pytest.raises(PermissionDenied):
        staff.add_person_to_office(world.office, by=by, first_name="X", last_name="Y")
    with pytest.raises(PermissionDenied):
        staff.update_person(world.alice, by=by, first_name="Alicia")


def test_someone_who_left_is_not_edited_on_the_staff_list(world):
    gone = PersonFactory(office=world.office, left=True)
    with pytest.raises(ValidationError):
        staff.update_person(gone, by=Actor.of(world.pat.user), first_name="Back")


# --- The help desk's review and undo --------------------------------------------------------------


def test_the_help_desk_undoes_an_edit_audited(world):
    person = _add(world)
    staff.update_person(person, by=Actor.of(world.pat.user), phone="815-555-0199", last_name="X")
    edit = StaffChange.objects.get(kind=StaffChangeKind.EDITED)

    staff.undo_staff_change(edit, by=Actor.of(world.hannah), reason="Typed in the wrong row.")

    person.refresh_from_db()
    assert (person.last_name, person.phone) == ("Newcomer", "(815) 555-0142")
    edit.refresh_from_db()
    assert (edit.undone_by, edit.undo_reason) == (world.hannah, "Typed in the wrong row.")
    [undone] = _audit(person, AuditKind.STAFF_CHANGE_UNDONE)
    assert undone.actor == world.hannah
    assert (undone.before["last_name"], undone.after["last_name"]) == ("X", "Newcomer")
    assert "Typed in the wrong row." in undone.note
    assert staff.undo_refusal(edit) == "Already undone."
    with pytest.raises(ValidationError):
        staff.undo_staff_change(edit, by=Actor.of(world.hannah), reason="Again")


def test_an_edit_changed_again_since_is_not_undone_and_says_why(world):
    person = _add(world)
    staff.update_person(person, by=Actor.of(world.pat.user), last_name="First")
    staff.update_person(person, by=Actor.of(world.pat.user), last_name="Second")
    older = StaffChange.objects.filter(kind=StaffChangeKind.EDITED).order_by("pk").first()
    assert staff.undo_refusal(older) == "Changed again since: undo the later change first."
    with pytest.raises(ValidationError):
        staff.undo_staff_change(older, by=Actor.of(world.hannah), reason="Mistake")
    person.refresh_from_db()
    assert person.last_name == "Second"


def test_a_person_added_by_mistake_with_no_records_is_removed(world):
    person = _add(world)
    added = StaffChange.objects.get()
    staff.undo_staff_change(added, by=Actor.of(world.hannah), reason="Added twice.")

    assert not Person.objects.filter(pk=person.pk).exists()
    assert not PersonEmail.objects.filter(address="dana.newcomer@example.org").exists()
    added.refresh_from_db()
    assert (added.person, added.person_label, added.undone_by) == (
        None,
        "Dana Newcomer",
        world.hannah,
    )
    undone = AuditEvent.objects.get(kind=AuditKind.STAFF_CHANGE_UNDONE)
    assert undone.target_id == str(person.pk)
    assert undone.before["email"] == "dana.newcomer@example.org"


def test_a_person_with_records_is_not_removed_and_the_refusal_says_which(world):
    person = _add(world)
    Account.objects.create(
        person=person,
        credential_group=TargetSystem.objects.get(code="ccts").credential_group,
        identifier="DHSDN01",
        state=AccountState.ACTIVE,
    )
    added = StaffChange.objects.get()
    assert staff.undo_refusal(added) == "They already have records: accounts."
    with pytest.raises(ValidationError):
        staff.undo_staff_change(added, by=Actor.of(world.hannah), reason="Mistake")
    assert Person.objects.filter(pk=person.pk).exists()
    assert not AuditEvent.objects.filter(kind=AuditKind.STAFF_CHANGE_UNDONE).exists()


def test_only_the_help_desk_undoes_and_says_why(world):
    _add(world)
    added = StaffChange.objects.get()
    with pytest.raises(PermissionDenied):
        staff.undo_staff_change(added, by=Actor.of(world.pat.user), reason="Mine")
    with pytest.raises(ValidationError):
        staff.undo_staff_change(added, by=Actor.of(world.hannah), reason=" ")


# --- Designation change requests ---------------------------------------------------------------


def _ask(world, person=None, role=DesignationRole.ALTERNATE, **kwargs):
    return staff.request_designation_change(
        world.office,
        person or world.alice,
        role,
        by=Actor.of(kwargs.pop("by", world.pat.user)),
        reason=kwargs.pop("reason", "Alex moves to the Belvidere office."),
        effective_on=timezone.localdate(),
    )


def test_an_approved_designation_change_replaces_the_alternate_dated_and_emailed(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    asked = _ask(world)
    assert AuditEvent.objects.for_object(asked).filter(kind=AuditKind.DESIGNATION_REQUESTED)
    assert asked.state == DesignationRequestState.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        staff.approve_designation_request(asked, by=Actor.of(world.hannah), note="Confirmed.")

    alternate = LocalExpertDesignation.objects.get(office=world.office, role="alternate")
    assert alternate.person == world.alice
    assert alternate.designated_at >= asked.requested_at
    assert not LocalExpertDesignation.objects.filter(person=world.alex).exists()
    asked.refresh_from_db()
    assert (asked.state, asked.decided_by, asked.decision_note) == (
        DesignationRequestState.APPROVED,
        world.hannah,
        "Confirmed.",
    )
    assert asked.decided_at is not None
    [approved] = AuditEvent.objects.for_object(asked).filter(kind=AuditKind.DESIGNATION_APPROVED)
    assert (approved.before["state"], approved.after["state"]) == ("pending", "approved")
    designated = AuditEvent.objects.for_object(alternate).get(kind=AuditKind.DESIGNATED)
    assert f"request #{asked.pk}" in designated.note
    # Alice now holds the role that lets her act as local expert.
    assert world.alice.user.groups.filter(name="local_expert").exists()
    [email] = [m for m in mailoutbox if "Designation change approved" in m.subject]
    assert email.to == ["pat@example.org"]
    assert "Alice Agency" in email.body
    assert "Confirmed." in email.body
    assert OutboundEmail.objects.filter(kind="designation_decision").count() == 1


def test_a_declined_request_changes_nothing_and_the_requester_hears_why(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    asked = _ask(world)
    with pytest.raises(ValidationError):
        staff.decline_designation_request(asked, by=Actor.of(world.hannah), reason="")
    with django_capture_on_commit_callbacks(execute=True):
        staff.decline_designation_request(
            asked, by=Actor.of(world.hannah), reason="Alice needs her 4052 on file first."
        )
    assert LocalExpertDesignation.objects.get(office=world.office, role="alternate").person == (
        world.alex
    )
    asked.refresh_from_db()
    assert asked.state == DesignationRequestState.DECLINED
    assert AuditEvent.objects.for_object(asked).filter(kind=AuditKind.DESIGNATION_DECLINED)
    [email] = [m for m in mailoutbox if "Designation change declined" in m.subject]
    assert "Alice needs her 4052 on file first." in email.body
    # A decided request is decided once.
    with pytest.raises(ValidationError):
        staff.approve_designation_request(asked, by=Actor.of(world.hannah))


def test_designation_requests_are_the_offices_experts_and_decided_by_the_help_desk(world):
    with pytest.raises(PermissionDenied):
        _ask(world, by=world.otto.user)
    with pytest.raises(PermissionDenied):
        _ask(world, by=world.alice.user)
    with pytest.raises(ValidationError) as refused:
        _ask(world, person=world.otto)  # another agency's person
    assert "person" in refused.value.error_dict
    asked = _ask(world)
    with pytest.raises(ValidationError):
        _ask(world)  # one pending change per role and office
    for who in (world.pat.user, world.mike):
        with pytest.raises(PermissionDenied):
            staff.approve_designation_request(asked, by=Actor.of(who))
    assert DesignationRequest.objects.get().state == DesignationRequestState.PENDING


# --- The pages ---------------------------------------------------------------------------------


def _post_person(client, url, **values):
    return client.post(url, {**NEW, **values})


def test_the_add_page_adds_and_returns_to_the_staff_list(client, world):
    client.force_login(world.pat.user)
    response = _post_person(client, reverse("staff_person_new", args=[world.office.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff_list_office", args=[world.office.pk])
    assert Person.objects.filter(last_name="Newcomer", office=world.office).exists()


def test_an_add_with_a_problem_is_shown_again_with_everything_typed(client, world):
    client.force_login(world.pat.user)
    response = _post_person(
        client, reverse("staff_person_new", args=[world.office.pk]), phone="12", last_name=""
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a phone number with its area code" in page
    assert 'value="Dana.Newcomer@example.org"' in page
    assert 'value="Dana"' in page
    assert not Person.objects.filter(first_name="Dana").exists()
    # The service's refusal too: an address already someone's, next to the field.
    response = _post_person(
        client, reverse("staff_person_new", args=[world.office.pk]), email="alex@example.org"
    )
    assert response.status_code == 400
    assert "This address already belongs to someone." in response.content.decode()


def test_the_edit_page_saves(client, world):
    client.force_login(world.pat.user)
    url = reverse("staff_person_edit", args=[world.alice.pk])
    page = client.get(url).content.decode()
    assert 'value="alice@example.org"' in page
    response = client.post(
        url,
        {
            "first_name": "Alice",
            "last_name": "Agency",
            "email": "alice@example.org",
            "phone": "",
            "job_title": "Intake",
        },
    )
    assert response.status_code == 302
    world.alice.refresh_from_db()
    assert world.alice.job_title == "Intake"


def test_pages_of_another_office_are_not_found(client, world, sister_office):
    office, sam = sister_office
    client.force_login(world.pat.user)
    for url in (
        reverse("staff_person_new", args=[office.pk]),
        reverse("staff_person_edit", args=[sam.pk]),
        reverse("staff_person_edit", args=[world.otto.pk]),
        reverse("designation_request_new", args=[world.other_office.pk]),
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url, {**NEW}).status_code == 404, url
    assert not StaffChange.objects.exists()


@pytest.mark.parametrize("persona", ["alice", "mike", "hannah"])
def test_people_who_are_not_local_experts_cannot_use_the_staff_pages(client, world, persona):
    someone = getattr(world, persona)
    client.force_login(getattr(someone, "user", someone))
    for url in (
        reverse("staff_person_new", args=[world.office.pk]),
        reverse("staff_person_edit", args=[world.alice.pk]),
        reverse("designation_request_new", args=[world.office.pk]),
    ):
        assert client.get(url).status_code == 403, url


@pytest.mark.parametrize("persona", ["pat", "alice", "mike"])
def test_the_review_pages_are_the_help_desks(client, world, persona):
    someone = getattr(world, persona)
    client.force_login(getattr(someone, "user", someone))
    assert client.get(reverse("staff_changes")).status_code == 403
    assert client.get(reverse("designation_requests")).status_code == 403


def test_the_review_page_lists_changes_newest_first_filtered_and_undoes(client, world):
    first = _add(world)
    other = OfficeFactory(agency=world.office.agency)
    LocalExpertDesignation.objects.create(office=other, person=world.pat, role="alternate")
    forget_roles(world.pat.user)  # her offices were read (and cached) by the first add
    staff.add_person_to_office(other, by=Actor.of(world.pat.user), first_name="Zed", last_name="Z")
    client.force_login(world.hannah)

    page = client.get(reverse("staff_changes")).content.decode()
    assert page.index("Zed Z") < page.index("Dana Newcomer")  # newest first
    narrowed = client.get(reverse("staff_changes"), {"office": world.office.pk}).content.decode()
    assert "Dana Newcomer" in narrowed
    assert "Zed Z" not in narrowed

    change = StaffChange.objects.get(person=first)
    url = reverse("staff_change_undo", args=[change.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400
    assert "This field is required." in refused.content.decode()
    assert client.post(url, {"reason": "Added twice."}).status_code == 302
    assert not Person.objects.filter(pk=first.pk).exists()
    page = client.get(reverse("staff_changes")).content.decode()
    assert "Added twice." in page


def test_the_designation_pages_request_and_approve(client, world):
    client.force_login(world.pat.user)
    url = reverse("designation_request_new", args=[world.office.pk])
    data = {
        "person": world.alice.pk,
        "role": "alternate",
        "effective_on": (timezone.localdate() + timedelta(days=1)).isoformat(),
        "reason": "",
    }
    refused = client.post(url, data)
    assert refused.status_code == 400  # the reason is required; the rest is kept
    assert f'<option value="{world.alice.pk}" selected>' in refused.content.decode()
    assert client.post(url, {**data, "reason": "Alex moves."}).status_code == 302
    asked = DesignationRequest.objects.get()

    client.force_login(world.hannah)
    page = client.get(reverse("designation_requests")).content.decode()
    assert "Alex moves." in page
    decline = reverse("designation_request_decide", args=[asked.pk, "decline"])
    assert client.post(decline, {"reason": ""}).status_code == 400
    approve = reverse("designation_request_decide", args=[asked.pk, "approve"])
    assert client.post(approve, {"note": ""}).status_code == 302
    assert LocalExpertDesignation.objects.get(office=world.office, role="alternate").person == (
        world.alice
    )
    # Decided already (another tab): said, not done twice.
    again = client.post(decline, {"reason": "No"}, follow=True)
    assert "This request was already approved." in again.content.decode()


def test_designation_requests_are_in_their_agencys_audit_export(world):
    from helpdesk.audit_export import ExportFilter, matching_events

    asked = _ask(world)
    mine = matching_events(ExportFilter(agency=world.office.agency))
    assert mine.filter(kind=AuditKind.DESIGNATION_REQUESTED, target_id=str(asked.pk)).exists()
    others = matching_events(ExportFilter(agency=world.other_office.agency))
    assert not others.filter(kind=AuditKind.DESIGNATION_REQUESTED).exists()


def test_a_departure_the_agency_reports_is_listed_for_the_help_desk_not_undone_there(world):
    from helpdesk.directory.services import deactivate_person

    deactivate_person(
        world.alice, by=Actor.of(world.pat.user), reason="Left", left_on=timezone.localdate()
    )
    [left] = StaffChange.objects.all()
    assert (left.kind, left.person, left.office, left.made_by) == (
        StaffChangeKind.LEFT,
        world.alice,
        world.office,
        world.pat.user,
    )
    assert left.after["left_on"] == timezone.localdate().isoformat()
    assert staff.undo_refusal(left).startswith("A departure is undone by reactivating")
    with pytest.raises(ValidationError):
        staff.undo_staff_change(left, by=Actor.of(world.hannah), reason="Mistake")
    # The help desk's own deactivations are not the agency's staff list changes.
    deactivate_person(world.alex, by=Actor.of(world.hannah), reason="Left")
    assert StaffChange.objects.count() == 1
