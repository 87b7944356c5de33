"""Heartbeats: when each background duty last did its work, one row each (``Heartbeat``).
The worker's schedule beats ``worker`` every minute (``beat_worker``); the mail intake beats
``mail_poll`` after a pass that fetched without an error. ``/readyz`` and ``/metrics`` read
their age."""

from datetime import datetime

from django.utils import timezone

from helpdesk.models import Heartbeat

WORKER = "worker"
MAIL_POLL = "mail_poll"


def beat(name: str) -> None:
    """Record that ``name`` did its work now (one UPDATE, or the row's first INSERT)."""
    now = timezone.now()
    if not Heartbeat.objects.filter(name=name).update(at=now):
        Heartbeat.objects.update_or_create(name=name, defaults={"at": now})


def beat_worker() -> None:
    """The worker's scheduled task: the worker is alive and takes tasks off the queue."""
    beat(WORKER)


def last_beats() -> dict[str, datetime]:
    return dict(Heartbeat.objects.values_list("name", "at"))
