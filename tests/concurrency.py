"""Run calls at the same moment in threads, each on its own database connection, and make
sure they really overlap.

``run_at_once(*calls, contend_for=queryset)`` first locks the rows of ``queryset`` (FOR UPDATE,
on a connection of its own), then releases the threads together behind a barrier, and lets
the rows go only once every call is waiting on a lock or has finished. So each call that
works on those rows has started its transaction and reached them before any of the calls can
commit: they cannot run one after the other, and no ``time.sleep`` guesses at it (the wait is
for a fact: ``pg_blocking_pids`` says who is waiting). PostgreSQL only.
"""

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.db.models import QuerySet

# SQLite's in-memory test database locks whole tables across threads and cannot show row
# locking; .ci/run runs these on PostgreSQL, where a skip is a failure (tests/conftest.py).
POSTGRESQL_ONLY = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row-level concurrency needs PostgreSQL (DATABASE_URL=postgres://...)",
)
TIMEOUT = 30  # seconds: for a thread, and for the calls to start waiting on the held rows
POLL = 0.005  # seconds between two looks at who is waiting


@dataclass
class Outcome:
    """What one call returned, or raised."""

    value: Any = None
    error: BaseException | None = None


def run_at_once(*calls: Callable[[], Any], contend_for: QuerySet | None = None) -> list[Outcome]:
    """Run ``calls`` in threads released together, and return each one's outcome, in order.

    With ``contend_for`` (the rows the calls fight over), the rows are held until every call
    waits on a lock or has finished, as the module docstring says; a call that never gets
    there fails the test."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]
    finished = [threading.Event() for _ in calls]

    def run(index: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=TIMEOUT)
            outcomes[index].value = call()
        except BaseException as error:  # noqa: BLE001  (handed to the test, which decides)
            outcomes[index].error = error
        finally:
            close_old_connections()
            connection.close()  # this thread's own connection
            finished[index].set()

    holder = _new_connection() if contend_for is not None else None
    if holder is not None and contend_for is not None:
        sql, params = contend_for.values("pk").query.sql_with_params()
        holder.execute(f"{sql} FOR UPDATE", params)  # in a transaction until released
    threads = [
        threading.Thread(target=run, args=(i, call), daemon=True) for i, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    overlapped = True
    if holder is not None:
        try:
            overlapped = _wait_until_all_wait_or_finish(finished)
        finally:
            holder.rollback()  # nothing was changed: just let the rows go
            holder.close()
    for thread in threads:
        thread.join(TIMEOUT)
    stuck = [i for i, thread in enumerate(threads) if thread.is_alive()]
    assert not stuck, f"calls {stuck} still running after {TIMEOUT}s: {outcomes}"
    assert overlapped, (
        f"the calls never all waited on the held rows within {TIMEOUT}s, so they did not "
        f"overlap: {outcomes}"
    )
    return outcomes


def raise_unexpected(outcomes: list[Outcome], *expected: type[BaseException]) -> None:
    """An exception in a thread fails the test: re-raise the first one not ``expected``."""
    for outcome in outcomes:
        if outcome.error is not None and not isinstance(outcome.error, expected):
            raise outcome.error


def _wait_until_all_wait_or_finish(finished: list[threading.Event]) -> bool:
    watcher = _new_connection(autocommit=True)  # fresh pg_stat_activity on every look
    try:
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            done = sum(event.is_set() for event in finished)  # first: a call never counts twice
            waiting = watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND cardinality(pg_blocking_pids(pid)) > 0"
            ).fetchone()[0]
            if done + waiting >= len(finished):
                return True
            time.sleep(POLL)
        return False
    finally:
        watcher.close()


def _new_connection(*, autocommit: bool = False):
    """A raw connection to the test database, outside Django's per-thread connections."""
    raw = connection.get_new_connection(connection.get_connection_params())
    raw.autocommit = autocommit
    return raw
