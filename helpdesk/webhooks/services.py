"""Webhook use cases: the administrators' (create, change, pause, resume, delete, resend), each
checked and audited here so the pages and the REST API share them; the listener that records
a delivery per subscribed event; and the django-q2 task that sends one.

**Recording.** ``on_event`` hears every event (``helpdesk.events``) in the transaction that
made it, and writes one ``WebhookDelivery`` per active subscription to its type, with the body
as it will be signed; the send is queued after the commit. A rolled-back change leaves no
delivery and sends nothing. A paused subscription gets no new deliveries.

**Sending.** ``deliver(id)`` claims the pending row with a conditional UPDATE (counting the
attempt; a paused subscription's rows are not claimed, and wait for the resume), POSTs the body
with the Standard Webhooks headers to the address checked at that moment
(``addresses.resolve``), and records the answer. A 2xx is delivered. Anything else (another
status, a timeout, a refused connection) is tried again after
``settings.WEBHOOK_RETRY_DELAYS[attempt - 1]`` seconds (a one-off django-q2 schedule), as long
as that falls within ``WEBHOOK_RETRY_WINDOW_SECONDS`` (24 hours) of the window's start; then
the delivery has failed. A refused address fails at once (retrying cannot make it public).

**Pausing.** Each delivery that fails for good counts on its subscription, a delivered one sets
the count back to 0; at ``WEBHOOK_PAUSE_AFTER_FAILURES`` in a row the subscription is paused,
audited, and the administrators are emailed. Its pending deliveries wait; resuming starts
their 24 hours again and queues them.
"""

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.roles import Role
from helpdesk.directory.selectors import role_addresses
from helpdesk.events import EVENT_TYPES, Event
from helpdesk.lib.background import enqueue, enqueue_at, enqueue_on_commit
from helpdesk.models import AuditKind, DeliveryStatus, WebhookDelivery, WebhookSubscription
from helpdesk.models.webhooks import ERROR_LENGTH, RESPONSE_EXCERPT_LENGTH
from helpdesk.webhooks import secrets
from helpdesk.webhooks.addresses import RefusedAddressError, check_url
from helpdesk.webhooks.permissions import require_webhook_manager
from helpdesk.webhooks.send import post

log = logging.getLogger(__name__)
DELIVER = "helpdesk.webhooks.tasks.deliver"
OVERDUE_BATCH = 500
AUTO_PAUSE = Actor.system("webhook deliveries failed repeatedly")


# --- The administrators' use cases ----------------------------------------------------------------


@dataclass(frozen=True)
class Created:
    subscription: WebhookSubscription
    secret: str  # in clear: shown once, to the administrator who created it, and kept nowhere


def _snapshot(subscription: WebhookSubscription) -> dict[str, Any]:
    """What the audit keeps of a subscription (never the secret, encrypted or not)."""
    return {
        "url": subscription.url,
        "description": subscription.description,
        "event_types": list(subscription.event_types),
        "active": subscription.active,
    }


def _clean(url: str, event_types: list[str]) -> tuple[str, list[str]]:
    url = url.strip()
    errors: dict[str, list[str]] = {}
    try:
        check_url(url)
    except ValidationError as error:
        errors["url"] = error.messages
    chosen = [t for t in EVENT_TYPES if t in set(event_types)]
    if not chosen or set(event_types) - set(EVENT_TYPES):
        errors["event_types"] = [_("Choose the events to send.")]
    if errors:
        raise ValidationError(errors)
    return url, chosen


@transaction.atomic
def create_subscription(
    *, by: Actor, url: str, event_types: list[str], description: str = ""
) -> Created:
    require_webhook_manager(by.user)
    url, chosen = _clean(url, event_types)
    secret = secrets.new_secret()
    subscription = WebhookSubscription.objects.create(
        url=url,
        description=description.strip(),
        event_types=chosen,
        secret_encrypted=secrets.encrypt(secret),
        created_by=by.user,
    )
    record(AuditKind.CREATED, actor=by, target=subscription, after=_snapshot(subscription))
    return Created(subscription, secret)


@transaction.atomic
def update_subscription(
    subscription: WebhookSubscription,
    *,
    by: Actor,
    url: str,
    event_types: list[str],
    description: str = "",
) -> WebhookSubscription:
    require_webhook_manager(by.user)
    url, chosen = _clean(url, event_types)
    row = _lock(subscription)
    before = _snapshot(row)
    row.url, row.event_types, row.description = url, chosen, description.strip()
    row.save(update_fields=["url", "event_types", "description", "updated_at"])
    after = _snapshot(row)
    if after != before:
        record(AuditKind.CHANGED, actor=by, target=row, before=before, after=after)
    return row


@transaction.atomic
def pause(subscription: WebhookSubscription, *, by: Actor, reason: str = "") -> WebhookSubscription:
    """Stop sending: no new deliveries, and the pending ones wait for the resume."""
    if not by.is_system:
        require_webhook_manager(by.user)
    row = _lock(subscription)
    if not row.active:
        return row
    row.active, row.paused_at = False, timezone.now()
    row.paused_reason = (reason or _("Paused by an administrator."))[:300]
    row.save(update_fields=["active", "paused_at", "paused_reason", "updated_at"])
    record(
        AuditKind.WEBHOOK_PAUSED,
        actor=by,
        target=row,
        before={"active": True},
        after={"active": False},
        note=row.paused_reason,
    )
    return row


@transaction.atomic
def resume(subscription: WebhookSubscription, *, by: Actor) -> WebhookSubscription:
    """Send again: the failure count starts at 0, and each pending delivery gets a new 24
    hours, from now."""
    require_webhook_manager(by.user)
    row = _lock(subscription)
    if row.active:
        return row
    row.active, row.paused_at, row.paused_reason, row.consecutive_failures = True, None, "", 0
    row.save(
        update_fields=["active", "paused_at", "paused_reason", "consecutive_failures", "updated_at"]
    )
    now = timezone.now()
    waiting = list(
        row.deliveries.filter(status=DeliveryStatus.PENDING).values_list("pk", flat=True)
    )
    WebhookDelivery.objects.filter(pk__in=waiting).update(
        window_started_at=now, next_attempt_at=now
    )
    for pk in waiting:
        enqueue_on_commit(DELIVER, pk)
    record(
        AuditKind.WEBHOOK_RESUMED,
        actor=by,
        target=row,
        before={"active": False},
        after={"active": True},
        note=f"{len(waiting)} pending deliveries queued again." if waiting else "",
    )
    return row


@transaction.atomic
def delete_subscription(subscription: WebhookSubscription, *, by: Actor) -> None:
    """The subscription and its delivery log go; the audit keeps what it was."""
    require_webhook_manager(by.user)
    row = _lock(subscription)
    before = _snapshot(row) | {"deliveries": row.deliveries.count()}
    record(AuditKind.DELETED, actor=by, target=row, before=before)
    row.delete()


@transaction.atomic
def resend(delivery: WebhookDelivery, *, by: Actor) -> WebhookDelivery:
    """Send a failed delivery again, as the same message (same ``webhook-id`` and body), with
    a new 24 hours of retries."""
    require_webhook_manager(by.user)
    row = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if row.status != DeliveryStatus.FAILED:
        raise ValidationError(_("Only a failed delivery is sent again."))
    now = timezone.now()
    row.status, row.window_started_at, row.next_attempt_at = DeliveryStatus.PENDING, now, now
    row.save(update_fields=["status", "window_started_at", "next_attempt_at"])
    record(
        AuditKind.WEBHOOK_RESENT,
        actor=by,
        target=row,
        before={"status": DeliveryStatus.FAILED},
        after={"status": DeliveryStatus.PENDING},
        note=f"{row.event_type} to {row.subscription.url}",
    )
    enqueue_on_commit(DELIVER, row.pk)
    return row


def _lock(subscription: WebhookSubscription) -> WebhookSubscription:
    return WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)


# --- Recording the events -------------------------------------------------------------------------


def on_event(event: Event) -> None:
    """The listener (registered in ``helpdesk.apps``): one delivery per active subscription to
    the event's type, in the caller's transaction; each sent after the commit."""
    on_events([event])


def on_events(events: Sequence[Event]) -> None:
    """``on_event`` for a batch's events: the subscriptions read once for all of them."""
    active = list(WebhookSubscription.objects.filter(active=True).only("pk", "event_types"))
    if not active:
        return
    now = timezone.now()
    for event in events:
        subscribed = [s for s in active if event.type in s.event_types]
        if not subscribed:
            continue
        body = json.dumps(event.payload(), separators=(",", ":"), sort_keys=True)
        for subscription in subscribed:
            delivery = WebhookDelivery.objects.create(
                subscription=subscription,
                event_type=event.type,
                body=body,
                created_at=now,
                window_started_at=now,
                next_attempt_at=now,
            )
            enqueue_on_commit(DELIVER, delivery.pk)


# --- Sending --------------------------------------------------------------------------------------


def headers_for(delivery: WebhookDelivery, secret: str, at: datetime) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "Content-Type": "application/json",
        "User-Agent": "CCAP-Help-Desk-Webhooks/1",
        "webhook-id": delivery.webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": secrets.sign(secret, delivery.webhook_id, timestamp, delivery.body),
    }


def deliver(delivery_id: int) -> str:
    """The django-q2 task: one attempt at one pending delivery (module docstring). Returns
    "delivered", "pending" (a retry is scheduled), "failed", or "nothing to send" (delivered
    or failed already, being sent by another run, or its subscription paused)."""
    now = timezone.now()
    with transaction.atomic():
        # Due now (a task run twice after a failed attempt must not retry early), pending, of
        # an active subscription.
        claimed = WebhookDelivery.objects.filter(
            pk=delivery_id,
            status=DeliveryStatus.PENDING,
            subscription__active=True,
            next_attempt_at__lte=now,
        ).update(attempts=F("attempts") + 1, last_attempt_at=now)
        if not claimed:
            return "nothing to send"
        row = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
        subscription = row.subscription
        try:
            secret = secrets.decrypt(subscription.secret_encrypted)
            answer = post(
                subscription.url,
                row.body.encode(),
                headers_for(row, secret, now),
                timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            )
        except RefusedAddressError as error:
            return _failed(row, f"Refused: {error}", retry=False)
        except Exception as error:  # noqa: BLE001  (any failure is an attempt, recorded)
            return _failed(row, f"{type(error).__name__}: {error}")
        row.status_code = answer.status
        row.response_excerpt = answer.body[:RESPONSE_EXCERPT_LENGTH]
        if not answer.ok:
            return _failed(row, _("The receiver answered %(status)s.") % {"status": answer.status})
        row.status, row.delivered_at, row.next_attempt_at, row.error = (
            DeliveryStatus.DELIVERED,
            timezone.now(),
            None,
            "",
        )
        row.save(
            update_fields=[
                "status",
                "delivered_at",
                "next_attempt_at",
                "error",
                "status_code",
                "response_excerpt",
            ]
        )
        WebhookSubscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
    return "delivered"


def next_attempt_at(delivery: WebhookDelivery, now: datetime) -> datetime | None:
    """When the next attempt is due after ``delivery.attempts`` failed ones, or None when
    there is none (the delays are used up, or it would fall past the window)."""
    delays = settings.WEBHOOK_RETRY_DELAYS
    if delivery.attempts > len(delays):
        return None
    due = now + timedelta(seconds=delays[delivery.attempts - 1])
    window_ends = delivery.window_started_at + timedelta(
        seconds=settings.WEBHOOK_RETRY_WINDOW_SECONDS
    )
    return due if due <= window_ends else None


def _failed(row: WebhookDelivery, error: str, *, retry: bool = True) -> str:
    row.error = error[:ERROR_LENGTH]
    due = next_attempt_at(row, timezone.now()) if retry else None
    row.next_attempt_at = due
    if due is None:
        row.status = DeliveryStatus.FAILED
        log.warning(
            "Webhook delivery %s to subscription %s failed after %d attempts: %s",
            row.webhook_id,
            row.subscription_id,
            row.attempts,
            row.error,
        )
    else:
        enqueue_at(DELIVER, row.pk, at=due)
        log.info(
            "Webhook delivery %s: attempt %d failed, next at %s: %s",
            row.webhook_id,
            row.attempts,
            due.isoformat(),
            row.error,
        )
    row.save(
        update_fields=["status", "error", "next_attempt_at", "status_code", "response_excerpt"]
    )
    if due is None:
        _count_failure(row.subscription)
    return row.status


def _count_failure(subscription: WebhookSubscription) -> None:
    """One more delivery failed for good; pause the subscription at the limit."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    subscription.refresh_from_db(fields=["consecutive_failures", "active"])
    limit = settings.WEBHOOK_PAUSE_AFTER_FAILURES
    if not subscription.active or subscription.consecutive_failures < limit:
        return
    reason = _("%(count)s deliveries in a row failed.") % {
        "count": subscription.consecutive_failures
    }
    paused = pause(subscription, by=AUTO_PAUSE, reason=reason)
    assert paused.paused_at is not None
    emails.queue(
        "webhook_paused",
        to=role_addresses(Role.ADMINISTRATOR),
        key=f"webhook:{paused.pk}:paused:{int(paused.paused_at.timestamp())}",
        context={"subscription": paused, "failures": paused.consecutive_failures},
    )


def deliver_overdue() -> int:
    """The worker's schedule: queue again every pending delivery of an active subscription
    long past due (its task was lost with a killed worker, or the Redis broker dropped it)."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.WEBHOOK_STALE_AFTER_SECONDS)
    with transaction.atomic():
        overdue = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=DeliveryStatus.PENDING,
                subscription__active=True,
                next_attempt_at__lte=stale,
            )
            .order_by("next_attempt_at")
            .values_list("pk", flat=True)[:OVERDUE_BATCH]
        )
        WebhookDelivery.objects.filter(pk__in=overdue).update(next_attempt_at=now)
    for pk in overdue:
        enqueue(DELIVER, pk)
    if overdue:
        log.warning("Webhooks: %d overdue deliveries queued again", len(overdue))
    return len(overdue)
