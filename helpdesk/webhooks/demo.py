"""The demo's webhook: one subscription, paused (example.org receives nothing), so its pages
have something to show."""

from helpdesk.actor import Actor
from helpdesk.events import EVENT_TYPES
from helpdesk.models import User, WebhookSubscription
from helpdesk.webhooks import services

DEMO_URL = "https://hooks.example.org/ccap-demo"


def seed_demo_webhooks() -> int:
    if WebhookSubscription.objects.filter(url=DEMO_URL).exists():
        return 0
    by = Actor.of(User.objects.get(username="admin"))
    created = services.create_subscription(
        by=by,
        url=DEMO_URL,
        event_types=list(EVENT_TYPES),
        description="Demo: the state's reporting system (example.org receives nothing).",
    )
    services.pause(created.subscription, by=by, reason="Demo: example.org receives nothing.")
    return 1
