"""``/readyz``: is this process ready to serve? The database and the task broker answer
(either failing makes it 503), and, for the operator to read, how long ago the worker beat its
heartbeat and the mail intake finished a good pass (``helpdesk.lib.heartbeats``).

A check never reports a secret: a failure is named by its exception's class, never its text
(which can carry a connection URL with its password)."""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_q.brokers import get_broker

from helpdesk.lib import heartbeats


@dataclass
class Readiness:
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        return all(self.checks[name]["ok"] for name in ("database", "broker"))

    def as_json(self) -> dict[str, Any]:
        return {"status": "ok" if self.ready else "unavailable", "checks": self.checks}


def _failure(error: BaseException) -> dict[str, Any]:
    return {"ok": False, "error": type(error).__name__}


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as error:  # noqa: BLE001 - any failure means not ready
        return _failure(error)
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict[str, Any]:
    try:
        broker = get_broker()
        broker.ping()
        waiting = broker.queue_size()
    except Exception as error:  # noqa: BLE001
        return _failure(error)
    return {"ok": True, "kind": "redis" if settings.REDIS_URL else "orm", "waiting": waiting}


def check_heartbeats() -> dict[str, dict[str, Any]]:
    """The worker's and the mail poll's age in seconds (None: never seen), and whether it is
    within its limit (``READYZ_WORKER_STALE_SECONDS``, ``READYZ_MAIL_POLL_STALE_SECONDS``)."""
    limits = {
        heartbeats.WORKER: settings.READYZ_WORKER_STALE_SECONDS,
        heartbeats.MAIL_POLL: settings.READYZ_MAIL_POLL_STALE_SECONDS,
    }
    try:
        beats = heartbeats.last_beats()
    except Exception as error:  # noqa: BLE001
        return {name: _failure(error) for name in limits}
    now = timezone.now()
    result = {}
    for name, limit in limits.items():
        at = beats.get(name)
        age = None if at is None else max(0, round((now - at).total_seconds()))
        result[name] = {
            "ok": age is not None and age <= limit,
            "age_seconds": age,
            "limit_seconds": limit,
        }
    return result


def readiness() -> Readiness:
    report = Readiness()
    report.checks["database"] = check_database()
    report.checks["broker"] = check_broker()
    if report.checks["database"]["ok"]:
        report.checks.update(check_heartbeats())
    return report
