"""The webhooks' django-q2 tasks (thin: the services hold the rules)."""

from helpdesk.webhooks import services


def deliver(delivery_id: int) -> str:
    return services.deliver(delivery_id)


def deliver_overdue() -> int:
    return services.deliver_overdue()
