"""The events come from the real services, from the one place each thing happens: a ticket
reported, filed, moved and written to; a notice published and resolved; an access request
opened and moved; a security form issued and moved. Their payloads carry ids, numbers and
states, never a message body, a summary or a person's name, address or phone."""

import json

import pytest

from access import services as access
from access.models import RequestKind, TargetSystem
from escalation.workflow import TicketState
from forms_4052_4055 import services as forms
from helpdesk.actor import Actor
from helpdesk.events import EVENT_TYPES, emit
from helpdesk.models import Severity, System, WebhookDelivery
from helpdesk.notices import services as notices
from helpdesk.tickets import services as tickets
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n% signed\n"


@pytest.fixture
def recorded(subscribe):
    """Every event type subscribed; returns the events recorded since the last call."""
    subscribe("https://hooks.example.org/ccap")
    seen = set()

    def read() -> list[dict]:
        new = WebhookDelivery.objects.exclude(pk__in=seen).order_by("pk")
        bodies = []
        for delivery in new:
            seen.add(delivery.pk)
            bodies.append(json.loads(delivery.body))
        return bodies

    return read


def _types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def test_a_ticket_reported_filed_moved_and_written_to(world, recorded):
    ticket = th.reported(world)
    [created] = recorded()
    assert created["type"] == "ticket.created"
    assert created["data"] == {
        "id": ticket.pk,
        "tracking_number": ticket.tracking_number,
        "state": TicketState.WITH_LOCAL_EXPERT,
        "kind": ticket.kind,
        "priority": ticket.priority,
        "system": System.CCMS,
        "office_id": world.office.pk,
        "agency_id": world.office.agency_id,
    }

    filed = th.submitted(world)  # the Problem Report Form: a new ticket, at the help desk
    assert _types(recorded()) == ["ticket.created", "ticket.state_changed"]

    tickets.assign(filed, by=Actor.of(world.hannah), assignee=world.hannah)
    [moved] = recorded()
    assert moved["type"] == "ticket.state_changed"
    assert moved["data"]["tracking_number"] == filed.tracking_number
    assert (moved["data"]["from_state"], moved["data"]["to_state"]) == ("submitted", "in_progress")
    assert moved["data"]["action"] == "assign"

    tickets.add_message(filed, by=Actor.of(world.hannah), body="Please try the new password.")
    tickets.add_message(filed, by=Actor.of(world.hannah), body="Note to self.", internal=True)
    reply, note = recorded()
    assert _types([reply, note]) == ["ticket.message_added"] * 2
    assert reply["data"]["message"]["internal"] is False
    assert note["data"]["message"]["internal"] is True
    assert "password" not in json.dumps(reply)
    assert "self" not in json.dumps(note)


def test_a_question_and_its_answer_are_messages_and_moves(world, recorded):
    ticket = th.in_progress(world)
    recorded()
    asked = tickets.request_info(ticket, by=Actor.of(world.hannah), question="Which screen?")
    assert sorted(_types(recorded())) == ["ticket.message_added", "ticket.state_changed"]
    tickets.add_message(asked, by=Actor.of(world.pat.user), body="The case screen.")
    assert sorted(_types(recorded())) == ["ticket.message_added", "ticket.state_changed"]


def test_a_notice_published_then_resolved(world, recorded):
    draft = notices.NoticeDraft(
        title="CCMS does not load",
        systems=[System.CCMS],
        severity=Severity.OUTAGE,
        text="CCMS shows a blank page after sign-in.",
    )
    notice = notices.publish_notice(draft, by=Actor.of(world.hannah))
    [published] = recorded()
    assert published["type"] == "notice.published"
    assert published["data"]["reference"] == notice.reference
    assert published["data"]["systems"] == ["ccms"]
    assert "blank page" not in json.dumps(published)

    notices.resolve_notice(notice, by=Actor.of(world.hannah), text="CCMS is back.")
    [resolved] = recorded()  # resolving is the notice's one move: no other event
    assert resolved["type"] == "notice.resolved"
    assert resolved["data"]["state"] == "resolved"


def test_an_access_request_and_its_forms(world, recorded):
    ccts = TargetSystem.objects.get(code="ccts")
    request = access.open_request(world.alice, ccts, RequestKind.NEW, by=Actor.of(world.pat.user))
    opened, waiting = recorded()
    assert opened["type"] == "access_request.created"
    assert opened["data"]["id"] == request.pk
    assert opened["data"]["person_id"] == world.alice.pk
    assert opened["data"]["agency_id"] == world.office.agency_id
    assert waiting["type"] == "access_request.state_changed"
    assert waiting["data"]["to_state"] == "awaiting_forms"

    issued = forms.issue_forms(world.alice, ["ccts"], by=Actor.of(world.hannah)).issued
    assert _types(recorded()) == ["security_form.created"] * len(issued)
    form = issued[0]
    forms.receive(form, by=Actor.of(world.hannah), name="signed.pdf", data=PDF)
    [received] = recorded()
    assert received["type"] == "security_form.state_changed"
    assert received["data"]["reference"] == form.reference
    assert received["data"]["to_state"] == "received"


def test_no_payload_carries_a_persons_details_or_what_they_wrote(world, recorded):
    ticket = th.submitted(world)
    tickets.assign(ticket, by=Actor.of(world.hannah), assignee=world.hannah)
    tickets.add_message(ticket, by=Actor.of(world.hannah), body="Reset done.")
    access.open_request(
        world.alice,
        TargetSystem.objects.get(code="ccts"),
        RequestKind.NEW,
        by=Actor.of(world.pat.user),
        reason="Starts Monday.",
    )
    text = json.dumps(recorded())
    for person in (world.alice, world.pat):
        for detail in (person.first_name, person.last_name, person.primary_email):
            assert detail not in text
    for said in ("217-555", ticket.summary, "Reset done", "Starts Monday", "Hannah"):
        assert said not in text


def test_every_event_type_has_a_source_and_unknown_types_are_refused(world):
    sources = {
        "ticket.created",
        "ticket.state_changed",
        "ticket.message_added",
        "access_request.created",
        "access_request.state_changed",
        "security_form.created",
        "security_form.state_changed",
        "notice.published",
        "notice.resolved",
    }
    assert set(EVENT_TYPES) == sources
    with pytest.raises(ValueError, match="Unknown event type"):
        emit("ticket.deleted", {"id": 1})


def test_a_batch_of_moves_records_each_ones_event_reading_the_subscriptions_once(world, recorded):
    """The sweep's batch close (``transition_many``) tells the webhooks of every ticket it
    moved, as one close at a time would, with the subscriptions read once for the batch."""
    from helpdesk.tickets import tasks
    from helpdesk.webhooks import services as webhooks

    done = [th.resolved(world) for _ in range(3)]
    recorded()  # what reporting and resolving them recorded
    reads = []
    real = webhooks.on_events

    def counting(events):
        reads.append(len(events))
        return real(events)

    from helpdesk.events import listeners

    [listener] = [entry for entry in listeners if entry.name == "webhooks"]
    assert listener.receive_many is real
    object.__setattr__(listener, "receive_many", counting)
    try:
        batch = tickets.close_many([t.pk for t in done], by=tasks.AUTO_CLOSE, note="Closed.")
    finally:
        object.__setattr__(listener, "receive_many", real)

    assert len(batch.done) == 3
    assert reads == [3]  # one call for the batch's three events
    closed = [e for e in recorded() if e["type"] == "ticket.state_changed"]
    assert sorted(e["data"]["id"] for e in closed) == sorted(t.pk for t in done)
    assert {e["data"]["to_state"] for e in closed} == {TicketState.CLOSED}
