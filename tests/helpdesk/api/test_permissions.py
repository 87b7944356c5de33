"""Who may do what with tickets through the API, role by role: the same answers as the pages
(``helpdesk.tickets.permissions``), whatever the token's scope."""

import pytest

from helpdesk.tickets.permissions import tickets_visible_to
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

# persona: (queues it may open, the default queue)
QUEUES = {
    "hannah": ({"help_desk"}, "help_desk"),
    "ada": ({"help_desk"}, "help_desk"),
    "mike": ({"mis"}, "mis"),
    "pat": ({"agency", "incoming"}, "agency"),
    "alice": ({"mine"}, "mine"),
    "otto": ({"agency", "incoming"}, "agency"),
}
ALL_QUEUES = {"help_desk", "mis", "agency", "incoming", "mine"}


@pytest.fixture
def tickets(world):
    return {
        "reported": th.reported(world),
        "submitted": th.submitted(world),
        "in_progress": th.in_progress(world),
        "with_mis": th.with_mis(world),
        "resolved": th.resolved(world),
    }


def _client(world, persona: str) -> ApiClient:
    return ApiClient(make_token(world.user(persona))[1])


@pytest.mark.parametrize("persona", sorted(QUEUES))
def test_each_role_opens_its_queues_only(world, tickets, persona):
    client = _client(world, persona)
    allowed, _default = QUEUES[persona]
    for queue in ALL_QUEUES:
        status = client.get("/api/v1/tickets/", {"queue": queue}).status_code
        assert status == (200 if queue in allowed else 403), (persona, queue)


@pytest.mark.parametrize("persona", sorted(QUEUES))
def test_each_role_reads_exactly_the_tickets_the_pages_show_it(world, tickets, persona):
    client = _client(world, persona)
    user = world.user(persona)
    visible = set(tickets_visible_to(user).values_list("pk", flat=True))
    for ticket in tickets.values():
        detail = client.get(f"/api/v1/tickets/{ticket.pk}/")
        messages = client.get(f"/api/v1/tickets/{ticket.pk}/messages/")
        files = client.get(f"/api/v1/tickets/{ticket.pk}/attachments/")
        expected = 200 if ticket.pk in visible else 404
        assert (detail.status_code, messages.status_code, files.status_code) == (expected,) * 3


@pytest.mark.parametrize("persona", sorted(QUEUES))
def test_each_role_is_offered_and_allowed_the_pages_actions(world, tickets, persona):
    """The actions a ticket lists for a role are the ones the API lets it take; any other is
    refused (403, or 409 when the state does not allow it now) and changes nothing."""
    from helpdesk.actor import Actor
    from helpdesk.tickets.permissions import available_actions

    client = _client(world, persona)
    user = world.user(persona)
    ticket = tickets["in_progress"]
    response = client.get(f"/api/v1/tickets/{ticket.pk}/")
    if response.status_code == 404:
        assert ticket not in tickets_visible_to(user)
        return
    offered = set(response.json()["actions"])
    assert offered == {str(a) for a in available_actions(Actor.of(user), ticket)}
    refused_body = {"reason": "No."}
    if "reject" not in offered:
        before = ticket.version
        refused = client.post(
            f"/api/v1/tickets/{ticket.pk}/reject/", refused_body, **{"If-Match": response["ETag"]}
        )
        assert refused.status_code == 403
        ticket.refresh_from_db()
        assert ticket.version == before


@pytest.mark.parametrize("persona", ["alice", "hannah", "mike", "ada"])
def test_only_local_experts_report_through_the_form(world, persona):
    response = _client(world, persona).post("/api/v1/tickets/", {"summary": "x"})
    assert response.status_code == 403
