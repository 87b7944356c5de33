"""Onboarding: newcomers get the procedures for their audience, one email each, after commit,
in batches; a retried batch sends nothing twice; acknowledging by the emailed link (GET shows,
POST acknowledges) or signed in; a changed procedure re-sent asks again."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from helpdesk.actor import Actor
from helpdesk.directory.services import add_person, designate_local_expert
from helpdesk.lib import background
from helpdesk.models import (
    AcknowledgedHow,
    AcknowledgementLink,
    AuditEvent,
    AuditKind,
    DesignationRole,
    OutboundEmail,
    Person,
    ProcedureAcknowledgement,
    ProcedureAudience,
)
from helpdesk.procedures import onboarding
from helpdesk.procedures import services as ps
from tests.factories import AgencyFactory, OfficeFactory, PersonFactory
from tests.helpdesk.procedures.factories import ProcedureFactory
from tests.outgoing_mail import assert_ours

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/procedures/acknowledge/#(?P<token>[\w-]+)")


@pytest.fixture
def library():
    return {
        audience: ProcedureFactory(title=f"For {audience}", audience=audience)
        for audience in ProcedureAudience.values
    }


@pytest.fixture
def tasks(monkeypatch):
    """The django-q2 tasks queued (they still run: the cluster is sync in tests)."""
    queued = []
    real = background.async_task

    def recording(task, *args, **kwargs):
        queued.append((task, args, kwargs))
        return real(task, *args, **kwargs)

    monkeypatch.setattr(background, "async_task", recording)
    return queued


def _token(message) -> str:
    found = LINK.search(message.body)
    assert found is not None, "the email carries its acknowledgement link"
    return found["token"]


def _titles_in(message) -> set[str]:
    return set(re.findall(r"^- (.+)$", message.body, re.M))


def _assert_one_recipient_each(mailoutbox) -> None:
    for message in mailoutbox:
        assert len(message.to) == 1
        assert not message.cc
        assert not message.bcc


def test_a_new_ccrr_staff_member_gets_the_ccrr_and_everyone_procedures(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        newcomer = add_person(
            world.office,
            by=Actor.of(world.ada),
            first_name="Nina",
            last_name="New",
            email="nina.new@example.org",
        )
    [message] = mailoutbox
    assert message.to == ["nina.new@example.org"]
    _assert_one_recipient_each(mailoutbox)
    assert_ours(message)
    assert _titles_in(message) == {"For new_ccrr_staff", "For all"}
    rows = ProcedureAcknowledgement.objects.filter(person=newcomer)
    assert {r.version.procedure.audience for r in rows} == {
        ProcedureAudience.NEW_CCRR_STAFF,
        ProcedureAudience.ALL,
    }
    assert all(r.sent_at and r.link_id and r.acknowledged_at is None for r in rows)
    assert str(library[ProcedureAudience.ALL].pk) in message.body  # the link to the procedure page


def test_a_new_site_staff_member_gets_the_site_procedures(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    office = OfficeFactory(agency=AgencyFactory(site=True))
    with django_capture_on_commit_callbacks(execute=True):
        add_person(
            office, by=Actor.of(world.ada), first_name="Sam", last_name="Site", email="s@x.org"
        )
    [message] = mailoutbox
    assert _titles_in(message) == {"For new_site_staff", "For all"}


def test_a_new_designation_sends_the_local_expert_procedures_only(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    office = OfficeFactory(agency=world.office.agency)
    person = PersonFactory(office=office, email="lee@example.org")  # never committed: no packet
    with django_capture_on_commit_callbacks(execute=True):
        designate_local_expert(office, person, DesignationRole.PRIMARY, by=Actor.of(world.ada))
    [message] = mailoutbox
    assert message.to == ["lee@example.org"]
    assert _titles_in(message) == {"For local_experts"}


def test_nothing_is_queued_when_no_procedure_is_for_them(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    ProcedureFactory(site=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ada = Actor.of(world.ada)
        add_person(world.office, by=ada, first_name="C", last_name="Crr", email="c@x.org")
        state_unit = OfficeFactory(agency=AgencyFactory(state_unit=True))
        add_person(state_unit, by=ada, first_name="S", last_name="State", email="s@x.org")
    assert callbacks == []
    assert mailoutbox == []
    assert not ProcedureAcknowledgement.objects.exists()


def test_someone_without_an_email_address_is_not_sent_anything(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        person = add_person(world.office, by=Actor.of(world.ada), first_name="No", last_name="Mail")
    assert mailoutbox == []
    assert not ProcedureAcknowledgement.objects.filter(person=person).exists()


def test_loading_fixtures_sends_nothing(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    data = serializers.serialize("json", [world.alice])
    Person.objects.filter(pk=world.alice.pk).delete()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        for obj in serializers.deserialize("json", data):
            obj.save()  # a raw save, as loaddata does
    assert Person.objects.filter(pk=world.alice.pk).exists()
    assert callbacks == []
    assert mailoutbox == []


def test_the_office_welcome_packet_goes_to_everyone_not_yet_sent_it_once(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        count = onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah))
    assert count == 3  # Alice, Pat and Alex
    _assert_one_recipient_each(mailoutbox)
    by_address = {m.to[0]: _titles_in(m) for m in mailoutbox}
    assert by_address["alice@example.org"] == {"For new_ccrr_staff", "For all"}
    assert by_address["pat@example.org"] == {"For new_ccrr_staff", "For all", "For local_experts"}
    assert "otto@example.org" not in by_address  # another office
    event = AuditEvent.objects.get(kind=AuditKind.PROCEDURES_SENT)
    assert event.actor == world.hannah
    assert event.after["people"] == 3
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert (
            onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah)) == 0
        )
    assert mailoutbox == []


def test_people_are_emailed_in_batches_one_message_each(
    world, library, mailoutbox, tasks, settings, django_capture_on_commit_callbacks
):
    settings.BULK_EMAIL_BATCH_SIZE = 2
    for n in range(2):
        PersonFactory(office=world.office, email=f"extra{n}@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        count = onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah))
    assert count == 5
    batches = [args for task, args, _ in tasks if task == onboarding.SEND_TASK]
    assert sorted(len(args[0]) for args in batches) == [1, 2, 2]
    # Each batch queued one message per person, each sent by a task of its own.
    assert [task for task, _, _ in tasks].count("helpdesk.emails.deliver") == 5
    assert len(mailoutbox) == 5
    assert len({m.to[0] for m in mailoutbox}) == 5
    _assert_one_recipient_each(mailoutbox)


def test_nothing_is_queued_before_the_transaction_commits(world, library, mailoutbox, tasks):
    onboarding.send_welcome_packet_to_office(
        world.office, by=Actor.of(world.hannah)
    )  # never committed
    assert tasks == []
    assert mailoutbox == []


def test_a_retried_batch_sends_nothing_twice(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah))
    sent = len(mailoutbox)
    people = [world.alice.pk, world.pat.pk, world.alex.pk]
    versions = list(ProcedureAcknowledgement.objects.values_list("version_id", flat=True))
    assert onboarding.send_packet_batch(people, kind=onboarding.WELCOME, version_ids=versions) == 0
    # A crash after Alice's email left but before her rows were marked sent:
    ProcedureAcknowledgement.objects.filter(person=world.alice).update(sent_at=None)
    assert onboarding.send_packet_batch(people, kind=onboarding.WELCOME, version_ids=versions) == 0
    assert len(mailoutbox) == sent
    assert not ProcedureAcknowledgement.objects.filter(sent_at=None).exists()


def _welcome_alice(world, capture) -> None:
    with capture(execute=True):
        onboarding.send_packets([world.alice.pk], kind=onboarding.WELCOME)


def test_the_link_token_is_stored_only_as_its_hash(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    _welcome_alice(world, django_capture_on_commit_callbacks)
    token = _token(mailoutbox[0])
    link = AcknowledgementLink.objects.get()
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not AcknowledgementLink.objects.filter(token_hash__contains=token).exists()
    # Nor in the outgoing mail's record: it keeps a marker, the token was made as it left.
    [sent] = OutboundEmail.objects.filter(kind=onboarding.WELCOME)
    assert token not in sent.body
    assert token not in str(sent.secrets)
    assert "[[" not in mailoutbox[0].body


def test_a_marker_typed_into_a_procedure_title_is_never_filled_with_a_secret(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    """Only the markers the row was queued with are replaced: a title cannot ask for a link."""
    ps.edit_procedure(
        library[ProcedureAudience.ALL],
        by=Actor.of(world.hannah),
        title="[[0123456789abcdef0123456789abcdef]] procedure",
        body="Read this.",
        audience=ProcedureAudience.ALL,
        change_note="A title with brackets.",
    )
    _welcome_alice(world, django_capture_on_commit_callbacks)
    assert "[[0123456789abcdef0123456789abcdef]] procedure" in mailoutbox[0].body


def _open_link(client, token: str):
    """What the page's script does with the code after "#" (or a reader pasting it)."""
    return client.post(reverse("procedure_acknowledge_link"), {"code": token}, follow=True)


def test_the_link_page_shows_on_get_and_acknowledges_on_post_once(
    client, world, library, mailoutbox, django_capture_on_commit_callbacks
):
    _welcome_alice(world, django_capture_on_commit_callbacks)
    response = _open_link(client, _token(mailoutbox[0]))  # a mail scanner, or Alice reading
    assert response.status_code == 200
    assert b"For new_ccrr_staff" in response.content
    assert b"I have read these" in response.content
    assert response["Referrer-Policy"] == "same-origin"  # never sent to linked sites
    assert not ProcedureAcknowledgement.objects.exclude(acknowledged_at=None).exists()

    url = reverse("procedure_acknowledge_link")
    response = client.post(url)
    assert response.status_code == 200
    assert b"2 acknowledgements recorded" in response.content
    rows = ProcedureAcknowledgement.objects.filter(person=world.alice)
    assert all(r.acknowledged_at and r.how == AcknowledgedHow.LINK for r in rows)
    assert AuditEvent.objects.filter(kind=AuditKind.PROCEDURE_ACKNOWLEDGED).count() == 2

    again = _open_link(client, _token(mailoutbox[0]))
    assert again.status_code == 404
    assert b"already acknowledged with this link" in again.content


def test_a_bad_or_expired_link_says_so_and_records_nothing(
    client, world, library, mailoutbox, django_capture_on_commit_callbacks
):
    response = _open_link(client, "not-a-real-token")
    assert response.status_code == 404
    assert b"This link is not valid" in response.content
    _welcome_alice(world, django_capture_on_commit_callbacks)
    assert _open_link(client, _token(mailoutbox[0])).status_code == 200
    AcknowledgementLink.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(reverse("procedure_acknowledge_link"))
    assert response.status_code == 404
    assert b"This link has expired" in response.content
    assert not ProcedureAcknowledgement.objects.exclude(acknowledged_at=None).exists()


def test_finding_acknowledgement_tokens_appear_in_the_access_log(
    client, world, library, mailoutbox, django_capture_on_commit_callbacks
):
    """The mailed link keeps its token after "#", which no browser sends: no request line
    (what daphne, runserver and nginx log) ever holds it, nor does the session."""
    _welcome_alice(world, django_capture_on_commit_callbacks)
    token = _token(mailoutbox[0])
    link = LINK.search(mailoutbox[0].body)[0]
    assert link.endswith(f"/procedures/acknowledge/#{token}")
    page = client.get(link.split("#")[0])  # all the browser sends
    assert b'name="code"' in page.content  # the script fills it in; a reader can paste it
    assert b"js/acknowledge.js" in page.content
    opened = _open_link(client, token)
    assert [url for url, _status in opened.redirect_chain] == [
        reverse("procedure_acknowledge_link")
    ]
    assert token not in str(dict(client.session.items()))
    assert b"I have read these" in opened.content


def test_links_mailed_with_the_token_in_the_path_still_work(
    client, world, library, mailoutbox, django_capture_on_commit_callbacks
):
    _welcome_alice(world, django_capture_on_commit_callbacks)
    old_style = f"/procedures/acknowledge/{_token(mailoutbox[0])}/"
    response = client.get(old_style)
    assert response.status_code == 302
    assert response["Location"] == reverse("procedure_acknowledge_link")  # the token is dropped
    assert b"I have read these" in client.get(response["Location"]).content
    assert client.get("/procedures/acknowledge/not-a-real-token/").status_code == 404


def test_token_links_are_limited_per_client_address(client, world, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "token_links_per_address": "3/h"}
    for n in range(3):
        assert _open_link(client, f"guess-{n}").status_code == 404
    assert client.post(reverse("procedure_acknowledge_link"), {"code": "x"}).status_code == 429
    assert client.get("/procedures/acknowledge/guess/").status_code == 429


def test_a_signed_in_reader_acknowledges_the_current_version(client, world, library):
    procedure = library[ProcedureAudience.ALL]
    client.force_login(world.alice.user)
    client.post(reverse("procedure_acknowledge", args=[procedure.pk]))
    row = ProcedureAcknowledgement.objects.get(person=world.alice)
    assert (row.version, row.how) == (procedure.current_version, AcknowledgedHow.WEB)
    assert row.acknowledged_at is not None
    response = client.post(reverse("procedure_acknowledge", args=[procedure.pk]), follow=True)
    assert "already acknowledged" in response.content.decode()
    assert ProcedureAcknowledgement.objects.count() == 1


def test_a_changed_procedure_is_resent_and_asked_again(
    world, library, mailoutbox, django_capture_on_commit_callbacks
):
    procedure = library[ProcedureAudience.NEW_CCRR_STAFF]
    with django_capture_on_commit_callbacks(execute=True):
        onboarding.send_welcome_packet_to_office(world.office, by=Actor.of(world.hannah))
    ProcedureAcknowledgement.objects.update(acknowledged_at=timezone.now(), how="web")
    mailoutbox.clear()
    new = ps.edit_procedure(
        procedure,
        by=Actor.of(world.hannah),
        title="For ccrr, v2",
        body="New step.",
        audience=ProcedureAudience.NEW_CCRR_STAFF,
        change_note="New step.",
    )
    with django_capture_on_commit_callbacks(execute=True):
        count = onboarding.resend_procedure(procedure, by=Actor.of(world.hannah))
    # Everyone at a CCR&R: Alice, Pat, Alex, and Otto's agency is a CCR&R too.
    assert count == 4
    assert {m.to[0] for m in mailoutbox} == {
        "alice@example.org",
        "pat@example.org",
        "alex@example.org",
        "otto@example.org",
    }
    assert all(_titles_in(m) == {"For ccrr, v2"} for m in mailoutbox)
    assert mailoutbox[0].subject == "CCAP procedure updated: please read and acknowledge"
    outstanding = ProcedureAcknowledgement.objects.filter(version=new, acknowledged_at=None)
    assert outstanding.count() == 4
    # The old version's acknowledgements are kept: Alice 2, Pat and Alex 3 each.
    assert (
        ProcedureAcknowledgement.objects.exclude(acknowledged_at=None)
        .filter(version__number=1)
        .count()
        == 8
    )


def test_an_archived_procedure_is_not_resent(world, library):
    procedure = library[ProcedureAudience.ALL]
    ps.archive_procedure(procedure, by=Actor.of(world.hannah), reason="Obsolete")
    procedure.refresh_from_db()
    with pytest.raises(ValidationError, match="archived"):
        onboarding.resend_procedure(procedure, by=Actor.of(world.hannah))


def test_a_person_added_in_the_admin_with_an_address_gets_their_packet(
    client, world, library, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(world.ada)
    data = {
        "first_name": "Ines",
        "last_name": "Inline",
        "office": world.office.pk,
        "job_title": "Caseworker",
        "phone": "",
        "user": "",
        "active": "on",
        "left_on": "",
        "emails-TOTAL_FORMS": "1",
        "emails-INITIAL_FORMS": "0",
        "emails-0-address": "ines@example.org",
        "emails-0-primary": "on",
        "absences-TOTAL_FORMS": "0",
        "absences-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:helpdesk_person_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    [message] = mailoutbox
    assert message.to == ["ines@example.org"]
    assert _titles_in(message) == {"For new_ccrr_staff", "For all"}
