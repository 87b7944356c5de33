"""Reads of the webhooks, scoped by who asks: administrators see every subscription and its
deliveries; anyone else nothing."""

from django.db.models import Count, Q, QuerySet

from helpdesk.actor import Actor
from helpdesk.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from helpdesk.webhooks.permissions import may_manage_webhooks


def subscriptions_for(actor: Actor) -> QuerySet[WebhookSubscription]:
    if not may_manage_webhooks(actor.user):
        return WebhookSubscription.objects.none()
    return WebhookSubscription.objects.select_related("created_by").annotate(
        failed_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.FAILED)),
        pending_count=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
    )


def deliveries_of(subscription: WebhookSubscription) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first (the caller found ``subscription`` through
    ``subscriptions_for``)."""
    return subscription.deliveries.order_by("-created_at", "-pk")
