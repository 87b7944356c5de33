"""Generated messages: random headers (garbage bytes included), random MIME trees, random
charsets and transfer encodings, random bytes bodies. None of it may make the parser, the form
reader, the quote trimmer or the rules raise, nothing unstorable may come out, and through the
whole pipeline every message ends processed (``failed`` would be a bug in the pipeline)."""

import base64
import quopri
import re
from datetime import timedelta

from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from helpdesk.mail import intake
from helpdesk.mail.form import LABELS, read_form
from helpdesk.mail.html import html_to_text
from helpdesk.mail.parse import ParsedMail, message_id_of_raw, parse_message
from helpdesk.mail.quotes import trim_quoted
from helpdesk.mail.rules import automatic_reason, dmarc_verdict
from helpdesk.models import InboundStatus

CHARSETS = [
    "utf-8",
    "us-ascii",
    "iso-8859-1",
    "windows-1252",
    "shift_jis",
    "iso-2022-jp",
    "gb2312",
    "koi8-r",
    "utf-16",
    "utf-7",
    "x-unknown",
    "unknown-8bit",
    "idna",
    "unicode_escape",
    "base64",
    "",
    '"utf-8',
    "utf-8\x00",
]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "b64", ""]
LEAF_TYPES = [
    "text/plain",
    "text/html",
    "text/calendar",
    "text/rfc822-headers",
    "image/png",
    "application/pdf",
    "application/ms-tnef",
    "application/octet-stream",
    "message/delivery-status",
    "garbage",
    "text/",
    "/",
]
MULTIPART_TYPES = ["mixed", "alternative", "related", "report", "signed", "digest"]
HEADER_NAMES = [
    "From",
    "To",
    "Cc",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "Return-Path",
    "Auto-Submitted",
    "Precedence",
    "List-Id",
    "X-Loop",
    "X-Auto-Response-Suppress",
    "Authentication-Results",
    "Content-Type",
    "Content-Transfer-Encoding",
    "Content-Disposition",
    "MIME-Version",
]
PEOPLE = [
    "pat@example.org",
    "Pat Primary <PAT@example.org>",
    "alex@example.org",
    "alice@example.org",
    "otto@example.org",
    "hannah@example.org",
    "mike@example.org",
    "stranger@elsewhere.example",
    "MAILER-DAEMON@mx.example.org",
]
SPECIALS = [
    "=?utf-8?q?P=C3=A4t?=",
    "=?x-unknown?b?w6k=?=",
    "=?utf-8?b?broken",
    '"',
    "<",
    ">",
    "<>",
    "@",
    "(",
    ")",
    ",",
    ";",
    ":",
    "\\",
    "undisclosed-recipients:;",
    "[CCAP-2026-000001]",
    "dmarc=fail",
    "auto-replied",
    "list",
    "+9999",
    "31 Feb 2026",
    "\t",
]

header_bytes = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b" ").replace(b"\r", b" ")),
    st.text(max_size=60).map(
        lambda t: t.replace("\n", " ").replace("\r", " ").encode("utf-8", "surrogatepass")
    ),
    st.lists(st.sampled_from(SPECIALS + PEOPLE), max_size=6).map(lambda xs: " ".join(xs).encode()),
)
header_name = st.one_of(
    st.sampled_from(HEADER_NAMES),
    st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z"),
)
headers = st.lists(st.tuples(header_name, header_bytes), max_size=12)

FORM_LINES = [
    f"{variants[0].title()}{separator}{answer}"
    for variants in LABELS.values()
    for separator, answer in [(": ", "CCMS"), ("\n", "Yes or No"), ("\t", "11/20/2026 9:30 AM")]
]
text_bodies = st.one_of(
    st.text(max_size=300),
    st.lists(
        st.sampled_from(
            FORM_LINES + ["> quoted", "On Mon wrote:", "-- ", "", "From: x", "[x] Just me"]
        ),
        max_size=20,
    ).map("\n".join),
)


def _encode(data: bytes, encoding: str) -> bytes:
    if encoding == "base64":
        return base64.encodebytes(data)
    if encoding == "quoted-printable":
        return quopri.encodestring(data)
    return data


@st.composite
def leaf_part(draw) -> bytes:
    content_type = draw(st.sampled_from(LEAF_TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    if draw(st.booleans()):
        body = draw(st.binary(max_size=300))
    else:
        text = draw(text_bodies)
        if content_type == "text/html":
            text = draw(
                st.sampled_from(["<p>{}</p>", "<table><tr><td>{}<td>", "<script>{}", "{}<"])
            ).format(text)
        body = text.encode("utf-8", "surrogatepass")
    lines = [f"Content-Type: {content_type}; charset={charset}".encode()]
    if encoding:
        lines.append(f"Content-Transfer-Encoding: {encoding}".encode())
    if draw(st.booleans()):
        name = draw(st.sampled_from(["a.pdf", "=?utf-8?q?=C3=A9.png?=", "", "winmail.dat", '"']))
        disposition = draw(st.sampled_from(["attachment", "inline", "x"]))
        lines.append(f'Content-Disposition: {disposition}; filename="{name}"'.encode())
    if draw(st.booleans()):
        lines.append(b"Content-ID: <" + draw(st.binary(max_size=20)).replace(b"\n", b"") + b">")
    return b"\n".join(lines) + b"\n\n" + _encode(body, encoding)


def multipart(children) -> st.SearchStrategy[bytes]:
    @st.composite
    def build(draw) -> bytes:
        subtype = draw(st.sampled_from(MULTIPART_TYPES))
        boundary = draw(st.sampled_from(["b1", "==b2==", "x y", ""]))
        parts = draw(st.lists(children, max_size=4))
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"'.encode()
        if draw(st.booleans()):
            head = f"Content-Type: multipart/{subtype}".encode()  # no boundary at all
        body = b"".join(b"--" + boundary.encode() + b"\n" + p + b"\n" for p in parts)
        if draw(st.booleans()):  # the closing boundary, or not
            body += b"--" + boundary.encode() + b"--\n"
        return head + b"\n\n" + body

    return build()


def forwarded(children) -> st.SearchStrategy[bytes]:
    return children.map(
        lambda inner: b"Content-Type: message/rfc822\n\nFrom: pat@example.org\n" + inner
    )


mime_tree = st.recursive(
    leaf_part(),
    lambda children: st.one_of(multipart(children), forwarded(children)),
    max_leaves=8,
)


# A sender the directory knows or not, sometimes with a display name in raw bytes of any kind.
senders = st.one_of(
    st.sampled_from(PEOPLE).map(str.encode),
    st.tuples(header_bytes, st.sampled_from(PEOPLE[:4])).map(
        lambda pair: (
            pair[0].replace(b"<", b"") + b" <" + pair[1].encode().split(b"<")[-1].strip(b">") + b">"
        )
    ),
)


@st.composite
def messages(draw) -> bytes:
    lines = []
    if draw(st.booleans()):
        lines.append(b"From: " + draw(senders))
    for name, value in draw(headers):
        lines.append(name.encode() + b": " + value)
    head = b"\n".join(lines)
    body = draw(
        st.one_of(
            mime_tree,
            st.binary(max_size=400),
            text_bodies.map(lambda t: t.encode("utf-8", "surrogatepass")),
        )
    )
    raw = head + b"\n" + body if body[:1] == b"C" and draw(st.booleans()) else head + b"\n\n" + body
    if draw(st.booleans()):
        raw = raw.replace(b"\n", b"\r\n")
    return raw


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _assert_storable(parsed: ParsedMail) -> None:
    texts = [parsed.subject, parsed.from_name, parsed.from_address, parsed.text, parsed.message_id]
    texts += [a.name for a in parsed.attachments] + [a.content_id for a in parsed.attachments]
    texts += [f.from_line + f.subject + f.date + f.text for f in parsed.forwarded]
    for text in texts:
        assert not _UNSTORABLE.search(text), repr(text)


def _read_everything(raw: bytes) -> ParsedMail:
    parsed = parse_message(raw)
    assert isinstance(parsed, ParsedMail)
    _assert_storable(parsed)
    message_id_of_raw(raw)
    automatic_reason(parsed)
    dmarc_verdict(parsed)
    read_form(parsed.full_text, sent_at=parsed.date)
    trim_quoted(parsed.text)
    for name in ("From", "Subject", "References", "Content-Type", "X-Nothing"):
        parsed.headers(name)
    return parsed


@settings(max_examples=300, deadline=None)
@given(messages())
def test_generated_messages_never_make_the_readers_raise(raw):
    with override_settings(MAIL_TRUSTED_AUTHSERV_IDS=["mx.example.org", "dmarc=fail"]):
        _read_everything(raw)  # the DMARC rule reads Authentication-Results only then


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_make_the_readers_raise(raw):
    _read_everything(raw)


@settings(max_examples=200, deadline=None)
@given(headers, st.binary(max_size=200))
def test_garbage_headers_never_make_the_readers_raise(header_list, body):
    raw = b"\n".join(name.encode() + b": " + value for name, value in header_list) + b"\n\n" + body

    parsed = _read_everything(raw)

    assert parsed.unreadable == "" or not raw.strip() or not header_list


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(CHARSETS + ["big5", "euc-kr", "mac-roman", "cp037", "hz"])
    | st.text(max_size=20),
    st.binary(max_size=200),
)
def test_any_declared_charset_on_any_bytes(charset, body):
    raw = (
        b'From: pat@example.org\nContent-Type: text/plain; charset="'
        + charset.encode("utf-8", "surrogatepass")
        + b'"\n\n'
        + body
    )

    parsed = _read_everything(raw)

    assert parsed.unreadable == ""
    assert parsed.from_address == "pat@example.org"


@settings(max_examples=200, deadline=None)
@given(text_bodies, st.datetimes(timezones=st.timezones()) | st.none())
def test_the_form_reader_and_the_trimmer_never_raise(text, sent_at):
    occurred = read_form(text, sent_at=sent_at).values.get("occurred_at")
    if occurred is not None:  # a date is never in the future nor before the systems existed
        assert occurred.year >= 2000
        assert occurred <= (sent_at or timezone.now()) + timedelta(days=1)
    assert trim_quoted(text) in text


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<td",
                ">",
                "<script>",
                "</script>",
                "<!--",
                "-->",
                "<ol><li>",
                "&amp;",
                "&#x",
                "<",
                "x",
                "\n",
                "<style",
                "</td>",
            ]
        ),
        max_size=60,
    ).map("".join)
    | st.text(max_size=300)
)
def test_html_to_text_never_raises(html):
    # ... nor blows up: nesting is capped, so the text stays in proportion to the markup.
    assert len(html_to_text(html)) <= 8 * len(html) + 100


# --- Through the whole pipeline -------------------------------------------------------------


@settings(
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(raw=messages())
def test_the_pipeline_processes_every_generated_message(
    world, django_capture_on_commit_callbacks, raw
):
    with django_capture_on_commit_callbacks(execute=True):
        result = intake.ingest(raw, source="pipe")

    result.inbound.refresh_from_db()
    assert result.inbound.status == InboundStatus.PROCESSED, result.inbound.error
    assert result.outcome != "failed"
    event(f"outcome: {result.outcome}")  # --hypothesis-show-statistics shows the spread
