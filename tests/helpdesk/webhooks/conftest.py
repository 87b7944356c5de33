"""A real HTTP receiver on 127.0.0.1, in a thread, that keeps what it was sent and answers what
the test tells it to; and a subscriber's own check of the Standard Webhooks signature, written
from the specification (not with the code under test)."""

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from helpdesk.actor import Actor
from helpdesk.events import EVENT_TYPES
from helpdesk.webhooks import services


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    url: str
    received: list[Received] = field(default_factory=list)
    # The answers to give, in order; the last one is given again once the others are used.
    answers: list[tuple[int, dict[str, str], bytes]] = field(
        default_factory=lambda: [(200, {}, b"ok")]
    )

    def answer(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.answers = [(status, headers, body)]


def subscriber_verifies(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a subscriber does (standardwebhooks.com): the key is the base64 after ``whsec_``;
    the signed content is ``id.timestamp.body``; the header holds space-separated
    ``v1,<base64 HMAC-SHA256>`` signatures, any one of which may match."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = b".".join(
        [headers["webhook-id"].encode(), headers["webhook-timestamp"].encode(), body]
    )
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in headers["webhook-signature"].split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return True
    return False


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802  (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                state.received.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers, text = (
                    state.answers.pop(0) if len(state.answers) > 1 else state.answers[0]
                )
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(text)))
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_port}/hooks/ccap"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def webhook_settings(settings):
    """The receiver is plain http on loopback: the tests allow both (one test turns the address
    rule back on)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_TIMEOUT_SECONDS = 2
    return settings


@pytest.fixture
def subscribe(world, webhook_settings):
    def make(url: str, events=None, **kw) -> services.Created:
        return services.create_subscription(
            by=Actor.of(world.ada), url=url, event_types=list(events or EVENT_TYPES), **kw
        )

    return make
