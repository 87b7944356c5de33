"""A real HTTP receiver on 127.0.0.1, in a thread, that keeps what it was sent and answers what
the test tells it to; and a subscriber's own check of the Standard Webhooks signature, written
from the specification (not with the code under test)."""

import base64
import hashlib
import hmac
import ipaddress
import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

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


@contextmanager
def _serving(tls: ssl.SSLContext | None = None, scheme: str = "http") -> Iterator[Receiver]:
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
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    host = "localhost" if tls is not None else "127.0.0.1"  # the certificate's name
    state.url = f"{scheme}://{host}:{server.server_port}/hooks/ccap"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with _serving() as state:
        yield state


@dataclass(frozen=True)
class Authority:
    """A certificate authority of the test's own, and the server certificate it signed for
    ``localhost`` (127.0.0.1)."""

    ca_file: Path
    server: ssl.SSLContext


@pytest.fixture(scope="session")
def authority(tmp_path_factory) -> Authority:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    folder = tmp_path_factory.mktemp("webhook-tls")
    now = datetime.now(UTC)

    def name(text: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(name("Test webhook CA"))
        .issuer_name(name("Test webhook CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, True, True, False, False), True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.pem").write_bytes(ca.public_bytes(pem))
    (folder / "server.pem").write_bytes(cert.public_bytes(pem))
    (folder / "server.key").write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(folder / "server.pem", folder / "server.key")
    return Authority(folder / "ca.pem", server)


@pytest.fixture
def tls_receiver(authority) -> Iterator[Receiver]:
    """The receiver over https, its certificate signed by the test's own authority (which no
    one trusts unless the test says so)."""
    with _serving(authority.server, scheme="https") as state:
        yield state


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
