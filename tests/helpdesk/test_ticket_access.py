"""Who may open which ticket URL and websocket. Peer help desks have leaked tickets through
per-queue permission gaps and websockets; here every URL and socket is tried by every persona,
including a local expert of another agency."""

import pytest
from asgiref.sync import async_to_sync
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import Ticket
from helpdesk.reports import services as reports
from helpdesk.routing import websocket_urlpatterns
from tests.helpdesk import ticket_helpers as th

PERSONAS = ["alice", "pat", "alex", "otto", "hannah", "mike", "ada"]


def _status(client, world, persona, method, url, data=None):
    client.force_login(world.user(persona))
    response = getattr(client, method)(url, data or {})
    return response.status_code


@pytest.mark.django_db
class TestTicketPages:
    def test_who_sees_a_ticket_before_and_after_mis_has_it(self, client, world):
        ticket = th.reported(world)
        url = reverse("ticket_detail", args=[ticket.pk])
        seen = {p for p in PERSONAS if _status(client, world, p, "get", url) == 200}
        assert seen == {"alice", "pat", "alex", "hannah", "ada"}
        assert _status(client, world, "otto", "get", url) == 404
        assert _status(client, world, "mike", "get", url) == 404
        th.in_progress(world)  # another ticket; this one goes to MIS:
        mis_ticket = th.with_mis(world)
        assert (
            _status(client, world, "mike", "get", reverse("ticket_detail", args=[mis_ticket.pk]))
            == 200
        )

    @pytest.mark.parametrize(
        ("queue", "allowed"),
        [
            ("help_desk", {"hannah", "ada"}),
            ("mis", {"mike"}),
            ("agency", {"pat", "alex", "otto"}),
            ("incoming", {"pat", "alex", "otto"}),
            ("mine", {"alice"}),
        ],
    )
    def test_each_queue_opens_for_its_roles_only(self, client, world, queue, allowed):
        url = reverse("queue", args=[queue])
        opened = {p for p in PERSONAS if _status(client, world, p, "get", url) == 200}
        assert opened == allowed

    def test_a_queue_never_lists_another_agencys_tickets(self, client, world):
        ticket = th.submitted(world)
        client.force_login(world.otto.user)
        page = client.get(reverse("queue", args=["agency"])).content.decode()
        assert ticket.tracking_number not in page
        client.force_login(world.alex.user)
        assert (
            ticket.tracking_number in client.get(reverse("queue", args=["agency"])).content.decode()
        )

    def test_mis_queue_lists_only_what_was_escalated_to_mis(self, client, world):
        escalated, kept = th.with_mis(world), th.in_progress(world)
        client.force_login(world.mike)
        page = client.get(reverse("queue", args=["mis"])).content.decode()
        assert escalated.tracking_number in page
        assert kept.tracking_number not in page

    def test_every_mutating_url_refuses_get(self, client, world):
        ticket = th.in_progress(world)
        client.force_login(world.hannah)
        for url in [
            reverse("ticket_action", args=[ticket.pk, "resolve"]),
            reverse("ticket_message", args=[ticket.pk]),
            reverse("ticket_update", args=[ticket.pk, "priority"]),
        ]:
            assert client.get(url).status_code == 405, url

    def test_an_outsider_cannot_act_message_or_escalate(self, client, world):
        ticket = th.reported(world)
        client.force_login(world.otto.user)
        posts = [
            (
                reverse("ticket_action", args=[ticket.pk, "resolve_locally"]),
                {"resolve_locally-version": ticket.version, "resolve_locally-resolution": "x"},
            ),
            (reverse("ticket_message", args=[ticket.pk]), {"body": "hi"}),
            (
                reverse("ticket_update", args=[ticket.pk, "priority"]),
                {"priority": "p1", "version": 1},
            ),
        ]
        for url, data in posts:
            assert client.post(url, data).status_code == 404, url
        assert client.get(reverse("ticket_escalate", args=[ticket.pk])).status_code == 404
        assert Ticket.objects.get(pk=ticket.pk).state == S.WITH_LOCAL_EXPERT
        assert not ticket.messages.exists()

    def test_a_viewer_without_the_right_gets_403_and_nothing_changes(self, client, world):
        ticket = th.in_progress(world)
        client.force_login(world.pat.user)  # sees it, may not resolve it
        url = reverse("ticket_action", args=[ticket.pk, "resolve"])
        data = {"resolve-version": ticket.version, "resolve-resolution": "done"}
        assert client.post(url, data).status_code == 403
        assert (
            client.post(
                reverse("ticket_update", args=[ticket.pk, "priority"]),
                {"priority": "p1", "version": ticket.version},
            ).status_code
            == 403
        )
        assert Ticket.objects.get(pk=ticket.pk).state == S.IN_PROGRESS

    def test_the_ticket_page_offers_only_the_users_actions(self, client, world):
        ticket = th.in_progress(world)
        client.force_login(world.hannah)
        page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
        for action in ["assign", "escalate_to_mis", "resolve", "reject", "request_info"]:
            assert f'data-action="{action}"' in page
        client.force_login(world.pat.user)
        page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
        assert "data-action=" not in page
        assert "No action is yours" in page

    def test_internal_notes_are_hidden_from_agency_staff(self, client, world):
        from helpdesk.tickets import services as svc

        ticket = th.in_progress(world)
        svc.add_message(
            ticket, by=Actor.of(world.hannah), body="Known CCTS defect, see MIS-12", internal=True
        )
        client.force_login(world.pat.user)
        assert (
            "MIS-12" not in client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
        )
        client.force_login(world.mike)
        th.with_mis(world)
        client.force_login(world.hannah)
        assert "MIS-12" in client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    def test_stored_text_is_escaped_on_every_page(self, client, world):
        from helpdesk.tickets import services as svc

        evil = "<img src=x onerror=alert(1)>"
        ticket = reports.report_from_web(
            th.problem_report(summary=evil, description=evil),
            by=Actor.of(world.pat.user),
            office=world.office,
        ).ticket
        svc.add_message(ticket, by=Actor.of(world.pat.user), body=evil)
        client.force_login(world.hannah)
        for url in [
            reverse("ticket_detail", args=[ticket.pk]),
            reverse("queue", args=["help_desk"]),
        ]:
            page = client.get(url).content.decode()
            assert evil not in page
            assert "&lt;img src=x onerror=alert(1)&gt;" in page

    def test_the_queue_query_count_does_not_grow_with_the_page(
        self, client, world, django_assert_max_num_queries
    ):
        for _ in range(30):
            th.submitted(world)
        client.force_login(world.hannah)
        with django_assert_max_num_queries(15):
            response = client.get(reverse("queue", args=["help_desk"]))
        assert len(response.context["page"].object_list) == 25


def _socket(user, path):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


def _connects(user, path) -> bool:
    async def attempt():
        communicator = _socket(user, path)
        connected, _code = await communicator.connect()
        await communicator.disconnect()
        return connected

    return async_to_sync(attempt)()


@pytest.mark.django_db(transaction=True)
class TestWebsockets:
    def test_a_ticket_socket_opens_only_for_who_may_see_the_ticket(self, world):
        ticket = th.reported(world)
        path = f"/ws/tickets/{ticket.pk}/"
        opened = {p for p in PERSONAS if _connects(world.user(p), path)}
        assert opened == {"alice", "pat", "alex", "hannah", "ada"}

    @pytest.mark.parametrize(
        ("queue", "allowed"),
        [
            ("help_desk", {"hannah", "ada"}),
            ("mis", {"mike"}),
            ("agency", {"pat", "alex", "otto"}),
            ("mine", {"alice"}),
            ("everything", set()),
        ],
    )
    def test_a_queue_socket_opens_only_for_its_roles(self, world, queue, allowed):
        opened = {p for p in PERSONAS if _connects(world.user(p), f"/ws/queues/{queue}/")}
        assert opened == allowed

    def test_anonymous_sockets_are_refused(self, world):
        from django.contrib.auth.models import AnonymousUser

        assert not _connects(AnonymousUser(), "/ws/queues/help_desk/")

    def test_a_change_reaches_the_help_desk_queue_but_not_another_agency(
        self, world, django_capture_on_commit_callbacks
    ):
        async def listen(user, path):
            communicator = _socket(user, path)
            await communicator.connect()
            return communicator

        async def scenario():
            desk = await listen(world.hannah, "/ws/queues/help_desk/")
            other = await listen(world.otto.user, "/ws/queues/agency/")
            from asgiref.sync import sync_to_async

            ticket = await sync_to_async(th.submitted)(world)
            desk_event = await desk.receive_json_from(timeout=2)
            nothing = await other.receive_nothing(timeout=0.3)
            await desk.disconnect()
            await other.disconnect()
            return ticket, desk_event, nothing

        ticket, desk_event, nothing = async_to_sync(scenario)()
        assert desk_event["ticket"] == ticket.pk
        assert set(desk_event) == {"ticket", "version"}  # an id and a number, no content
        assert nothing


@pytest.mark.django_db
def test_the_help_desk_queue_filters_sorts_and_searches(client, world):

    ccms = reports.report_from_web(
        th.problem_report(system="ccms", summary="CCMS down"),
        by=Actor.of(world.pat.user),
        office=world.office,
    ).ticket
    other = reports.report_from_web(
        th.problem_report(summary="Carbondale CCTS"),
        by=Actor.of(world.otto.user),
        office=world.other_office,
    ).ticket
    client.force_login(world.hannah)
    url = reverse("queue", args=["help_desk"])

    def listed(**params):
        return [t.pk for t in client.get(url, params).context["page"].object_list]

    assert listed(system="ccms") == [ccms.pk]
    assert listed(agency=world.other_office.agency_id) == [other.pk]
    assert listed(q=other.tracking_number) == [other.pk]
    assert listed(assignee="none", sort="oldest") == [ccms.pk, other.pk]
    assert listed(overdue="on") == []


@pytest.mark.django_db
def test_queue_pages_keep_their_order_and_cover_every_ticket_once(client, world):
    made = [th.submitted(world).pk for _ in range(30)]
    client.force_login(world.hannah)
    url = reverse("queue", args=["help_desk"])
    first = [t.pk for t in client.get(url, {"sort": "oldest"}).context["page"].object_list]
    second = [
        t.pk for t in client.get(url, {"sort": "oldest", "page": 2}).context["page"].object_list
    ]
    assert first + second == made
    assert client.get(url, {"page": 2}).context["page"].object_list[0].office.agency.name
