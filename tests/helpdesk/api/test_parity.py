"""The API keeps the pages' rules: each action done through the page on one ticket and through
the API on a twin leaves the same audit rows and the same timeline (the API's rows also name
the token; nothing else differs)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from helpdesk.models import AuditEvent, Ticket, TicketEvent, TicketMessage
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def _audit(ticket: Ticket, after_id: int) -> list[tuple]:
    rows = AuditEvent.objects.for_object(ticket).filter(pk__gt=after_id).order_by("id")
    return [(r.kind, r.actor_id, r.actor_label, r.before, r.after, r.note) for r in rows]


def _timeline(ticket: Ticket, after_id: int, after_message: int) -> list[tuple]:
    events = ticket.events.filter(pk__gt=after_id).order_by("id")
    messages = ticket.messages.filter(pk__gt=after_message).order_by("id")
    return [
        (e.kind, e.action, e.from_state, e.to_state, e.note, e.internal, e.actor_label)
        for e in events
    ] + [(m.author_label, m.body, m.internal, m.source) for m in messages]


def _marks() -> tuple[int, int, int]:
    last = AuditEvent.objects.order_by("-id").first()
    event = TicketEvent.objects.order_by("-id").first()
    message = TicketMessage.objects.order_by("-id").first()
    return (last.pk if last else 0, event.pk if event else 0, message.pk if message else 0)


def _rows(ticket: Ticket, marks: tuple[int, int, int]) -> tuple[list, list]:
    """The rows written since ``marks``, each ticket's own number read as "<ticket>" (the
    twins differ by it alone)."""
    ticket.refresh_from_db()

    def same(row: tuple) -> tuple:
        return tuple(
            v.replace(ticket.reference, "<ticket>") if isinstance(v, str) else v for v in row
        )

    audit = [same(row) for row in _audit(ticket, marks[0])]
    return audit, [same(row) for row in _timeline(ticket, marks[1], marks[2])]


# action: (how the ticket is made, who acts, the page form's fields, the API body)
ACTIONS = {
    "assign": (th.submitted, "hannah", lambda w: {"assignee": w.hannah.pk}),
    "escalate_to_mis": (
        th.in_progress,
        "hannah",
        lambda w: {"note": "Needs CCTS.", "mis_reference": "MIS-9"},
    ),
    "request_info": (th.in_progress, "hannah", lambda w: {"question": "Which PC?"}),
    "provide_info": (th.awaiting_info, "pat", lambda w: {"answer": "PC 12."}),
    "report_mis_resolution": (th.with_mis, "mike", lambda w: {"resolution": "Fixed in CCTS."}),
    "resolve": (th.in_progress, "hannah", lambda w: {"resolution": "RACF reset."}),
    "reopen": (th.resolved, "pat", lambda w: {"note": "Still broken."}),
    "close": (th.resolved, "pat", lambda w: {"note": "Thanks."}),
    "reject": (th.submitted, "hannah", lambda w: {"reason": "A duplicate."}),
    "withdraw": (th.reported, "pat", lambda w: {"reason": "Solved itself."}),
    "resolve_locally": (th.reported, "pat", lambda w: {"resolution": "Cleared the cache."}),
}


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_each_action_through_the_page_and_the_api_writes_the_same_rows(
    action, world, client, django_capture_on_commit_callbacks
):
    make, persona, body_of = ACTIONS[action]
    body = body_of(world)
    user = world.user(persona)

    by_page = make(world)
    client.force_login(user)
    marks = _marks()
    form = {f"{action}-{name}": value for name, value in body.items()}
    form[f"{action}-version"] = by_page.version
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(reverse("ticket_action", args=[by_page.pk, action]), form)
    assert page.status_code == 302, page.content
    page_rows = _rows(by_page, marks)

    by_api = make(world)
    token, secret = make_token(user)
    api = ApiClient(secret)
    etag = api.get(f"/api/v1/tickets/{by_api.pk}/")["ETag"]
    marks = _marks()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            f"/api/v1/tickets/{by_api.pk}/{action.replace('_', '-')}/", body, **{"If-Match": etag}
        )
    assert response.status_code == 200, response.content
    api_rows = _rows(by_api, marks)

    assert page_rows[0], "the action is audited"
    assert page_rows == api_rows
    assert by_page.state == by_api.state
    changed = AuditEvent.objects.for_object(by_api).filter(pk__gt=marks[0])
    assert {row.via_token for row in changed} == {token.pk}


def test_a_message_through_the_page_and_the_api_writes_the_same_rows(world, client):
    body = "Is there any news?"
    by_page, by_api = th.in_progress(world), th.in_progress(world)
    client.force_login(world.pat.user)
    marks = _marks()
    assert (
        client.post(reverse("ticket_message", args=[by_page.pk]), {"body": body}).status_code == 302
    )
    page_rows = _rows(by_page, marks)
    _token, secret = make_token(world.pat.user)
    marks = _marks()
    response = ApiClient(secret).post(f"/api/v1/tickets/{by_api.pk}/messages/", {"body": body})
    assert response.status_code == 201
    assert page_rows == _rows(by_api, marks)
    assert page_rows[1], "the message is on the timeline"


def _report_fields() -> dict:
    return {
        "summary": "CCMS will not save a case",
        "system": "ccms",
        "description": "Saving the case screen shows an error.",
        "who_affected": "some_coworkers",
        "contact_name": "Pat Primary",
        "contact_phone": "217-555-0100",
        "contact_email": "pat@example.org",
        "occurred_at": (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        "steps_taken": "Tried again.",
        "expected_result": "Saved.",
    }


def test_reporting_a_problem_through_the_page_and_the_api_writes_the_same_rows(world, client):
    fields = _report_fields()
    client.force_login(world.pat.user)
    marks = _marks()
    page = client.post(
        reverse("problem_report_new"),
        fields | {"office": world.office.pk, "can_duplicate": "yes", "kind": "problem"},
    )
    assert page.status_code == 302, page.content
    by_page = Ticket.objects.get()
    page_rows = _rows(by_page, marks)

    _token, secret = make_token(world.pat.user)
    marks = _marks()
    response = ApiClient(secret).post(
        "/api/v1/tickets/", fields | {"can_duplicate": True, "kind": "problem"}
    )
    assert response.status_code == 201, response.content
    by_api = Ticket.objects.get(pk=response.json()["id"])
    assert page_rows == _rows(by_api, marks)
    for name in ("state", "priority", "system", "occurred_at", "can_duplicate", "local_expert"):
        assert getattr(by_page, name) == getattr(by_api, name), name


def test_escalating_a_report_through_the_page_and_the_api_writes_the_same_rows(world, client):
    fields = _report_fields()
    by_page, by_api = th.reported(world), th.reported(world)
    client.force_login(world.pat.user)
    marks = _marks()
    page = client.post(
        reverse("ticket_escalate", args=[by_page.pk]),
        fields | {"can_duplicate": "no", "kind": "problem", "version": by_page.version},
    )
    assert page.status_code == 302, page.content
    page_rows = _rows(by_page, marks)

    _token, secret = make_token(world.pat.user)
    api = ApiClient(secret)
    etag = api.get(f"/api/v1/tickets/{by_api.pk}/")["ETag"]
    marks = _marks()
    response = api.post(
        f"/api/v1/tickets/{by_api.pk}/escalate/",
        fields | {"can_duplicate": False, "kind": "problem"},
        **{"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    assert page_rows == _rows(by_api, marks)
    assert by_page.state == by_api.state == "submitted"
