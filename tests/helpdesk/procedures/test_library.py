"""The library's rules: each edit a new version with who and when, archive and restore keep the
history, search reads the current version, and each role reads only its audiences."""

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind, ProcedureAudience, ProcedureVersion
from helpdesk.procedures import services as ps
from tests.factories import AgencyFactory, OfficeFactory, PersonFactory, UserFactory
from tests.helpdesk.procedures.factories import ProcedureFactory

pytestmark = pytest.mark.django_db


def _kinds(procedure) -> list[str]:
    return list(
        AuditEvent.objects.for_object(procedure).order_by("at", "id").values_list("kind", flat=True)
    )


def test_creating_writes_version_one_and_an_audit_event(world):
    procedure = ProcedureFactory(
        title="Requesting a RACF ID", body="Use the 4052.", by=Actor.of(world.hannah)
    )
    version = procedure.current_version
    assert (version.number, version.title, version.body) == (
        1,
        "Requesting a RACF ID",
        "Use the 4052.",
    )
    assert version.created_by == world.hannah
    assert _kinds(procedure) == [AuditKind.CREATED]


def test_every_edit_is_a_new_version_and_the_old_one_stays(world):
    procedure = ProcedureFactory(
        title="Old title", body="line one\nline two", by=Actor.of(world.hannah)
    )
    second = ps.edit_procedure(
        procedure,
        by=Actor.of(world.ada),
        title="New title",
        body="line one\nline 2",
        audience=ProcedureAudience.NEW_SITE_STAFF,
        change_note="Clearer step two.",
    )
    procedure.refresh_from_db()
    assert procedure.current_version == second
    assert (second.number, second.created_by, second.change_note) == (
        2,
        world.ada,
        "Clearer step two.",
    )
    assert procedure.audience == ProcedureAudience.NEW_SITE_STAFF
    first = ProcedureVersion.objects.get(procedure=procedure, number=1)
    assert (first.title, first.body) == ("Old title", "line one\nline two")
    event = AuditEvent.objects.for_object(procedure).get(kind=AuditKind.CHANGED)
    assert event.actor == world.ada
    assert event.changed_fields()["version"] == (1, 2)
    assert event.note == "Clearer step two."


def test_an_edit_that_changes_nothing_writes_no_version(world):
    procedure = ProcedureFactory(title="T", body="B")
    with pytest.raises(ValidationError):
        ps.edit_procedure(
            procedure,
            by=Actor.of(world.hannah),
            title="T",
            body="B",
            audience=ProcedureAudience.ALL,
            change_note="x",
        )
    assert procedure.versions.count() == 1


def test_the_diff_shows_removed_and_added_lines_as_data():
    procedure = ProcedureFactory(body="keep\n<b>old</b>\nkeep too")
    newer = ps.edit_procedure(
        procedure,
        by=Actor.system("test setup"),
        title=procedure.title,
        body="keep\n<script>new</script>\nkeep too",
        audience=ProcedureAudience.ALL,
        change_note="n",
    )
    diff = ps.version_diff(ps.previous_version(newer), newer)
    kinds = [(line.kind, line.text) for line in diff if line.kind != "hunk"]
    assert kinds == [
        ("context", "keep"),
        ("removed", "<b>old</b>"),
        ("added", "<script>new</script>"),
        ("context", "keep too"),
    ]
    first = ps.previous_version(newer)
    assert ps.previous_version(first) is None
    assert [line.kind for line in ps.version_diff(None, first) if line.kind != "hunk"] == [
        "added"
    ] * 3


def test_archiving_hides_it_from_readers_keeps_history_and_restoring_brings_it_back(world):
    procedure = ProcedureFactory()
    ps.edit_procedure(
        procedure,
        by=Actor.of(world.hannah),
        title="v2",
        body="v2",
        audience=ProcedureAudience.ALL,
        change_note="n",
    )
    ps.archive_procedure(procedure, by=Actor.of(world.hannah), reason="Replaced by the CMS portal.")
    procedure.refresh_from_db()
    assert procedure.archived
    assert procedure.archived_by == world.hannah
    assert procedure.archive_reason == "Replaced by the CMS portal."
    assert procedure.versions.count() == 2
    assert procedure not in ps.procedures_visible_to(world.alice.user)
    assert procedure in ps.procedures_visible_to(world.hannah)
    with pytest.raises(ValidationError):
        ps.archive_procedure(procedure, by=Actor.of(world.hannah), reason="again")
    ps.restore_procedure(procedure, by=Actor.of(world.ada))
    procedure.refresh_from_db()
    assert not procedure.archived
    assert procedure.archive_reason == ""
    assert procedure in ps.procedures_visible_to(world.alice.user)
    assert _kinds(procedure) == [
        AuditKind.CREATED,
        AuditKind.CHANGED,
        AuditKind.ARCHIVED,
        AuditKind.RESTORED,
    ]
    archived = AuditEvent.objects.for_object(procedure).get(kind=AuditKind.ARCHIVED)
    assert archived.note == "Replaced by the CMS portal."
    assert archived.actor == world.hannah


def test_archiving_needs_a_reason(world):
    procedure = ProcedureFactory()
    with pytest.raises(ValidationError):
        ps.archive_procedure(procedure, by=Actor.of(world.hannah), reason="  ")
    procedure.refresh_from_db()
    assert not procedure.archived


def test_search_reads_title_and_text_of_the_current_version_only():
    racf = ProcedureFactory(title="Requesting a RACF ID", body="Send the 4052 and 4055.")
    bluezone = ProcedureFactory(title="Using BlueZone", body="Open the WEB3270 session.", ccrr=True)
    ps.edit_procedure(
        bluezone,
        by=Actor.system("test setup"),
        title="Using BlueZone",
        body="Open the session.",
        audience=ProcedureAudience.NEW_CCRR_STAFF,
        change_note="n",
    )
    everything = ps.procedures_visible_to(UserFactory(roles=["help_desk"]))
    assert list(ps.search(everything, text="racf")) == [racf]
    assert list(ps.search(everything, text="4055")) == [racf]
    assert list(ps.search(everything, text="web3270")) == []  # only in the old version
    assert list(ps.search(everything, text="session")) == [bluezone]
    assert list(ps.search(everything, audience=ProcedureAudience.NEW_CCRR_STAFF)) == [bluezone]
    assert list(ps.search(everything, text="racf", audience=ProcedureAudience.NEW_CCRR_STAFF)) == []


@pytest.fixture
def library():
    return {
        audience: ProcedureFactory(title=f"For {audience}", audience=audience)
        for audience in ProcedureAudience.values
    }


def _audiences(user) -> set[str]:
    return {p.audience for p in ps.procedures_visible_to(user)}


def test_each_role_reads_its_own_audiences(world, library):
    site_person = PersonFactory(
        office=OfficeFactory(agency=AgencyFactory(site=True)),
        user=UserFactory(roles=["agency_user"]),
    )
    site_expert = PersonFactory(office=site_person.office, user=UserFactory(roles=["local_expert"]))
    assert _audiences(world.alice.user) == {ProcedureAudience.NEW_CCRR_STAFF, ProcedureAudience.ALL}
    assert _audiences(site_person.user) == {ProcedureAudience.NEW_SITE_STAFF, ProcedureAudience.ALL}
    assert _audiences(world.pat.user) == {
        ProcedureAudience.LOCAL_EXPERTS,
        ProcedureAudience.NEW_CCRR_STAFF,
        ProcedureAudience.ALL,
    }
    assert _audiences(site_expert.user) == {
        ProcedureAudience.LOCAL_EXPERTS,
        ProcedureAudience.NEW_SITE_STAFF,
        ProcedureAudience.ALL,
    }
    assert _audiences(world.mike) == {ProcedureAudience.ALL}
    assert _audiences(world.hannah) == set(ProcedureAudience.values)
    assert _audiences(world.ada) == set(ProcedureAudience.values)
    assert _audiences(UserFactory()) == set()  # a login without a role


def test_a_procedure_a_user_may_not_read_is_not_found(world, library):
    with pytest.raises(Http404):
        ps.get_procedure_for_user(world.alice.user, library[ProcedureAudience.LOCAL_EXPERTS].pk)
    assert ps.get_procedure_for_user(world.pat.user, library[ProcedureAudience.LOCAL_EXPERTS].pk)


def test_an_archived_procedure_is_restored_before_it_is_edited(world):
    procedure = ProcedureFactory()
    ps.archive_procedure(procedure, by=Actor.of(world.hannah), reason="Obsolete")
    with pytest.raises(ValidationError, match="restore it"):
        ps.edit_procedure(
            procedure,
            by=Actor.of(world.hannah),
            title="x",
            body="y",
            audience=ProcedureAudience.ALL,
            change_note="z",
        )
    assert procedure.versions.count() == 1
