"""Leavers: a departure or a deactivation disables the login at once. The departed local
expert's open session reads nothing, downloads nothing and posts nothing; their websockets
close and stay silent; their password reset and acknowledgement links stop working; their
designations end; every change is audited; and only the help desk brings them back.

The findings (issue 14): "A departure leaves the login working. report_departure sets
person.active=False only; the departed local expert still reads the agency's tickets and
attachments and posts messages. An open websocket keeps receiving after its user is
deactivated." """

from datetime import date, timedelta

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.auth import AuthMiddlewareStack
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.module_loading import import_string

from access.services import report_departure
from helpdesk.actor import Actor
from helpdesk.auth.tokens import password_reset_tokens
from helpdesk.directory.roles import Role
from helpdesk.directory.services import (
    current_roles,
    deactivate_person,
    deactivate_user,
    leaver_hooks,
    reactivate_person,
)
from helpdesk.models import (
    AcknowledgementLink,
    AuditEvent,
    AuditKind,
    LocalExpertDesignation,
    TicketMessage,
    User,
)
from helpdesk.procedures import onboarding
from helpdesk.reports import services as reports
from helpdesk.routing import websocket_urlpatterns
from helpdesk.tickets.attachments import attach
from tests.helpdesk import ticket_helpers as th

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LEFT = "Left the agency on Friday."


def _leaves(world, person=None, by=None) -> None:
    """The way a departure is reported today: Pat's own alternate, Alex, reports it."""
    report_departure(
        person or world.pat,
        by=by or Actor.of(world.alex.user),
        kind="left",
        effective_on=date.today(),
        note=LEFT,
    )


def _signs_in(client, username: str, password: str) -> bool:
    response = client.post(reverse("login"), {"username": username, "password": password})
    return response.status_code == 302


def _submitted_by_alex(world):
    """A ticket escalated by Alex, who stays: the change Pat's agency queue would hear of."""
    return reports.report_from_web(
        th.problem_report(), by=Actor.of(world.alex.user), office=world.office
    ).ticket


def _events(target, kind) -> list[AuditEvent]:
    return list(AuditEvent.objects.for_object(target).filter(kind=kind).order_by("id"))


# --- The departed expert's open session ---------------------------------------------------------


@pytest.mark.django_db
class TestTheDepartedExpertsSession:
    def test_finding_departed_expert_session_reads_no_ticket_or_queue(self, client, world):
        ticket = th.submitted(world)
        client.force_login(world.pat.user)
        detail = reverse("ticket_detail", args=[ticket.pk])
        assert client.get(detail).status_code == 200

        _leaves(world)

        for url in (detail, reverse("queue", args=["agency"]), reverse("home")):
            response = client.get(url)
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login"))
        # Whatever the session store, the stored session no longer matches the login.
        user = User.objects.get(pk=world.pat.user.pk)
        assert client.session[HASH_SESSION_KEY] != user.get_session_auth_hash()

    def test_finding_departed_expert_session_downloads_no_attachment(self, client, world):
        ticket = th.submitted(world)
        attachment = attach(ticket, by=Actor.of(world.alice.user), name="screen.pdf", data=PDF)
        url = reverse("attachment_download", args=[ticket.pk, attachment.pk])
        client.force_login(world.pat.user)
        assert client.get(url).status_code == 200

        _leaves(world)

        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))

    def test_finding_departed_expert_session_posts_no_message(self, client, world):
        ticket = th.submitted(world)
        client.force_login(world.pat.user)
        before = TicketMessage.objects.filter(ticket=ticket).count()

        _leaves(world)
        response = client.post(
            reverse("ticket_message", args=[ticket.pk]), {"body": "One last word from me."}
        )

        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert TicketMessage.objects.filter(ticket=ticket).count() == before

    def test_finding_sessions_stay_ended_after_a_reactivation(self, client, world):
        """Ended means ended: the old session does not come back with the login."""
        client.force_login(world.pat.user)
        _leaves(world)
        reactivate_person(world.pat, by=Actor.of(world.hannah), reason="Came back.")

        response = client.get(reverse("home"))

        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
        assert _signs_in(client, "pat", world.password)  # a new sign-in works

    def test_finding_a_departed_expert_cannot_sign_in_again(self, client, world):
        _leaves(world)

        assert not _signs_in(client, "pat", world.password)

    def test_finding_every_backend_refuses_a_deactivated_login_from_a_session(self, world):
        """Whatever backend opened a session (the configured ones, and the directory's, which
        is configured only with LDAP_SERVER_URI), it hands back no deactivated login."""
        paths = {*settings.AUTHENTICATION_BACKENDS, "helpdesk.auth.backends.DirectoryBackend"}
        backends = [import_string(path)() for path in sorted(paths)]
        sessions = [b for b in backends if hasattr(b, "get_user")]
        assert len(sessions) >= 2
        directory_login = User.objects.create_user("dir.login", sign_in_source="ldap")
        world.alice.user = directory_login
        world.alice.save()

        for login in (world.pat.user, directory_login):
            deactivate_user(login, by=Actor.of(world.hannah), reason="Left.")
            for backend in sessions:
                assert backend.get_user(login.pk) is None, type(backend).__name__

    def test_a_change_of_function_keeps_the_login(self, client, world):
        client.force_login(world.alice.user)
        report_departure(
            world.alice,
            by=Actor.of(world.pat.user),
            kind="changed_function",
            effective_on=date.today(),
        )

        assert client.get(reverse("home")).status_code == 200


# --- Websockets -------------------------------------------------------------------------------


def _socket(user, path):
    communicator = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
    communicator.scope["user"] = user
    return communicator


@pytest.mark.django_db(transaction=True)
class TestWebsockets:
    def test_finding_open_websocket_is_closed_when_its_user_is_deactivated(self, world):
        pat = world.pat.user

        async def scenario():
            socket = _socket(pat, "/ws/queues/agency/")
            connected, _ = await socket.connect()
            assert connected
            await sync_to_async(_leaves)(world)
            closed = await socket.receive_output(timeout=2)
            await socket.wait()
            return closed

        closed = async_to_sync(scenario)()
        assert closed == {"type": "websocket.close", "code": 4401}

    def test_finding_websocket_rechecks_the_login_before_every_message(self, world):
        """With the close message lost (here the hook is not registered), the socket still
        sends nothing more: it checks the login before each message and closes."""
        pat = world.pat.user
        hook = leaver_hooks.get("close websockets")
        assert hook is not None
        leaver_hooks.unregister(hook.name)
        try:

            async def scenario():
                socket = _socket(pat, "/ws/queues/agency/")
                assert (await socket.connect())[0]
                await sync_to_async(_leaves)(world)
                await sync_to_async(_submitted_by_alex)(world)  # a change in Pat's agency queue
                sent = await socket.receive_output(timeout=2)
                await socket.wait()
                return sent

            sent = async_to_sync(scenario)()
        finally:
            leaver_hooks.register(hook)
        assert sent == {"type": "websocket.close", "code": 4403}

    def test_finding_websocket_rechecks_permission_before_every_message(self, world):
        """Pat, no longer a local expert (designation removed), hears no more of the queue."""
        from helpdesk.directory.services import remove_designation

        pat = world.pat.user

        def no_longer_expert():
            designation = LocalExpertDesignation.objects.get(person=world.pat)
            remove_designation(designation, by=Actor.of(world.hannah))

        async def scenario():
            socket = _socket(pat, "/ws/queues/agency/")
            assert (await socket.connect())[0]
            await sync_to_async(no_longer_expert)()
            await sync_to_async(_submitted_by_alex)(world)
            sent = await socket.receive_output(timeout=2)
            await socket.wait()
            return sent

        assert async_to_sync(scenario)() == {"type": "websocket.close", "code": 4403}

    def test_a_socket_of_someone_still_here_keeps_receiving(self, world):
        async def scenario():
            socket = _socket(world.alex.user, "/ws/queues/agency/")
            assert (await socket.connect())[0]
            ticket = await sync_to_async(th.submitted)(world)
            event = await socket.receive_json_from(timeout=2)
            await socket.disconnect()
            return ticket, event

        ticket, event = async_to_sync(scenario)()
        assert event["ticket"] == ticket.pk

    def test_finding_departed_expert_session_cookie_opens_no_socket(self, client, world):
        """Through the real session and auth middleware, as a browser's socket arrives."""
        client.force_login(world.pat.user)
        cookie = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        application = AuthMiddlewareStack(URLRouter(websocket_urlpatterns))

        async def attempt():
            socket = WebsocketCommunicator(
                application, "/ws/queues/agency/", headers=[(b"cookie", cookie.encode())]
            )
            connected, code = await socket.connect()
            if connected:
                await socket.disconnect()
            return connected, code

        assert async_to_sync(attempt)()[0], "the session opens a socket while Pat is here"
        _leaves(world)
        assert async_to_sync(attempt)() == (False, 4401)
        reactivate_person(world.pat, by=Actor.of(world.hannah), reason="Came back.")
        assert async_to_sync(attempt)() == (False, 4401), "the old session stays ended"

    def test_finding_a_deactivated_login_cannot_open_a_socket(self, world):
        _leaves(world)
        pat = User.objects.get(pk=world.pat.user.pk)

        async def attempt():
            socket = _socket(pat, "/ws/queues/agency/")
            connected, code = await socket.connect()
            return connected, code

        assert async_to_sync(attempt)() == (False, 4401)


# --- Tokens -----------------------------------------------------------------------------------


@pytest.mark.django_db
class TestTokens:
    def test_finding_password_reset_link_is_refused_after_a_departure(self, client, world):
        user = world.pat.user
        token = password_reset_tokens.make_token(user)
        url = reverse(
            "password_reset_confirm", args=[urlsafe_base64_encode(force_bytes(user.pk)), token]
        )

        _leaves(world)
        user.refresh_from_db()

        assert not password_reset_tokens.check_token(user, token)
        response = client.get(url, follow=True)
        assert response.context["validlink"] is False

    def test_finding_password_reset_link_stays_void_after_a_reactivation(self, world):
        user = world.pat.user
        token = password_reset_tokens.make_token(user)
        _leaves(world)
        reactivate_person(world.pat, by=Actor.of(world.hannah), reason="Came back.")
        user.refresh_from_db()

        assert user.is_active
        assert not password_reset_tokens.check_token(user, token)
        assert password_reset_tokens.check_token(user, password_reset_tokens.make_token(user))

    def test_the_reset_pages_use_the_leaver_aware_generator(self, client, world):
        """A link made by the site's reset page is checked by the same generator."""
        user = world.pat.user
        token = password_reset_tokens.make_token(user)
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        response = client.get(reverse("password_reset_confirm", args=[uid, token]), follow=True)
        assert response.context["validlink"] is True

    def test_finding_acknowledgement_link_is_revoked_when_its_person_leaves(self, world):
        link = onboarding._new_link(world.pat)
        token_url = onboarding.link_url(link.pk)
        token = token_url.rsplit("#", 1)[-1]  # the token rides in the fragment
        assert onboarding.link_for_token(token).pk == link.pk

        _leaves(world)

        with pytest.raises(onboarding.LinkError, match="no longer works"):
            onboarding.link_for_token(token)
        link.refresh_from_db()
        assert link.used_at is None
        [event] = _events(link, AuditKind.TOKEN_REVOKED)
        assert event.actor == world.alex.user

    def test_a_used_acknowledgement_link_is_left_as_it_was(self, world):
        link = onboarding._new_link(world.pat)
        AcknowledgementLink.objects.filter(pk=link.pk).update(used_at=link.created_at)

        _leaves(world)

        assert _events(link, AuditKind.TOKEN_REVOKED) == []


# --- Designations and the audit trail -----------------------------------------------------------


@pytest.mark.django_db
class TestDesignationsAndAudit:
    def test_finding_departed_expert_designations_are_ended(self, world):
        [designation] = LocalExpertDesignation.objects.filter(person=world.pat)

        _leaves(world)

        assert not LocalExpertDesignation.objects.filter(person=world.pat).exists()
        [event] = _events(designation, AuditKind.UNDESIGNATED)
        assert event.actor == world.alex.user
        assert LEFT in event.note
        assert Role.LOCAL_EXPERT not in current_roles(world.pat.user)
        # The office still has its alternate, now its only cover.
        assert LocalExpertDesignation.objects.filter(office=world.office, person=world.alex)

    def test_every_change_of_a_departure_is_audited_once_with_who_and_why(self, world):
        _leaves(world)
        person, user = world.pat, world.pat.user

        [person_off] = _events(person, AuditKind.DEACTIVATED)
        [login_off] = _events(user, AuditKind.DEACTIVATED)
        [sessions] = _events(user, AuditKind.SESSIONS_ENDED)
        for event in (person_off, login_off, sessions):
            assert event.actor == world.alex.user
            assert LEFT in event.note
        assert (person_off.before, person_off.after["active"]) == ({"active": True}, False)
        assert (login_off.before, login_off.after) == ({"is_active": True}, {"is_active": False})

    def test_deactivating_twice_changes_and_records_nothing_more(self, world):
        _leaves(world)
        user = User.objects.get(pk=world.pat.user.pk)
        generation = user.session_generation
        events = AuditEvent.objects.count()

        deactivate_person(world.pat, by=Actor.of(world.hannah), reason="Again.")

        user.refresh_from_db()
        assert user.session_generation == generation
        assert AuditEvent.objects.count() == events

    def test_a_login_left_on_by_an_older_departure_is_disabled_by_the_next_one(self, world):
        """Before this change a departure left the login working: deactivating again ends it."""
        world.pat.active = False
        world.pat.left_on = date.today() - timedelta(days=30)
        world.pat.save()

        deactivate_person(world.pat, by=Actor.of(world.hannah), reason="Old departure.")

        user = User.objects.get(pk=world.pat.user.pk)
        assert not user.is_active
        assert len(_events(user, AuditKind.SESSIONS_ENDED)) == 1

    def test_deactivating_a_login_deactivates_its_person(self, world):
        deactivate_user(world.alice.user, by=Actor.of(world.ada), reason="Left.")

        world.alice.refresh_from_db()
        assert not world.alice.active
        assert not User.objects.get(pk=world.alice.user.pk).is_active

    def test_a_staff_login_without_a_person_is_deactivated_alone(self, world):
        staff = User.objects.create_user("temp.staff", password="a long enough password 1")

        deactivate_user(staff, by=Actor.of(world.ada), reason="Contract ended.")

        staff.refresh_from_db()
        assert not staff.is_active
        assert len(_events(staff, AuditKind.DEACTIVATED)) == 1

    @pytest.mark.parametrize("persona", ["alice", "otto", "mike"])
    def test_who_may_not_deactivate_is_refused(self, world, persona):
        with pytest.raises(PermissionDenied):
            deactivate_person(world.alex, by=Actor.of(world.user(persona)), reason="No.")
        assert User.objects.get(pk=world.alex.user.pk).is_active


# --- Reactivation: the help desk only -----------------------------------------------------------


@pytest.mark.django_db
class TestReactivation:
    def url(self, world) -> str:
        return reverse("person_reactivate", args=[world.pat.pk])

    def test_the_help_desk_reactivates_on_the_persons_page(self, client, world):
        _leaves(world)
        client.force_login(world.hannah)
        page = reverse("person_access", args=[world.pat.pk])
        assert b"Reactivate" in client.get(page).content

        response = client.post(self.url(world), {"reason": "Rehired.", "next": page})

        assert response.status_code == 302
        assert response.url == page
        world.pat.refresh_from_db()
        assert world.pat.active
        assert world.pat.left_on is None
        assert User.objects.get(pk=world.pat.user.pk).is_active
        [event] = _events(world.pat.user, AuditKind.REACTIVATED)
        assert (event.actor, event.note) == (world.hannah, "Rehired.")
        assert len(_events(world.pat, AuditKind.REACTIVATED)) == 1
        # Designations are made again, deliberately, not restored.
        assert not LocalExpertDesignation.objects.filter(person=world.pat).exists()

    @pytest.mark.parametrize("persona", ["alex", "ada", "mike", "alice"])
    def test_finding_only_the_help_desk_may_reactivate(self, client, world, persona):
        _leaves(world)
        client.force_login(world.user(persona))

        response = client.post(self.url(world), {"reason": "Let them back."})

        assert response.status_code == 403
        assert not User.objects.get(pk=world.pat.user.pk).is_active
        assert _events(world.pat.user, AuditKind.REACTIVATED) == []

    def test_reactivation_needs_a_post(self, client, world):
        _leaves(world)
        client.force_login(world.hannah)

        assert client.get(self.url(world)).status_code == 405
        assert not User.objects.get(pk=world.pat.user.pk).is_active

    def test_reactivation_needs_a_reason(self, client, world):
        _leaves(world)
        client.force_login(world.hannah)

        client.post(self.url(world), {"reason": " "})

        assert not User.objects.get(pk=world.pat.user.pk).is_active

    def test_the_form_is_offered_to_the_help_desk_only_and_only_for_leavers(self, client, world):
        page = reverse("person_access", args=[world.pat.pk])
        client.force_login(world.hannah)
        assert self.url(world).encode() not in client.get(page).content  # Pat is still here
        _leaves(world)
        client.force_login(world.alex.user)
        assert self.url(world).encode() not in client.get(page).content

    def test_the_service_refuses_anyone_but_the_help_desk(self, world):
        _leaves(world)
        for actor in (Actor.of(world.ada), Actor.system("an import")):
            with pytest.raises(PermissionDenied):
                reactivate_person(world.pat, by=actor, reason="Back.")
        assert not User.objects.get(pk=world.pat.user.pk).is_active


# --- The admin goes through the same services ----------------------------------------------------


@pytest.mark.django_db
class TestAdmin:
    def test_the_admin_deactivates_through_the_service(self, client, world):
        client.force_login(world.ada)
        response = client.post(
            reverse("admin:helpdesk_user_changelist"),
            {"action": "deactivate", "_selected_action": [world.alice.user.pk]},
        )

        assert response.status_code == 302
        user = User.objects.get(pk=world.alice.user.pk)
        assert not user.is_active
        assert user.session_generation == 1
        world.alice.refresh_from_db()
        assert not world.alice.active

    def test_the_admin_cannot_tick_a_login_active_again(self, client, world):
        _leaves(world)
        client.force_login(world.ada)
        response = client.post(
            reverse("admin:helpdesk_user_changelist"),
            {"action": "reactivate", "_selected_action": [world.pat.user.pk]},
            follow=True,
        )

        assert b"Only help desk staff reactivate logins." in response.content
        assert not User.objects.get(pk=world.pat.user.pk).is_active
        form = client.get(reverse("admin:helpdesk_user_change", args=[world.pat.user.pk]))
        assert "is_active" not in form.context["adminform"].form.fields

    def test_the_person_admin_deactivates_through_the_service(self, client, world):
        client.force_login(world.ada)
        client.post(
            reverse("admin:helpdesk_person_changelist"),
            {"action": "deactivate", "_selected_action": [world.pat.pk]},
        )

        assert not User.objects.get(pk=world.pat.user.pk).is_active
        assert not LocalExpertDesignation.objects.filter(person=world.pat).exists()
