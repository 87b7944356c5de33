"""Live updates from every process on the default install (issue 20, item 1).

The in-memory channel layer reaches only the sockets of the process that sends: a ticket
changed by the worker, the mail intake or a sweep would reach no open page. So, while the
layer is in-memory, every live-update signal is also written to ``LiveSignal`` after its
change commits, and each web process that holds sockets reads the rows other processes
wrote, about once a second, and sends them to its own sockets. With Redis (channels-redis)
the layer already crosses processes, and nothing is written.

Rows are read by time (the last ``LOOKBACK`` seconds) rather than by id alone, because two
processes may commit their rows out of id order; the ids already sent are remembered for as
long as they can come back. The rows are deleted after ``KEEP`` by whichever process writes
or reads them.
"""

import asyncio
import contextlib
import contextvars
import logging
import os
import uuid
from datetime import timedelta
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone

from helpdesk.models import LiveSignal

logger = logging.getLogger(__name__)

# This process, as the rows name it (a pid alone can come back after a restart).
ORIGIN = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
LOOKBACK = timedelta(seconds=30)
KEEP = timedelta(minutes=5)
PRUNE_EVERY = 200  # writes (or reads) between two deletions of old rows


def relaying() -> bool:
    """Whether signals go through the table: ``LIVE_RELAY`` when set, else whenever the
    channel layer is in-memory (it cannot reach another process)."""
    setting = getattr(settings, "LIVE_RELAY", None)
    if setting is not None:
        return bool(setting)
    return isinstance(get_channel_layer(), InMemoryChannelLayer)


_writes = 0


def write(groups: list[str], payload: dict[str, Any]) -> None:
    """Leave the signal for the other processes (call it after the change committed). A
    failure here loses a page refresh, never the change: it is logged, not raised."""
    write_many([(groups, payload)])


def write_many(signals: list[tuple[list[str], dict[str, Any]]]) -> None:
    """``write`` for several signals (a batch of tickets changed together): one INSERT."""
    global _writes
    try:
        at = timezone.now()
        rows = [
            LiveSignal(groups=groups, payload=payload, origin=ORIGIN, created_at=at)
            for groups, payload in signals
        ]
        if len(rows) == 1:
            rows[0].save(force_insert=True)
        else:
            LiveSignal.objects.bulk_create(rows)
        before, _writes = _writes, _writes + len(rows)
        if before // PRUNE_EVERY != _writes // PRUNE_EVERY:
            prune()
    except DatabaseError:
        logger.warning("live update not relayed to other processes", exc_info=True)


def prune() -> int:
    deleted, _ = LiveSignal.objects.filter(created_at__lt=timezone.now() - KEEP).delete()
    return deleted


class Reader:
    """What one web process has sent of the others' signals."""

    def __init__(self) -> None:
        self.origin = ORIGIN  # its own signals it has sent already
        self.sent: dict[int, Any] = {}  # id -> created_at, for LOOKBACK
        self.reads = 0

    def skip_what_is_there(self) -> None:
        """Start from now: the signals before this process listened are old news."""
        since = timezone.now() - LOOKBACK
        rows = LiveSignal.objects.filter(created_at__gte=since).values_list("id", "created_at")
        self.sent.update(rows)

    def new_signals(self) -> list[tuple[list[str], dict[str, Any]]]:
        """The other processes' signals not sent yet, oldest first."""
        now = timezone.now()
        rows = (
            LiveSignal.objects.filter(created_at__gte=now - LOOKBACK)
            .exclude(origin=self.origin)
            .exclude(pk__in=list(self.sent))
            .order_by("created_at", "pk")
            .values_list("pk", "created_at", "groups", "payload")
        )
        found = []
        for pk, created_at, groups, payload in rows:
            self.sent[pk] = created_at
            found.append((groups, payload))
        self.sent = {pk: at for pk, at in self.sent.items() if at >= now - 2 * LOOKBACK}
        self.reads += 1
        if self.reads % PRUNE_EVERY == 0:
            prune()
        return found


_task: asyncio.Task[None] | None = None


async def ensure_listening() -> None:
    """Start this process's reader on the running event loop, once (the sockets call it when
    they open; a process without sockets reads nothing)."""
    global _task
    if not relaying():
        return
    loop = asyncio.get_running_loop()
    if _task is not None and not _task.done() and _task.get_loop() is loop:
        return
    reader = Reader()
    await database_sync_to_async(reader.skip_what_is_there)()
    # A context of its own: the socket that starts it ends, and with it the executor its
    # context would send the reader's queries to.
    _task = loop.create_task(_listen(reader), name="live-relay", context=contextvars.Context())


async def stop_listening() -> None:
    """Stop the reader (tests; a web process stops with its loop)."""
    global _task
    if _task is not None and not _task.done():
        _task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await _task
    _task = None


async def _listen(reader: Reader) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    interval = getattr(settings, "LIVE_RELAY_POLL_SECONDS", 1.0)
    while True:
        await asyncio.sleep(interval)
        try:
            signals = await database_sync_to_async(reader.new_signals)()
        except DatabaseError:
            logger.warning("live-update relay could not read", exc_info=True)
            continue
        for groups, payload in signals:
            for group in groups:
                await layer.group_send(group, payload)
