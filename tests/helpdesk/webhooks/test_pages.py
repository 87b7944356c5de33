"""The webhooks pages: administrators only (every other role gets 403 on every route), the
secret shown once on creation, events changed, paused and resumed, deleted after asking, the
delivery log newest first and paged, with a resend for a failed delivery; each change audited."""

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from helpdesk.actor import Actor
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from helpdesk.webhooks import secrets, services

pytestmark = pytest.mark.django_db

URL = "https://hooks.example.org/ccap"


@pytest.fixture
def hook(subscribe):
    return subscribe(URL, ["ticket.created"]).subscription


def _delivery(subscription, status=DeliveryStatus.FAILED, **kw) -> WebhookDelivery:
    return WebhookDelivery.objects.create(
        subscription=subscription, event_type="ticket.created", body="{}", status=status, **kw
    )


def _routes(subscription, delivery) -> list[tuple[str, str]]:
    pk = subscription.pk
    return [
        ("get", reverse("webhook_list")),
        ("get", reverse("webhook_new")),
        ("post", reverse("webhook_new")),
        ("get", reverse("webhook_edit", args=[pk])),
        ("post", reverse("webhook_edit", args=[pk])),
        ("post", reverse("webhook_pause", args=[pk])),
        ("post", reverse("webhook_resume", args=[pk])),
        ("get", reverse("webhook_delete", args=[pk])),
        ("post", reverse("webhook_delete", args=[pk])),
        ("get", reverse("webhook_deliveries", args=[pk])),
        ("post", reverse("webhook_resend", args=[pk, delivery.pk])),
    ]


@pytest.mark.parametrize("persona", ["alice", "pat", "hannah", "mike"])
def test_every_other_role_is_refused_every_route(client, world, hook, persona):
    delivery = _delivery(hook)
    client.force_login(world.user(persona))
    for method, url in _routes(hook, delivery):
        data = {"url": "https://evil.example.org/", "event_types": ["ticket.created"]}
        answer = getattr(client, method)(url, data) if method == "post" else client.get(url)
        assert answer.status_code == 403, (persona, method, url)
    hook.refresh_from_db()
    assert (hook.url, hook.active) == (URL, True)
    assert WebhookSubscription.objects.count() == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED


def test_signed_out_visitors_are_sent_to_sign_in(client, world, hook):
    for method, url in _routes(hook, _delivery(hook)):
        answer = getattr(client, method)(url)
        assert answer.status_code == 302, url
        assert "/accounts/login/" in answer["Location"], url


def test_the_services_refuse_other_roles_too(world, hook):
    for persona in ("hannah", "pat"):
        by = Actor.of(world.user(persona))
        with pytest.raises(PermissionDenied, match="administrators"):
            services.create_subscription(by=by, url=URL, event_types=["ticket.created"])
        with pytest.raises(PermissionDenied, match="administrators"):
            services.pause(hook, by=by)
        with pytest.raises(PermissionDenied, match="administrators"):
            services.delete_subscription(hook, by=by)
        with pytest.raises(PermissionDenied, match="administrators"):
            services.resend(_delivery(hook), by=by)


def test_the_navigation_shows_webhooks_to_administrators_only(client, world):
    client.force_login(world.ada)
    assert reverse("webhook_list") in client.get(reverse("home")).content.decode()
    client.force_login(world.hannah)
    assert reverse("webhook_list") not in client.get(reverse("home")).content.decode()


def test_a_new_webhook_shows_its_secret_once(client, world, webhook_settings):
    webhook_settings.WEBHOOK_ALLOW_HTTP = False
    client.force_login(world.ada)
    answer = client.post(
        reverse("webhook_new"),
        {
            "url": URL,
            "description": "Reporting",
            "event_types": ["ticket.created", "notice.published"],
        },
    )
    assert answer.status_code == 201
    assert "no-store" in answer["Cache-Control"]
    subscription = WebhookSubscription.objects.get()
    secret = secrets.decrypt(subscription.secret_encrypted)
    assert secret in answer.content.decode()
    assert subscription.event_types == ["ticket.created", "notice.published"]
    assert subscription.created_by == world.ada
    audit = AuditEvent.objects.get(kind=AuditKind.CREATED, target_id=str(subscription.pk))
    assert audit.after["url"] == URL
    assert secret[6:] not in str(audit.after)
    # Never again: not on the list, not on its page.
    for url in (reverse("webhook_list"), reverse("webhook_edit", args=[subscription.pk])):
        assert secret not in client.get(url).content.decode()


def test_a_refused_address_is_shown_on_the_form_with_what_was_typed(client, world, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    client.force_login(world.ada)
    answer = client.post(
        reverse("webhook_new"),
        {"url": "http://hooks.example.org/x", "event_types": ["ticket.created"]},
    )
    assert answer.status_code == 400
    page = answer.content.decode()
    assert "https://" in page
    assert 'value="http://hooks.example.org/x"' in page
    assert WebhookSubscription.objects.count() == 0


def test_changing_the_events_is_audited(client, world, hook):
    client.force_login(world.ada)
    assert client.get(reverse("webhook_edit", args=[hook.pk])).status_code == 200
    answer = client.post(
        reverse("webhook_edit", args=[hook.pk]),
        {"url": URL, "event_types": ["notice.published", "notice.resolved"]},
    )
    assert answer.status_code == 302
    hook.refresh_from_db()
    assert hook.event_types == ["notice.published", "notice.resolved"]
    audit = AuditEvent.objects.get(kind=AuditKind.CHANGED)
    assert audit.before["event_types"] == ["ticket.created"]
    assert audit.after["event_types"] == ["notice.published", "notice.resolved"]


def test_pause_and_resume_from_the_list(client, world, hook):
    client.force_login(world.ada)
    assert (
        'action="{}"'.format(reverse("webhook_pause", args=[hook.pk]))
        in client.get(reverse("webhook_list")).content.decode()
    )
    client.post(reverse("webhook_pause", args=[hook.pk]))
    hook.refresh_from_db()
    assert not hook.active
    assert "Paused" in client.get(reverse("webhook_list")).content.decode()
    client.post(reverse("webhook_resume", args=[hook.pk]))
    hook.refresh_from_db()
    assert hook.active
    kinds = set(AuditEvent.objects.values_list("kind", flat=True))
    assert {AuditKind.WEBHOOK_PAUSED, AuditKind.WEBHOOK_RESUMED} <= kinds


def test_delete_asks_first_then_deletes_with_the_log(client, world, hook):
    _delivery(hook)
    client.force_login(world.ada)
    asked = client.get(reverse("webhook_delete", args=[hook.pk]))
    assert asked.status_code == 200
    assert "cannot be undone" in asked.content.decode()
    assert WebhookSubscription.objects.count() == 1
    client.post(reverse("webhook_delete", args=[hook.pk]))
    assert WebhookSubscription.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0
    audit = AuditEvent.objects.get(kind=AuditKind.DELETED)
    assert audit.before["url"] == URL
    assert audit.before["deliveries"] == 1


def test_the_delivery_log_is_newest_first_paged_with_resend_for_failures(
    client, world, hook, django_capture_on_commit_callbacks
):
    old = _delivery(hook, status=DeliveryStatus.FAILED, error="The receiver answered 500.")
    for _ in range(25):
        _delivery(hook, status=DeliveryStatus.DELIVERED, status_code=200)
    client.force_login(world.ada)
    first = client.get(reverse("webhook_deliveries", args=[hook.pk])).content.decode()
    resend = reverse("webhook_resend", args=[hook.pk, old.pk])
    shown = f"<code>{old.webhook_id}</code>"
    assert shown not in first
    assert resend not in first
    second = client.get(reverse("webhook_deliveries", args=[hook.pk]), {"page": 2})
    page = second.content.decode()
    assert shown in page
    assert resend in page
    assert "The receiver answered 500." in page

    with django_capture_on_commit_callbacks():  # queued, not run: hooks.example.org is no one
        client.post(resend)
    old.refresh_from_db()
    assert old.status == DeliveryStatus.PENDING
    assert AuditEvent.objects.filter(kind=AuditKind.WEBHOOK_RESENT).count() == 1


def test_another_subscriptions_delivery_is_not_resent_through_this_one(client, world, subscribe):
    mine = subscribe(URL, ["ticket.created"]).subscription
    theirs = subscribe(URL + "/other", ["ticket.created"]).subscription
    delivery = _delivery(theirs)
    client.force_login(world.ada)
    answer = client.post(reverse("webhook_resend", args=[mine.pk, delivery.pk]))
    assert answer.status_code == 404
