"""Webhook deliveries end to end: signed per the Standard Webhooks headers and checked by a real
receiver the way a subscriber would, recorded in the event's transaction and sent only after
its commit, retried on the backoff schedule (time moved, not slept) within 24 hours, the
subscription paused after repeated failures, resent, and never sent to a private address."""

import json
import logging
import socket
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from helpdesk.actor import Actor
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    DeliveryStatus,
    WebhookDelivery,
    WebhookSubscription,
)
from helpdesk.webhooks import addresses, services
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.webhooks.conftest import subscriber_verifies

pytestmark = pytest.mark.django_db


def _report(world, capture):
    """An agency user reports a problem (``ticket.created``), the after-commit work run."""
    with capture(execute=True):
        return th.reported(world)


# --- Signed, after commit -------------------------------------------------------------------------


def test_an_event_reaches_the_receiver_signed_as_the_standard_says(
    world, receiver, subscribe, django_capture_on_commit_callbacks
):
    created = subscribe(receiver.url, ["ticket.created"])
    ticket = _report(world, django_capture_on_commit_callbacks)

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got.path == "/hooks/ccap"
    assert got.headers["content-type"] == "application/json"
    assert subscriber_verifies(created.secret, got.headers, got.body)
    # A subscriber holding another secret, or reading a changed body, rejects it.
    other = services.create_subscription(
        by=Actor.of(world.ada), url=receiver.url, event_types=["notice.published"]
    )
    assert not subscriber_verifies(other.secret, got.headers, got.body)
    assert not subscriber_verifies(created.secret, got.headers, got.body.replace(b"}", b" }"))
    delivery = WebhookDelivery.objects.get()
    assert got.headers["webhook-id"] == f"msg_{delivery.pk}"
    assert abs(int(got.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 300
    payload = got.json()
    assert payload["type"] == "ticket.created"
    assert payload["data"]["tracking_number"] == ticket.tracking_number
    assert payload["data"]["office_id"] == world.office.pk
    assert payload["data"]["agency_id"] == world.office.agency_id
    assert delivery.status == DeliveryStatus.DELIVERED
    assert (delivery.attempts, delivery.status_code, delivery.response_excerpt) == (1, 200, "ok")


def test_nothing_is_recorded_or_sent_for_a_change_rolled_back(
    world, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe(receiver.url)
    recorded = []

    def change_then_fail() -> None:
        with transaction.atomic():
            th.reported(world)
            recorded.append(WebhookDelivery.objects.count())  # recorded with the change...
            raise RuntimeError("the change fails after the event")

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
    ):
        change_then_fail()
    assert recorded == [1]
    assert WebhookDelivery.objects.count() == 0  # ...and gone with it
    assert receiver.received == []
    assert callbacks == []


def test_nothing_leaves_before_the_commit(world, receiver, subscribe):
    subscribe(receiver.url, ["ticket.created"])
    th.reported(world)  # the test's transaction never commits
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING
    assert receiver.received == []


def test_only_the_subscribed_types_of_active_subscriptions_are_recorded(world, receiver, subscribe):
    wanted = subscribe(receiver.url, ["ticket.created"]).subscription
    subscribe(receiver.url, ["notice.published"])
    paused = subscribe(receiver.url, ["ticket.created"]).subscription
    services.pause(paused, by=Actor.of(world.ada))
    th.reported(world)
    assert [d.subscription for d in WebhookDelivery.objects.all()] == [wanted]


# --- Retries --------------------------------------------------------------------------------------


def test_a_failing_receiver_is_tried_again_on_the_backoff_schedule_then_given_up(
    world, receiver, subscribe, django_capture_on_commit_callbacks
):
    receiver.answer(500, b"down for maintenance")
    subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    gaps = []
    while delivery.status == DeliveryStatus.PENDING:
        assert delivery.next_attempt_at is not None
        assert Schedule.objects.filter(
            func="helpdesk.webhooks.tasks.deliver", args=f"({delivery.pk},)"
        ).exists()
        gaps.append(round((delivery.next_attempt_at - delivery.last_attempt_at).total_seconds()))
        with time_machine.travel(delivery.next_attempt_at, tick=False):
            assert services.deliver(delivery.pk) in ("pending", "failed")
        delivery.refresh_from_db()
    assert gaps == [5, 300, 1800, 7200, 18000, 36000]
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 7 == len(receiver.received)
    assert delivery.status_code == 500
    assert delivery.response_excerpt == "down for maintenance"
    assert "500" in delivery.error
    # The same message each time: the same id, the same body.
    assert {r.headers["webhook-id"] for r in receiver.received} == {f"msg_{delivery.pk}"}
    assert {r.body for r in receiver.received} == {delivery.body.encode()}


def test_no_attempt_is_made_past_24_hours(
    world, receiver, subscribe, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.WEBHOOK_RETRY_DELAYS = [5, 23 * 3600, 3600]
    receiver.answer(503)
    subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert services.deliver(delivery.pk) == "pending"  # the next falls within 24 hours
    delivery.refresh_from_db()
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        # 23 hours and 5 seconds in: one hour more would be past the window.
        assert services.deliver(delivery.pk) == "failed"
    assert len(receiver.received) == 3


def test_a_timeout_or_a_closed_port_is_a_failed_attempt(world, subscribe):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscribe(f"http://127.0.0.1:{port}/", ["ticket.created"])
    th.reported(world)
    delivery = WebhookDelivery.objects.get()
    assert services.deliver(delivery.pk) == "pending"
    delivery.refresh_from_db()
    assert "ConnectionRefusedError" in delivery.error
    assert delivery.status_code is None


def test_a_redirect_is_not_followed(world, receiver, subscribe, django_capture_on_commit_callbacks):
    receiver.answer(307, Location=receiver.url + "/elsewhere")
    subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    assert [r.path for r in receiver.received] == ["/hooks/ccap"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.status_code) == (DeliveryStatus.PENDING, 307)


def test_a_delivery_is_sent_once_even_when_its_task_runs_twice(
    world, receiver, subscribe, django_capture_on_commit_callbacks
):
    subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    pk = WebhookDelivery.objects.get().pk
    assert services.deliver(pk) == "nothing to send"
    assert len(receiver.received) == 1


def test_a_task_run_again_before_the_retry_is_due_sends_nothing(
    world, receiver, subscribe, django_capture_on_commit_callbacks
):
    receiver.answer(500)
    subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert services.deliver(delivery.pk) == "nothing to send"  # due in 5 seconds, not now
    delivery.refresh_from_db()
    assert delivery.attempts == 1
    assert len(receiver.received) == 1


def test_a_lost_task_is_queued_again_by_the_sweep(world, receiver, subscribe, webhook_settings):
    subscribe(receiver.url, ["ticket.created"])
    th.reported(world)  # recorded; its task never ran (the commit never came)
    assert services.deliver_overdue() == 0  # not yet long past due
    later = timezone.now() + timedelta(seconds=webhook_settings.WEBHOOK_STALE_AFTER_SECONDS + 1)
    with time_machine.travel(later, tick=False):
        assert services.deliver_overdue() == 1  # the test cluster runs the task at once
    assert WebhookDelivery.objects.get().status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 1


# --- Pausing, resuming, resending -----------------------------------------------------------------


def test_repeated_failures_pause_the_subscription_audited_and_administrators_hear(
    world, receiver, subscribe, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.WEBHOOK_RETRY_DELAYS = []  # each first failure is the last
    webhook_settings.WEBHOOK_PAUSE_AFTER_FAILURES = 3
    receiver.answer(500)
    subscription = subscribe(receiver.url, ["ticket.created"]).subscription
    for _ in range(2):
        _report(world, django_capture_on_commit_callbacks)
    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures) == (True, 2)
    mail.outbox.clear()

    _report(world, django_capture_on_commit_callbacks)

    subscription.refresh_from_db()
    assert not subscription.active
    assert subscription.consecutive_failures == 3
    assert "3 deliveries in a row failed" in subscription.paused_reason
    audit = AuditEvent.objects.get(kind=AuditKind.WEBHOOK_PAUSED)
    assert audit.actor is None
    assert "failed repeatedly" in audit.note
    [notice] = [m for m in mail.outbox if "webhook" in m.subject]
    assert notice.to == [world.ada.email]
    assert receiver.url in notice.subject
    assert f"/webhooks/{subscription.pk}/deliveries/" in notice.body
    # Paused: the next event is not even recorded.
    _report(world, django_capture_on_commit_callbacks)
    assert WebhookDelivery.objects.count() == 3


def test_a_delivery_that_succeeds_sets_the_failure_count_back(
    world, receiver, subscribe, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.WEBHOOK_RETRY_DELAYS = []
    webhook_settings.WEBHOOK_PAUSE_AFTER_FAILURES = 2
    subscription = subscribe(receiver.url, ["ticket.created"]).subscription
    receiver.answers = [(500, {}, b""), (200, {}, b""), (500, {}, b"")]
    for _ in range(3):
        _report(world, django_capture_on_commit_callbacks)
    subscription.refresh_from_db()
    assert (subscription.active, subscription.consecutive_failures) == (True, 1)


def test_pending_deliveries_wait_while_paused_and_go_on_resume(
    world, receiver, subscribe, django_capture_on_commit_callbacks
):
    receiver.answer(500)
    subscription = subscribe(receiver.url, ["ticket.created"]).subscription
    _report(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    services.pause(subscription, by=Actor.of(world.ada), reason="Their server moves.")
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert services.deliver(delivery.pk) == "nothing to send"
    assert len(receiver.received) == 1

    receiver.answer(204)
    later = timezone.now() + timedelta(days=3)  # long past the first 24 hours
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.resume(subscription, by=Actor.of(world.ada))
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert len(receiver.received) == 2
    kinds = list(
        AuditEvent.objects.filter(kind__startswith="webhook_")
        .order_by("seq")
        .values_list("kind", flat=True)
    )
    assert kinds == [AuditKind.WEBHOOK_PAUSED, AuditKind.WEBHOOK_RESUMED]


def test_a_failed_delivery_is_resent_as_the_same_message(
    world, receiver, subscribe, webhook_settings, django_capture_on_commit_callbacks
):
    webhook_settings.WEBHOOK_RETRY_DELAYS = []
    receiver.answers = [(500, {}, b""), (200, {}, b"")]
    created = subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED

    with django_capture_on_commit_callbacks(execute=True):
        services.resend(delivery, by=Actor.of(world.ada))

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    first, second = receiver.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert first.body == second.body
    assert subscriber_verifies(created.secret, second.headers, second.body)
    assert AuditEvent.objects.filter(kind=AuditKind.WEBHOOK_RESENT).count() == 1
    with pytest.raises(services.ValidationError):
        services.resend(delivery, by=Actor.of(world.ada))  # delivered: nothing to resend


# --- The address rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]", "localhost", "intranet.example"],
)
def test_a_private_or_loopback_address_is_refused_at_send_time(
    world, receiver, subscribe, webhook_settings, monkeypatch, host
):
    port = receiver.url.split(":")[2].split("/")[0]
    real = socket.getaddrinfo

    def fake_dns(name, *args, **kwargs):
        if name == "intranet.example":  # a public-looking name that resolves inside
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", int(port)))]
        return real(name, *args, **kwargs)

    monkeypatch.setattr(addresses.socket, "getaddrinfo", fake_dns)
    subscribe(f"http://{host}:{port}/hooks/ccap", ["ticket.created"])  # allowed when made
    webhook_settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    th.reported(world)
    delivery = WebhookDelivery.objects.get()

    assert services.deliver(delivery.pk) == "failed"  # at once: retrying cannot help

    delivery.refresh_from_db()
    assert delivery.error.startswith("Refused:")
    assert "not a public address" in delivery.error
    assert receiver.received == []


def test_the_address_rule_names_every_kind_of_inside_address():
    import ipaddress

    inside = [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",  # noqa: S104
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::",
    ]
    for text in inside:
        assert not addresses.is_public(ipaddress.ip_address(text)), text
    for text in ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"]:
        assert addresses.is_public(ipaddress.ip_address(text)), text


def test_a_literal_private_address_or_plain_http_is_refused_when_subscribing(world, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    by = Actor.of(world.ada)
    cases = {
        "http://hooks.example.org/": "https://",
        "https://10.0.0.5/hook": "public addresses",
        "https://[::1]/hook": "public addresses",
        "https://user:pw@hooks.example.org/": "user name",
        "ftp://hooks.example.org/": "https://",
    }
    for url, message in cases.items():
        with pytest.raises(services.ValidationError) as refused:
            services.create_subscription(by=by, url=url, event_types=["ticket.created"])
        assert message in str(refused.value), url
    assert WebhookSubscription.objects.count() == 0


# --- The secret -----------------------------------------------------------------------------------


def test_the_secret_is_stored_encrypted_and_never_logged(
    world, receiver, subscribe, settings, caplog, django_capture_on_commit_callbacks
):
    import base64

    from cryptography.fernet import InvalidToken

    from helpdesk.webhooks import secrets

    caplog.set_level(logging.DEBUG)
    receiver.answer(500)
    created = subscribe(receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)

    secret = created.secret
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 24
    row = WebhookSubscription.objects.values().get()
    assert secret not in json.dumps(row, default=str)
    assert secret[6:] not in json.dumps(row, default=str)
    assert secrets.decrypt(row["secret_encrypted"]) == secret
    for event in AuditEvent.objects.all():
        assert secret[6:] not in json.dumps([event.before, event.after, event.note])
    assert secret[6:] not in caplog.text
    # The failed attempt was logged, without the secret.
    assert WebhookDelivery.objects.get().webhook_id in caplog.text
    # The key comes from the settings: another key cannot read it.
    settings.WEBHOOK_SECRET_KEY = "another key"
    with pytest.raises(InvalidToken):
        secrets.decrypt(row["secret_encrypted"])


# --- https ----------------------------------------------------------------------------------------


def test_https_verifies_the_certificate_for_the_urls_name(
    world, tls_receiver, subscribe, authority, monkeypatch, django_capture_on_commit_callbacks
):
    """Over https the connection goes to the checked address, with the certificate checked
    for the URL's host name: a certificate nobody trusts is a failed attempt; once its
    authority is trusted, the message arrives."""
    import ssl

    from helpdesk.webhooks import send

    created = subscribe(tls_receiver.url, ["ticket.created"])
    _report(world, django_capture_on_commit_callbacks)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING
    assert "CERTIFICATE_VERIFY_FAILED" in delivery.error
    assert tls_receiver.received == []

    trusting = ssl.create_default_context(cafile=str(authority.ca_file))
    monkeypatch.setattr(send.ssl, "create_default_context", lambda: trusting)
    with time_machine.travel(delivery.next_attempt_at, tick=False):
        assert services.deliver(delivery.pk) == "delivered"
    [got] = tls_receiver.received
    assert got.headers["host"].startswith("localhost:")
    assert subscriber_verifies(created.secret, got.headers, got.body)
