"""Live updates from every process (issue 20, item 1): with the in-memory channel layer, a
change made by another process (the worker, the mail intake, a sweep, another web process)
reaches the sockets of this one through the LiveSignal table; its own changes are sent once.

The tests turn the relay on (``LIVE_RELAY``), so they run the same whether the suite's layer
is in-memory or Redis; "another process" is this one writing under another origin, and, on
PostgreSQL (whose test database another process can open), a real second process."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connection
from django.utils import timezone

from helpdesk.models import LiveSignal
from helpdesk.routing import websocket_urlpatterns
from helpdesk.tickets import live, relay
from tests.concurrency import POSTGRESQL_ONLY
from tests.helpdesk import ticket_helpers as th

BASE_DIR = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def relay_on(settings):
    settings.LIVE_RELAY = True
    settings.LIVE_RELAY_POLL_SECONDS = 0.05


def _as_another_process(monkeypatch):
    """From here on, this process writes as another one whose own layer has no sockets."""

    async def no_socket_here(layer, groups, payload):
        return None

    monkeypatch.setattr(live, "_send_to_groups", no_socket_here)
    monkeypatch.setattr(relay, "ORIGIN", "another-process")


def _listening(user, path, expect=0):
    """Opens a socket, runs ``act``, and returns its result and the frames the socket got: the
    ``expect`` frames waited for (on a loaded machine, for as long as it takes within 20 s),
    then any more that come in the next half second."""

    async def scenario(act):
        socket = WebsocketCommunicator(URLRouter(websocket_urlpatterns), path)
        socket.scope["user"] = user
        await socket.connect()
        try:
            result = await sync_to_async(act)()
            frames = [await socket.receive_json_from(timeout=20) for _ in range(expect)]
            while not await socket.receive_nothing(timeout=0.5):
                frames.append(await socket.receive_json_from())
            return result, frames
        finally:
            await socket.disconnect()
            await relay.stop_listening()

    return lambda act: async_to_sync(scenario)(act)


def test_a_change_made_by_another_process_reaches_this_ones_queue_socket(world, monkeypatch):
    def change():
        _as_another_process(monkeypatch)
        return th.submitted(world)

    ticket, frames = _listening(world.hannah, "/ws/queues/help_desk/", expect=1)(change)

    assert [f["ticket"] for f in frames] == [ticket.pk]
    assert set(frames[0]) == {"ticket", "version"}  # an id and a number, as from this process


def test_a_change_made_here_is_sent_once_not_again_from_the_table(world):
    ticket, frames = _listening(world.hannah, "/ws/queues/help_desk/", expect=1)(
        lambda: th.submitted(world)
    )

    assert [f["ticket"] for f in frames] == [ticket.pk]
    assert LiveSignal.objects.filter(origin=relay.ORIGIN).exists()  # left for the others


def test_a_socket_hears_nothing_it_may_not_follow_from_another_process(world, monkeypatch):
    def change():
        _as_another_process(monkeypatch)
        return th.submitted(world)  # Pat's office: not Otto's agency

    _ticket, frames = _listening(world.otto.user, "/ws/queues/agency/")(change)

    assert frames == []


def test_signals_from_before_the_process_listened_are_not_replayed(world, monkeypatch):
    monkeypatch.setattr(relay, "ORIGIN", "another-process")
    relay.write(["queue.help_desk"], {"type": "ticket.changed", "ticket": 1, "version": 1})

    _none, frames = _listening(world.hannah, "/ws/queues/help_desk/")(lambda: None)

    assert frames == []


def test_signals_committed_out_of_order_are_each_sent_once(world, monkeypatch):
    """Two processes may commit their rows out of id order: the reader goes by time, and an
    id it has sent is not sent again however often it reads."""
    reader = relay.Reader()
    monkeypatch.setattr(relay, "ORIGIN", "another-process")
    relay.write(["queue.help_desk"], {"type": "ticket.changed", "ticket": 2, "version": 1})
    later = LiveSignal.objects.get()
    LiveSignal.objects.create(
        groups=["queue.help_desk"],
        payload={"type": "ticket.changed", "ticket": 1, "version": 1},
        origin="a-third-process",
        created_at=later.created_at - timedelta(seconds=1),
    )

    first = reader.new_signals()
    again = reader.new_signals()

    assert sorted(p["ticket"] for _g, p in first) == [1, 2]
    assert again == []


def test_nothing_is_written_when_the_channel_layer_crosses_processes(world, settings):
    settings.LIVE_RELAY = False
    th.submitted(world)
    assert not LiveSignal.objects.exists()


def test_the_relay_is_on_by_itself_exactly_with_the_in_memory_layer(settings):
    from channels.layers import channel_layers

    settings.LIVE_RELAY = None
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    channel_layers.backends.clear()
    try:
        assert relay.relaying()
        settings.CHANNEL_LAYERS = {
            "default": {
                "BACKEND": "channels_redis.core.RedisChannelLayer",
                "CONFIG": {"hosts": ["redis://127.0.0.1:6379/15"]},
            }
        }
        channel_layers.backends.clear()
        assert not relay.relaying()
    finally:
        channel_layers.backends.clear()


def test_old_signals_are_deleted():
    old = timezone.now() - relay.KEEP - timedelta(seconds=1)
    for created_at in (old, timezone.now()):
        LiveSignal.objects.create(groups=[], payload={}, origin="x", created_at=created_at)

    assert relay.prune() == 1
    assert LiveSignal.objects.count() == 1


@POSTGRESQL_ONLY
def test_a_change_made_by_a_real_second_process_reaches_the_socket(world):
    """A second Python process on the same database, with no Redis (the default install's
    in-memory layer), tells the pages of a ticket it changed; this process's socket hears it.
    The bound is the issue's 5 s plus the child's start-up."""
    ticket = th.submitted(world)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": _this_database_url(),
        "REDIS_URL": "",
        "LIVE_RELAY": "",
    }
    code = (
        "from helpdesk.models import Ticket; from helpdesk.tickets.live import push_ticket_changed;"
        f" push_ticket_changed(Ticket.objects.get(pk={ticket.pk}))"
    )

    def change_elsewhere():
        subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            cwd=BASE_DIR,
            env=env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    _none, frames = _listening(world.hannah, f"/ws/tickets/{ticket.pk}/", expect=1)(
        change_elsewhere
    )

    assert [f["ticket"] for f in frames] == [ticket.pk]


def _this_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
