"""Queueing background work (django-q2 tasks) after the transaction that decided it commits.

Every side effect that leaves the process (email, LDAP, websocket push) runs after the commit
(DESIGN.md), so a rolled-back decision never sends anything.

Why a helper and not ``transaction.on_commit(lambda: async_task(...))`` everywhere: with the
ORM broker (the embedded default), django-q2 calls ``close_old_connections()`` before every
enqueue made outside an atomic block, and with ``CONN_MAX_AGE=0`` that always closes the
database connection. After-commit callbacks run exactly there, so a mail poller acknowledging
25 reports would disconnect and reconnect 25 times (bench/mail_intake.py measured the enqueue
at 40% of the intake's time on SQLite). Enqueueing inside a one-insert atomic block leaves the
connection open; with the Redis broker the block is empty and costs nothing.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_q.models import Schedule
from django_q.tasks import async_task, schedule

_IN_PROCESS: ContextVar[bool] = ContextVar("run queued tasks in this process", default=False)


def enqueue(task: str, *args: Any, **kwargs: Any) -> str:
    """Queue ``task`` now (the caller is past its commit, or has none); inside
    ``running_here()``, run it now in this process instead."""
    if _IN_PROCESS.get():
        import_string(task)(*args, **kwargs)
        return ""
    with transaction.atomic():
        return async_task(task, *args, **kwargs)


@contextmanager
def running_here() -> Iterator[None]:
    """Within the block, work queued with ``enqueue`` or ``enqueue_on_commit`` runs in this
    process (after its commit, still), not on the worker: for a command that must finish what
    it started before it returns (``seed_demo``: its mail delivered where the demo keeps it).
    A task that raises stops the command (no retry). ``enqueue_at`` still schedules."""
    token = _IN_PROCESS.set(True)
    try:
        yield
    finally:
        _IN_PROCESS.reset(token)


def enqueue_on_commit(task: str, *args: Any, **kwargs: Any) -> None:
    """Queue ``task`` once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs))


def run_on_commit(task: str, *args: Any, **kwargs: Any) -> None:
    """Run ``task`` in this process once the current transaction commits, not through the
    queue: for work whose arguments must never be stored (a password's hash), since django-q2
    keeps every task's arguments, on the broker while queued and in its results once done."""
    transaction.on_commit(lambda: import_string(task)(*args, **kwargs))


def enqueue_at(task: str, *args: Any, at: datetime) -> None:
    """Queue ``task`` to run at ``at``, not before: a one-off django-q2 schedule, which the
    cluster's scheduler (about every 15 seconds) turns into a task on the broker, the ORM or
    Redis alike, and then deletes. The schedule is a row written in the current transaction,
    so it exists only if the caller commits."""
    schedule(task, *args, schedule_type=Schedule.ONCE, next_run=at)
