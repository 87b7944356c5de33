"""Reading a raw message, whatever arrives: Python's ``email`` with the modern policy, and a
fallback for every step where real mail breaks it (lying or unknown charsets, broken MIME,
headers the policy cannot parse). ``parse_message`` never raises; what it cannot understand is
reported in ``ParsedMail.unreadable``, and the raw bytes stay stored for a person to read."""

import codecs
import contextlib
import email
import email.header
import email.utils
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message

from helpdesk.mail.html import html_to_text

_MSGID = re.compile(r"<[^<>\s]+>")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RAW_MESSAGE_ID = re.compile(
    rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)
# Charsets mail says it uses when it means something else, and the order to try when lying.
_FALLBACK_CHARSETS = ("utf-8", "windows-1252")
_MAX_DEPTH = 10  # message/rfc822 inside message/rfc822...: enough for any real forward chain


@dataclass(frozen=True)
class MailAttachment:
    name: str
    declared_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass(frozen=True)
class ForwardedMessage:
    """A message inside the message: a ``message/rfc822`` part (Outlook's "forward as
    attachment")."""

    from_line: str
    subject: str
    date: str
    text: str


@dataclass
class ParsedMail:
    message: Message | None = None
    message_id: str = ""
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    from_count: int = 0
    date: datetime | None = None
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    from_html: bool = False
    attachments: list[MailAttachment] = field(default_factory=list)
    forwarded: list[ForwardedMessage] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    unreadable: str = ""

    def header(self, name: str) -> str:
        values = self.headers(name)
        return values[0] if values else ""

    def headers(self, name: str) -> list[str]:
        """Every value of a header, decoded (RFC 2047) where possible, raw where not."""
        if self.message is None:
            return []
        return [_decode_header(value) for value in self.message.get_all(name, [])]

    @property
    def thread_ids(self) -> list[str]:
        """Message-IDs this message answers, nearest first."""
        return list(dict.fromkeys([*self.in_reply_to, *reversed(self.references)]))

    @property
    def full_text(self) -> str:
        """The body and every forwarded message's body: where a forwarded form is read."""
        parts = [self.text, *(f"{f.from_line}\n{f.subject}\n\n{f.text}" for f in self.forwarded)]
        return "\n\n".join(p for p in parts if p.strip())


def message_id_of_raw(raw: bytes) -> str:
    """The Message-ID, read from the header block without parsing the message: it is stored
    with the raw bytes before anything else happens."""
    head = _HEADER_END.split(raw[:65536], 1)[0]
    found = _RAW_MESSAGE_ID.search(head)
    if not found:
        return ""
    return normalise_message_id(found.group(1).decode("ascii", "replace"))


def normalise_message_id(value: str) -> str:
    value = " ".join(value.split())
    found = _MSGID.search(value)
    return (found.group(0) if found else value)[:255]


def parse_message(raw: bytes) -> ParsedMail:
    try:
        return _parse(raw)
    except Exception as error:  # noqa: BLE001 - the parser must never take the intake down
        return ParsedMail(unreadable=f"The message could not be parsed ({type(error).__name__}).")


def _parse(raw: bytes) -> ParsedMail:
    if not raw.strip():
        return ParsedMail(unreadable="The message is empty.")
    message = email.message_from_bytes(raw, policy=policy.default)
    parsed = ParsedMail(message=message)
    if not message.keys():
        parsed.unreadable = "The message has no headers."
    parsed.message_id = normalise_message_id(parsed.header("Message-ID"))
    parsed.subject = " ".join(parsed.header("Subject").split())[:255]
    _read_sender(parsed)
    parsed.date = _date(parsed.header("Date"))
    parsed.in_reply_to = _MSGID.findall(parsed.header("In-Reply-To"))
    parsed.references = _MSGID.findall(" ".join(parsed.headers("References")))
    body = _Body()
    body.collect(message, depth=0)
    parsed.text, parsed.from_html = body.text()
    parsed.attachments = body.attachments
    parsed.forwarded = body.forwarded
    parsed.defects = sorted({type(d).__name__ for d in _defects(message)})
    if parsed.unreadable and (parsed.text.strip() or parsed.attachments):
        parsed.unreadable = ""  # a body without headers is still something a person can read
    return parsed


def _read_sender(parsed: ParsedMail) -> None:
    values = parsed.message.get_all("From", []) if parsed.message else []
    addresses = []
    for value in values:
        try:
            addresses.extend((a.display_name, a.addr_spec) for a in value.addresses)
        except Exception:  # noqa: BLE001 - a From the policy cannot parse: read it the old way
            addresses.extend(email.utils.getaddresses([_decode_header(value)]))
    addresses = [(name, addr.strip()) for name, addr in addresses if "@" in (addr or "")]
    parsed.from_count = len(addresses)
    if addresses:
        name, address = addresses[0]
        parsed.from_name = " ".join((name or "").split())[:150]
        parsed.from_address = address[:254]


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is not None and parsed.tzinfo is None:
        return None  # "-0000": the time zone is unknown; better no date than a wrong one
    return parsed


def _decode_header(value) -> str:
    """A header as text. The modern policy has decoded it already; a value it gave up on is
    decoded the old way (RFC 2047 words), and undecodable bytes become replacement marks."""
    try:
        text = str(value)
    except Exception:  # noqa: BLE001
        return ""
    if "=?" in text:
        with contextlib.suppress(Exception):  # a broken encoded word stays as it was
            text = str(email.header.make_header(email.header.decode_header(text)))
    return text.replace("\x00", "")


def _defects(message: Message) -> list:
    found = list(message.defects)
    for part in message.walk():
        found.extend(getattr(part, "defects", []))
    return found


def decode_text(data: bytes, declared: str | None) -> str:
    """Bytes of a text part as text: the declared charset if it is real and the bytes fit it,
    else UTF-8, else Windows-1252, which reads any byte (what most "lying" mail really is)."""
    candidates = []
    if declared:
        with contextlib.suppress(LookupError):  # an unknown charset: try the usual suspects
            candidates.append(codecs.lookup(declared.strip().strip('"')).name)
    candidates.extend(c for c in _FALLBACK_CHARSETS if c not in candidates)
    for charset in candidates:
        try:
            return data.decode(charset)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("windows-1252", errors="replace")


class _Body:
    """Walks the MIME tree once: the text to show, the attachments, the forwarded messages."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[MailAttachment] = []
        self.forwarded: list[ForwardedMessage] = []

    def text(self) -> tuple[str, bool]:
        plain = "\n\n".join(p for p in self.plain if p.strip())
        if plain.strip():
            return _normalise(plain), False
        html = "\n\n".join(html_to_text(h) for h in self.html if h.strip())
        return _normalise(html), bool(html.strip())

    def collect(self, part: Message, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        content_type = _content_type(part)
        if content_type in ("message/rfc822", "message/global"):
            self._forwarded(part, depth)
        elif content_type == "multipart/alternative":
            self._alternative(part, depth)
        elif part.is_multipart():
            for sub in _subparts(part):
                self.collect(sub, depth + 1)
        else:
            self._leaf(part, content_type)

    def _alternative(self, part: Message, depth: int) -> None:
        # The richest version the sender wrote as text: plain first, HTML when plain is empty.
        subs = _subparts(part)
        plain = [s for s in subs if _content_type(s) == "text/plain"]
        chosen = [s for s in plain if _text_of(s).strip()] or [
            s for s in subs if _content_type(s) != "text/plain"
        ]
        for sub in chosen[:1] if chosen and not chosen[0].is_multipart() else chosen:
            self.collect(sub, depth + 1)

    def _leaf(self, part: Message, content_type: str) -> None:
        disposition = _safe(part.get_content_disposition) or ""
        filename = _filename(part)
        if content_type == "text/plain" and disposition != "attachment" and not filename:
            self.plain.append(_text_of(part))
            return
        if content_type == "text/html" and disposition != "attachment" and not filename:
            self.html.append(_text_of(part))
            return
        data = _payload(part)
        if content_type == "application/ms-tnef" and not filename:
            filename = "winmail.dat"
        content_id = (_decode_header(part.get("Content-ID", "")) or "").strip()
        self.attachments.append(
            MailAttachment(
                name=filename or _default_name(content_type),
                declared_type=content_type,
                data=data,
                inline=disposition == "inline" or bool(content_id),
                content_id=content_id.strip("<>"),
            )
        )

    def _forwarded(self, part: Message, depth: int) -> None:
        inner = _subparts(part)
        if not inner:
            data = _payload(part)
            if not data:
                return
            inner = [email.message_from_bytes(data, policy=policy.default)]
        message = inner[0]
        body = _Body()
        body.collect(message, depth + 1)
        text, _ = body.text()
        self.forwarded.append(
            ForwardedMessage(
                from_line=f"From: {_decode_header(message.get('From', ''))}",
                subject=f"Subject: {_decode_header(message.get('Subject', ''))}",
                date=_decode_header(message.get("Date", "")),
                text=text,
            )
        )
        self.forwarded.extend(body.forwarded)
        self.attachments.extend(body.attachments)


def _content_type(part: Message) -> str:
    return _safe(part.get_content_type) or "text/plain"


def _subparts(part: Message) -> list[Message]:
    payload = _safe(part.get_payload)
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _filename(part: Message) -> str:
    name = _safe(part.get_filename) or ""  # RFC 2231 and RFC 2047 names, decoded
    return _decode_header(name).strip()[:200]


def _payload(part: Message) -> bytes:
    data = _safe(lambda: part.get_payload(decode=True))
    if isinstance(data, bytes):
        return data
    raw = _safe(lambda: part.get_payload(decode=False))
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _text_of(part: Message) -> str:
    charset = _safe(part.get_content_charset)
    return decode_text(_payload(part), charset)


def _default_name(content_type: str) -> str:
    return "attachment." + (content_type.rsplit("/", 1)[-1][:10] or "bin")


def _safe(call):
    try:
        return call()
    except Exception:  # noqa: BLE001 - broken MIME: treat the part as empty, keep going
        return None


_BLANKS = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()
