"""Personal access tokens: stored hashed, shown once, scoped, expiring (with a maximum), listed
and revoked by their owner, revoked with a leaver, made only by a session past its second
factor, and named in the audit row of every change made through them."""

import hashlib
from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from access.services import report_departure
from helpdesk.actor import Actor
from helpdesk.api import tokens
from helpdesk.directory.services import deactivate_user
from helpdesk.models import ApiToken, AuditEvent, AuditKind, TokenScope
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db


def _works(secret: str) -> bool:
    return ApiClient(secret).get("/api/v1/tickets/").status_code == 200


class TestMakingAToken:
    def test_only_the_hash_of_the_secret_is_stored_and_the_prefix_names_it(self, world):
        token, secret = make_token(world.hannah)
        assert secret.startswith("ccap_")
        assert len(secret) >= 40
        stored = ApiToken.objects.get(pk=token.pk)
        assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in str(vars(stored))
        assert secret.startswith(f"ccap_{stored.prefix}")
        created = AuditEvent.objects.for_object(token).get(kind=AuditKind.API_TOKEN_CREATED)
        assert secret not in str(created.after)
        assert secret not in created.note

    def test_an_expiry_is_required_in_the_future_and_at_most_the_maximum(self, world, settings):
        settings.API_TOKEN_MAX_DAYS = 30
        by = Actor.of(world.hannah)
        for days in (-1, 31):
            with pytest.raises(ValidationError):
                tokens.create_token(
                    by=by,
                    name="x",
                    scope=TokenScope.READ,
                    expires_at=timezone.now() + timedelta(days=days),
                    second_factor_passed=True,
                )

    def test_admin_scope_only_for_help_desk_and_administrators(self, world):
        with pytest.raises(ValidationError):
            make_token(world.pat.user, TokenScope.ADMIN)
        make_token(world.hannah, TokenScope.ADMIN)
        make_token(world.ada, TokenScope.ADMIN)

    def test_a_login_that_must_pass_a_second_factor_makes_one_only_after_it(self, world):
        with pytest.raises(PermissionDenied):
            tokens.create_token(
                by=Actor.of(world.hannah),
                name="x",
                scope=TokenScope.READ,
                expires_at=timezone.now() + timedelta(days=1),
                second_factor_passed=False,
            )

    def test_a_token_cannot_make_another(self, world):
        token, _secret = make_token(world.pat.user)
        with pytest.raises(PermissionDenied):
            tokens.create_token(
                by=Actor.of(world.pat.user).through_token(token.pk),
                name="x",
                scope=TokenScope.READ,
                expires_at=timezone.now() + timedelta(days=1),
                second_factor_passed=True,
            )


class TestUsingAToken:
    def test_a_live_token_authenticates_and_notes_its_last_use(self, world):
        token, secret = make_token(world.hannah)
        assert _works(secret)
        token.refresh_from_db()
        assert token.last_used_at is not None

    def test_a_wrong_expired_or_revoked_token_is_refused_with_401(self, world):
        token, secret = make_token(world.hannah)
        response = ApiClient(secret[:-2] + "xx").get("/api/v1/tickets/")
        assert response.status_code == 401
        assert response["Content-Type"] == "application/problem+json"
        assert response["WWW-Authenticate"].startswith("Bearer")
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
        assert not _works(secret)
        _other, secret2 = make_token(world.hannah)
        tokens.revoke_token(_other, by=Actor.of(world.hannah))
        assert not _works(secret2)

    def test_no_credentials_is_401(self, world):
        response = ApiClient(None).get("/api/v1/tickets/")
        assert response.status_code == 401

    def test_a_read_token_reads_but_does_not_write(self, world):
        ticket = th.submitted(world)
        _token, secret = make_token(world.hannah, TokenScope.READ)
        client = ApiClient(secret)
        read = client.get(f"/api/v1/tickets/{ticket.pk}/")
        assert read.status_code == 200
        wrote = client.post(
            f"/api/v1/tickets/{ticket.pk}/assign/",
            {"assignee": world.hannah.pk},
            **{"If-Match": read["ETag"]},
        )
        assert wrote.status_code == 403
        ticket.refresh_from_db()
        assert ticket.assignee is None

    def test_a_change_through_a_token_names_it_in_the_audit_row(self, world):
        ticket = th.submitted(world)
        token, secret = make_token(world.hannah)
        client = ApiClient(secret)
        etag = client.get(f"/api/v1/tickets/{ticket.pk}/")["ETag"]
        response = client.post(
            f"/api/v1/tickets/{ticket.pk}/assign/",
            {"assignee": world.hannah.pk},
            **{"If-Match": etag},
        )
        assert response.status_code == 200
        row = AuditEvent.objects.for_object(ticket).filter(kind=AuditKind.TRANSITION).first()
        assert row.via_token == token.pk
        assert row.actor == world.hannah

    def test_the_audit_chain_still_verifies_with_token_rows(self, world):
        from helpdesk.audit import verify

        th.submitted(world)
        make_token(world.hannah)
        assert verify().intact


class TestRevoking:
    def test_only_the_owner_revokes(self, world):
        token, _secret = make_token(world.pat.user)
        with pytest.raises(PermissionDenied):
            tokens.revoke_token(token, by=Actor.of(world.hannah))
        tokens.revoke_token(token, by=Actor.of(world.pat.user))
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert AuditEvent.objects.for_object(token).filter(kind=AuditKind.API_TOKEN_REVOKED)

    def test_a_departure_revokes_the_leavers_tokens(self, world):
        token, secret = make_token(world.pat.user)
        report_departure(
            world.pat,
            by=Actor.of(world.alex.user),
            kind="left",
            effective_on=date.today(),
            note="Left.",
        )
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert not _works(secret)

    def test_a_deactivation_revokes_the_logins_tokens(self, world):
        token, _secret = make_token(world.mike)
        deactivate_user(world.mike, by=Actor.system("test"), reason="Gone.")
        token.refresh_from_db()
        assert token.revoked_at is not None
        assert AuditEvent.objects.for_object(token).filter(kind=AuditKind.API_TOKEN_REVOKED)


class TestTheTokenPage:
    def test_make_list_and_revoke_from_the_page_the_secret_shown_once(self, client, world):
        client.force_login(world.hannah)
        page = reverse("api_tokens")
        expires = (timezone.localdate() + timedelta(days=10)).isoformat()
        made = client.post(page, {"name": "Sync", "scope": "read", "expires_on": expires})
        assert made.status_code == 200
        secret = made.context["secret"]
        assert secret in made.content.decode()
        token = ApiToken.objects.get(user=world.hannah)
        assert token.secret_hash == tokens.digest(secret)
        again = client.get(page)
        assert secret not in again.content.decode()
        assert token.prefix in again.content.decode()
        revoked = client.post(reverse("api_token_revoke", args=[token.pk]))
        assert revoked.status_code == 302
        token.refresh_from_db()
        assert token.revoked_at is not None

    def test_someone_elses_token_is_not_found(self, client, world):
        token, _secret = make_token(world.pat.user)
        client.force_login(world.hannah)
        response = client.post(reverse("api_token_revoke", args=[token.pk]))
        assert response.status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None

    def test_an_expiry_beyond_the_maximum_is_refused_on_the_page(self, client, world, settings):
        client.force_login(world.pat.user)
        far = (timezone.localdate() + timedelta(days=settings.API_TOKEN_MAX_DAYS + 5)).isoformat()
        response = client.post(
            reverse("api_tokens"), {"name": "x", "scope": "read", "expires_on": far}
        )
        assert response.status_code == 400
        assert not ApiToken.objects.exists()

    def test_a_session_owing_its_second_factor_makes_no_token(self, world):
        plain = Client()  # not past the second factor
        plain.force_login(world.hannah)
        expires = (timezone.localdate() + timedelta(days=10)).isoformat()
        plain.post(reverse("api_tokens"), {"name": "x", "scope": "read", "expires_on": expires})
        assert not ApiToken.objects.exists()
