"""Reading a raw message, whatever arrives: Python's ``email`` (the structure with compat32,
every header we use with the modern policy), and a fallback for every step where real mail
breaks it (lying or unknown charsets, broken MIME, headers the policy cannot parse).
``parse_message`` never raises; what it cannot understand is reported in
``ParsedMail.unreadable``, and the raw bytes stay stored for a person to read."""

import base64
import binascii
import codecs
import contextlib
import email
import email.header
import email.utils
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.errors import MessageDefect
from email.message import Message
from typing import Any, TypeVar

import charset_normalizer

from helpdesk.lib.uploads import OLE2
from helpdesk.mail.html import html_to_text

T = TypeVar("T")

_MSGID = re.compile(r"<[^<>\s]+>")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_RAW_MESSAGE_ID = re.compile(
    rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE
)
# Charsets mail says it uses when it means something else, and the order to try when lying.
_FALLBACK_CHARSETS = ("utf-8", "windows-1252", "latin-1")
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
    # The From header as written (decoded), and, when it is ambiguous, why: then from_address
    # is empty and the message is matched to no one.
    from_header: str = ""
    sender_problem: str = ""
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
        return [
            _header_text(self.message, key, value)
            for key, value in _raw_headers(self.message, name)
        ]

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


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def normalise_message_id(value: str) -> str:
    # No control characters: PostgreSQL refuses a NUL in text, and the raw message must be
    # storable whatever its Message-ID holds (else the MTA would retry it for ever).
    value = " ".join(_CONTROL.sub("", value).split())
    found = _MSGID.search(value)
    return (found.group(0) if found else value)[:255]


# The structure (parts, boundaries, payloads) is read with the compat32 policy, which leaves
# headers as the raw text it found; each header we use is then read with the modern policy
# (``_policy_header``). The modern policy as the parser's policy builds a header object on
# every read of every header, the parser's own reads included (44% of ``parse_message`` under
# cProfile on the bench corpus); the bench's bare standard-library reading takes about twice
# as long with it.
STRUCTURE = policy.compat32


def parse_message(raw: bytes) -> ParsedMail:
    try:
        return _parse(raw)
    except Exception as error:  # noqa: BLE001 - the parser must never take the intake down
        return ParsedMail(unreadable=f"The message could not be parsed ({type(error).__name__}).")


def _parse(raw: bytes) -> ParsedMail:
    if not raw.strip():
        return ParsedMail(unreadable="The message is empty.")
    readable, skipped = _without_broken_header_lines(raw)
    message = email.message_from_bytes(readable, policy=STRUCTURE)
    _normalise_transfer_encodings(message)
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
    parsed.defects = sorted(
        {type(d).__name__ for d in _defects(message)}
        | ({_BROKEN_HEADER_LINE} if skipped else set())
        | set(body.defects)
    )
    if parsed.unreadable and (parsed.text.strip() or parsed.attachments):
        parsed.unreadable = ""  # a body without headers is still something a person can read
    return parsed


# A header line: a field name (printable ASCII but the colon), maybe the obsolete blanks before
# the colon (RFC 5322 section 4.5.3); a folded continuation; or the mbox envelope line, which the
# email package reads itself.
_HEADER_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)[ \t]*:|[ \t]|From ")
_OBSOLETE_BLANKS = re.compile(rb"^([\x21-\x39\x3b-\x7e]+)[ \t]+:")
_BROKEN_HEADER_LINE = "MalformedHeaderLineDefect"
_HEADER_SCAN = 256 * 1024  # a header block longer than this is not mail a person wrote


def _without_broken_header_lines(raw: bytes) -> tuple[bytes, int]:
    """The message with each line of its header block that is not a header left out, and how
    many were: the email package takes such a line for the start of the body, and loses every
    header after it (From, Subject). A bad line after the last header is the body starting
    without its blank line, as the email package reads it. Only the parser's copy changes; the
    stored raw bytes stay as they arrived."""
    lines = raw[:_HEADER_SCAN].splitlines(keepends=True)
    end = next((i for i, line in enumerate(lines) if not line.strip(b"\r\n")), None)
    if end is None:
        return raw, 0  # no blank line: no header block to mend, or one too large to be mail
    good = [bool(_HEADER_LINE.match(line)) for line in lines[:end]]
    obsolete = [bool(_OBSOLETE_BLANKS.match(line)) for line in lines[:end]]
    if all(good) and not any(obsolete):
        return raw, 0
    last = max((i for i, ok in enumerate(good) if ok and not _folded(lines[i])), default=-1)
    kept: list[bytes] = []
    skipped, dropping = 0, False
    for i, line in enumerate(lines[: last + 1]):
        if not good[i] or (dropping and _folded(line)):
            skipped, dropping = skipped + 1, True  # a fold of a dropped line goes with it
            continue
        dropping = False
        kept.append(_OBSOLETE_BLANKS.sub(rb"\1:", line))
    offset = sum(len(line) for line in lines[: last + 1])
    return b"".join(kept) + raw[offset:], skipped


def _folded(line: bytes) -> bool:
    return line[:1] in (b" ", b"\t")


_TRANSFER_ENCODING = "Content-Transfer-Encoding"


def _normalise_transfer_encodings(message: Message) -> None:
    """``Content-Transfer-Encoding: Base64  `` is base64: the email package decodes only the
    exact lower-case word (it lowers the case, not the blanks), and leaves the rest encoded."""
    for part in message.walk():
        for _key, value in _raw_headers(part, _TRANSFER_ENCODING)[:1]:
            cleaned = "".join(str(value).split()).lower()
            if cleaned != value:
                with contextlib.suppress(Exception):
                    part.replace_header(_TRANSFER_ENCODING, cleaned)


def _read_sender(parsed: ParsedMail) -> None:
    """The one reading of From: the standard library's RFC 5322 parser (the modern policy), and
    nothing else. A From that a strict reader could take two ways is read no way at all: no
    address, and ``sender_problem`` says why (the intake quarantines it as an ambiguous
    sender). There is deliberately no fallback that picks "the first address it sees": in
    ``"maria@agency.example"@evil.example`` or ``maria@agency.example <attacker@evil.example>``
    that would be Maria, while the mailbox (and the domain DMARC checked) is evil.example."""
    message = parsed.message
    raw = _raw_headers(message, "From") if message is not None else []
    if message is None or not raw:
        return
    parsed.from_header = " ".join(_header_text(message, *raw[0]).split())[:500]
    if len(raw) > 1:
        parsed.from_count = len(raw)
        parsed.sender_problem = "the message has several From headers"
        return
    try:
        mailboxes, problem = _mailboxes(raw[0][1])
    except Exception:  # noqa: BLE001 - a From the parser cannot take: read as no one
        mailboxes, problem = [], "the From header cannot be parsed"
    parsed.from_count = len(mailboxes)
    if problem or len(mailboxes) != 1:
        parsed.sender_problem = problem or (
            "the From header names several mailboxes" if mailboxes else ""
        )
        return
    name, address = mailboxes[0]
    parsed.from_name = " ".join(clean_text(name).split())[:150]
    parsed.from_address = address[:254]


def _mailboxes(value: str) -> tuple[list[tuple[str, str]], str]:
    """(display name, address) of each mailbox in one From value, and what makes the value
    ambiguous ("" when nothing does). Raw 8-bit bytes (UTF-8 headers, RFC 6532) are read as
    text first; encoded words stay encoded, so the parser decodes them as the display name
    they are and never as an address (``=?utf-8?q?maria@agency.example?= <x@evil.example>``
    is x@evil.example)."""
    text = clean_text(value) if isinstance(value, str) else _decode_header(value)
    text = _FOLD.sub("", text).replace("\t", " ")  # unfolded (RFC 5322 2.2.3)
    if _CONTROL.search(text):
        return [], "the From header holds control characters"
    header = policy.default.header_factory("From", text)
    if header.defects:
        return [], "the From header is not a valid address list (" + ", ".join(
            sorted({type(d).__name__ for d in header.defects})
        ) + ")"
    if any(group.display_name is not None for group in header.groups):
        return [], "the From header holds a group of addresses"
    mailboxes = []
    for mailbox in header.addresses:
        address = mailbox.addr_spec
        if not mailbox.username or not mailbox.domain:
            return [], "the From header holds an address without a mailbox or domain"
        if not _PLAIN_ADDRESS.fullmatch(address):
            return [], f"the address {address!r} has a quoted local part or an unusual domain"
        mailboxes.append((mailbox.display_name or _comment_name(text, address), address))
    return mailboxes, ""


def _comment_name(text: str, address: str) -> str:
    """The name in the old comment form ``pat@example.org (Pat Primary)`` (RFC 5322 3.4 keeps
    it as a comment, so the parser gives no display name): only when the whole value is the
    address the strict reading found and one comment after it."""
    found = re.fullmatch(rf"\s*{re.escape(address)}\s*\(([^()\\]*)\)\s*", text, re.IGNORECASE)
    return found.group(1).strip() if found else ""


_FOLD = re.compile(r"\r?\n(?=[ \t])")
# What a person's address looks like: a dot-atom local part (no quotes, so no "@" inside it)
# at a domain name. Anything else a strict reader returns (a quoted local part, a domain
# literal) is matched to no one.
_PLAIN_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"
)


def _date(value: str) -> datetime | None:
    try:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None or parsed.tzinfo is None:
            return None  # "-0000": the time zone is unknown; better no date than a wrong one
        parsed.astimezone(UTC)  # an offset or a year no database can store raises here
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if not 1970 <= parsed.year <= 2200:
        return None
    return parsed


def _raw_headers(message: Message, name: str) -> list[tuple[str, str]]:
    lowered = name.lower()
    try:
        return [(k, v) for k, v in message.raw_items() if str(k).lower() == lowered]
    except Exception:  # noqa: BLE001
        return []


def _policy_header(message: Message, key: str, value: str) -> Any:
    """The policy's header object (a ``str``; address headers have ``.addresses``)."""
    return policy.default.header_fetch_parse(key, value)


def _header_text(message: Message, key: str, value: str) -> str:
    """A header as text. The modern policy decodes it; a value it cannot parse, or one with raw
    8-bit bytes (which it turns into replacement marks), is decoded here: the bytes as UTF-8 or
    Windows-1252, RFC 2047 words with the charset they name or the usual suspects."""
    if isinstance(value, str) and not _EIGHT_BIT.search(value):
        try:
            text = str(_policy_header(message, key, value))
        except Exception:  # noqa: BLE001 - a header the policy cannot parse: read it here
            text = None
        if text is not None and "\ufffd" not in text:
            return clean_text(text)
    return _decode_header(value)


def _decode_header(value: object) -> str:
    """A header value as text, decoded the old way: RFC 2047 words in the charset they name
    (or UTF-8, or Windows-1252 when that charset is unknown or lies), raw bytes likewise."""
    try:
        text = clean_text(str(value))
    except Exception:  # noqa: BLE001
        return ""
    if "=?" in text:
        with contextlib.suppress(Exception):  # a broken encoded word stays as it was
            text = _rfc2047(text)
    return clean_text(text)


def _rfc2047(text: str) -> str:
    pieces = []
    for data, charset in email.header.decode_header(text):
        if isinstance(data, str):
            pieces.append(data)
        elif charset is None:  # the text between encoded words, as decode_header keeps it
            pieces.append(data.decode("raw-unicode-escape", "replace"))
        else:
            pieces.append(decode_text(data, charset))
    return "".join(pieces)


_EIGHT_BIT = re.compile("[\udc80-\udcff]")  # bytes the email package could not decode
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _byte_as_text(found: re.Match[str]) -> str:
    byte = bytes([ord(found.group()) - 0xDC00])
    try:
        return byte.decode("windows-1252")
    except UnicodeDecodeError:
        return byte.decode("latin-1")


def clean_text(text: str) -> str:
    """Text any database can store: raw bytes the email package kept as surrogate escapes read
    as UTF-8 (or Windows-1252), any other lone surrogate (UTF-7 and friends make them) and NUL
    characters removed."""
    if _LONE_SURROGATE.search(text):
        text = re.sub("[\ud800-\udc7f\udd00-\udfff]", "\ufffd", text)
        if _EIGHT_BIT.search(text):  # UTF-8 where the bytes are UTF-8, Windows-1252 elsewhere
            data = text.encode("utf-8", "surrogateescape")
            text = _EIGHT_BIT.sub(_byte_as_text, data.decode("utf-8", "surrogateescape"))
    return text.replace("\x00", "")


def _defects(message: Message) -> list[MessageDefect]:
    found = list(message.defects)
    for part in message.walk():
        found.extend(getattr(part, "defects", []))
    return found


def decode_text(data: bytes, declared: str | None) -> str:
    """Bytes of a text part as text: the declared charset if it is real and the bytes fit it,
    else UTF-8, else Windows-1252, else Latin-1 (which reads any byte). A declared ASCII or
    Latin-1 is read as its superset Windows-1252 (what such mail really is), or as UTF-8 when
    the bytes are valid UTF-8 (mail that says Latin-1 and sends UTF-8 is common)."""
    candidates = []
    charset = _known_charset(declared)
    if charset in _LATIN:
        if not data.isascii():
            candidates.append("utf-8")
        candidates.append("windows-1252")
    elif charset:
        candidates.append(charset)
    candidates.extend(c for c in _FALLBACK_CHARSETS if c not in candidates)
    for name in candidates:
        try:
            return _LONE_SURROGATE.sub("\ufffd", data.decode(name))
        except Exception:  # noqa: BLE001, S112 - UnicodeError, or a codec that is no charset
            continue
    return data.decode("latin-1")


def _detected_charset(data: bytes) -> str | None:
    """The charset of text that declares none and is not UTF-8 (RFC 2045 says US-ASCII, but
    Cyrillic or Greek mail sent that way is not Latin-1), as charset-normalizer guesses it."""
    if data.isascii():
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        best = charset_normalizer.from_bytes(data[:65536]).best()
        return best.encoding if best is not None else None
    return None


# Charsets mail names that Python knows by another name, or whose Windows superset is what
# the sender's machine really wrote.
_CHARSET_ALIASES = {
    "x-sjis": "cp932",
    "shift_jis": "cp932",
    "ms_kanji": "cp932",
    "x-mac-roman": "mac-roman",
    "macintosh": "mac-roman",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "euc_kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
    "x-unknown": "",
    "unknown-8bit": "",
}
_LATIN = {"ascii", "iso8859-1", "cp1252", "latin-1"}
# Python codecs that are not charsets (or that accept anything and mean nothing in mail).
_NOT_CHARSETS = {"idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape", "charmap"}


def _known_charset(declared: str | None) -> str:
    name = (declared or "").strip().strip("\"'").lower()[:40]
    if not name:
        return ""
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return ""
    try:
        found = codecs.lookup(name).name
    except (LookupError, ValueError, TypeError):
        return ""
    found = _CHARSET_ALIASES.get(found, found)
    return "" if found in _NOT_CHARSETS else found


# A plain version shorter than this share of the HTML version's text is a stub: the sender's
# program wrote the real message (and the form) only in HTML.
STUB_RATIO = 0.25
# The lines mail programs put in a plain version that is not the message.
_STUB_LINE = re.compile(
    r"(this|the)\s+(e-?mail|message)\s+(is|was)\s+(sent\s+|written\s+|formatted\s+)?in\s+html"
    r"|(view|read|see)\s+(this|the|it)(\s+(e-?mail|message))?\s+in\s+(a|your|the)\s+(web\s+)?browser"
    r"|(mail|e-?mail)\s+(program|client|reader|software)\s+(does\s+not|doesn't|cannot)\s+"
    r"(support|display|show)\s+html"
    r"|to\s+view\s+(this|the)\s+(e-?mail|message)[^.\n]*html",
    re.IGNORECASE,
)


def is_stub(plain: str, html_text: str) -> bool:
    """Is ``plain`` a placeholder for ``html_text`` rather than the same message?"""
    plain, html_text = plain.strip(), html_text.strip()
    if not html_text or len(html_text) <= len(plain):
        return False
    return len(plain) < STUB_RATIO * len(html_text) or bool(
        len(plain) < 500 and _STUB_LINE.search(plain)
    )


class _Body:
    """Walks the MIME tree once: the text to show, the attachments, the forwarded messages,
    and what could not be opened (defects, named like the email package's)."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.attachments: list[MailAttachment] = []
        self.forwarded: list[ForwardedMessage] = []
        self.defects: list[str] = []

    def text(self) -> tuple[str, bool]:
        plain = "\n\n".join(p for p in self.plain if p.strip())
        if plain.strip():
            return _normalise(plain), False
        html = "\n\n".join(h for h in self.html if h.strip())  # already converted to text
        return _normalise(html), bool(html.strip())

    def take(self, other: "_Body") -> None:
        """Everything another walk found, as if this walk had found it."""
        self.plain.extend(other.plain)
        self.html.extend(other.html)
        self.attachments.extend(other.attachments)
        self.forwarded.extend(other.forwarded)
        self.defects.extend(other.defects)

    def collect(self, part: Message, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        content_type = _content_type(part)
        if content_type in ("message/rfc822", "message/global"):
            self._forwarded(part, depth)
        elif content_type == "multipart/alternative" and _subparts(part):
            self._alternative(part, depth)
        elif part.is_multipart():
            for sub in _subparts(part):
                self.collect(sub, depth + 1)
        elif content_type.startswith("multipart/"):
            # No boundary, or one that never appears: the parts cannot be told apart. Show it
            # all as text rather than nothing; a person can still read the form in it.
            self.plain.append(_text_of(part))
        else:
            self._leaf(part, content_type, depth)

    def _alternative(self, part: Message, depth: int) -> None:
        # The richest version the sender wrote as text: plain first; HTML when plain is empty
        # or a stub ("This message is in HTML", or far shorter than the HTML's text: then the
        # form is only in the HTML). Attachments of the versions not shown are still kept
        # (Apple Mail puts inline images in the HTML version's multipart/related, next to a
        # plain version without them).
        subs = _subparts(part)
        plain = [s for s in subs if _content_type(s) == "text/plain" and _text_of(s).strip()]
        rich = [s for s in subs if _content_type(s) != "text/plain"]
        richest = (
            [s for s in rich if _content_type(s) == "text/html"][:1]
            or [s for s in rich if s.is_multipart()][:1]
            or rich[-1:]
        )
        walked: dict[int, _Body] = {}
        for sub in subs:
            walked[id(sub)] = _Body()
            walked[id(sub)].collect(sub, depth + 1)
        chosen = plain[:1] or richest
        if plain and richest:
            rich_text, _ = walked[id(richest[0])].text()
            if is_stub(_normalise(_text_of(plain[0])), rich_text):
                chosen = richest
        for sub in subs:
            if sub in chosen:
                self.take(walked[id(sub)])
            else:
                self.attachments.extend(walked[id(sub)].attachments)

    def _leaf(self, part: Message, content_type: str, depth: int) -> None:
        disposition = _safe(part.get_content_disposition) or ""
        filename = _filename(part)
        if content_type == "text/plain" and disposition != "attachment" and not filename:
            text, files = take_uuencoded(_text_of(part))
            self.plain.append(text)
            self.attachments.extend(files)
            return
        if content_type == "text/html" and disposition != "attachment" and not filename:
            self.html.append(html_to_text(_text_of(part)))
            return
        data = _payload(part)
        if content_type == "application/ms-tnef" and not filename:
            filename = "winmail.dat"
        if filename.lower() == "winmail.dat" or content_type == "application/ms-tnef":
            opened = open_tnef(data)
            if opened is not None:  # its text and files instead of the container
                self.take(opened)
                return
        content_id = _first_header(part, "Content-ID").strip()
        self.attachments.append(
            MailAttachment(
                name=filename or _default_name(content_type),
                declared_type=content_type,
                data=data,
                inline=disposition == "inline" or bool(content_id),
                content_id=content_id.strip("<>")[:255],
            )
        )
        if is_outlook_msg(filename, content_type, data):
            # Kept as it came (above), and read like an attached message/rfc822.
            self.take(open_outlook_msg(data, depth + 1))

    def _forwarded(self, part: Message, depth: int) -> None:
        message = _inner_message(part)
        if message is None:
            return
        body = _Body()
        body.collect(message, depth + 1)
        text, _ = body.text()
        self.forwarded.append(
            ForwardedMessage(
                from_line=f"From: {_first_header(message, 'From')}",
                subject=f"Subject: {_first_header(message, 'Subject')}",
                date=_first_header(message, "Date"),
                text=text,
            )
        )
        self.forwarded.extend(body.forwarded)
        self.attachments.append(_as_eml(message))
        self.attachments.extend(body.attachments)


def open_tnef(data: bytes) -> "_Body | None":
    """Outlook's ``winmail.dat`` (TNEF, application/ms-tnef) opened with tnefparse: its body
    as text (plain, else HTML) and its files as attachments. None when it cannot be read: then
    the container itself is kept, as before."""
    from tnefparse import TNEF  # imported here: only the few messages with a winmail.dat pay

    try:
        tnef = TNEF(data, do_checksum=False)
        files = [(_container_text(a.long_filename()), bytes(a.data)) for a in tnef.attachments]
        plain, html = tnef.body, tnef.htmlbody
    except Exception:  # noqa: BLE001 - a truncated or hostile container: keep it unopened
        return None
    if not plain and not html and not any(data for _, data in files):
        return None  # nothing in it we can read (an RTF-only body): keep it unopened
    body = _Body()
    if plain:
        text, hidden = take_uuencoded(_container_text(plain))
        body.plain.append(text)
        body.attachments.extend(hidden)
    elif html:
        body.html.append(html_to_text(_container_text(html)))
    body.attachments.extend(
        MailAttachment(name=name.strip()[:200] or "attachment.bin", declared_type="", data=data)
        for name, data in files
        if data
    )
    return body


def _container_text(value: object) -> str:
    """Text a winmail.dat or .msg holds, which may come as bytes in no declared charset."""
    if isinstance(value, bytes):
        return clean_text(decode_text(value.rstrip(b"\x00"), _detected_charset(value)))
    return clean_text(str(value or "")).rstrip("\x00")


# What mail programs call an attached Outlook item; many say only application/octet-stream,
# and then the name tells (with the content: a .doc or .xls is an OLE2 file too).
_OUTLOOK_TYPES = frozenset({"application/vnd.ms-outlook", "application/x-msg"})
UNREADABLE_OUTLOOK_MSG = "UnreadableOutlookMsgDefect"


def is_outlook_msg(filename: str, content_type: str, data: bytes) -> bool:
    """Is this part an Outlook .msg (an e-mail saved from Outlook, or dragged into a new one)?
    An OLE2 compound file by its first bytes, and called or typed as a .msg: not by name
    alone (a .msg that is really RFC 822 text stays a file)."""
    return data.startswith(OLE2) and (
        filename.lower().endswith(".msg") or content_type in _OUTLOOK_TYPES
    )


def open_outlook_msg(data: bytes, depth: int = 0) -> "_Body":
    """An Outlook .msg opened with extract-msg and read as an attached message/rfc822 is: its
    body (plain, else HTML) as a forwarded message, where a forwarded Problem Report is read;
    its files as attachments; each message inside it kept as a .msg and read likewise. The
    caller keeps the .msg itself. One that cannot be read gives only a defect (and stays the
    file it was)."""
    # Imported here: extract-msg and what it brings (olefile, RTF and HTML parsers) cost the
    # start of every ``ingest_mail`` process, and only the few messages with a .msg need them.
    import extract_msg
    from extract_msg.enums import ErrorBehavior

    body = _Body()
    try:
        # A broken or unsupported attachment, bad RTF or a bad named-property index lose that
        # piece only (the .msg stays whole in the kept file), not the whole message.
        tolerant = (
            ErrorBehavior.ATTACH_SUPPRESS_ALL
            | ErrorBehavior.RTFDE
            | ErrorBehavior.NAMED_NAME_STREAM
        )
        with extract_msg.openMsg(data, errorBehavior=tolerant) as message:
            _read_outlook(message, body, depth)
    except Exception:  # noqa: BLE001 - a truncated, hostile or non-mail compound file
        unreadable = _Body()
        unreadable.defects.append(UNREADABLE_OUTLOOK_MSG)
        return unreadable
    return body


def _read_outlook(message: Any, body: "_Body", depth: int) -> None:
    """One Outlook message (extract-msg's ``MessageBase``, or an item of another class without
    a body) into ``body``; the messages attached to it after it, so nearest first."""
    if depth > _MAX_DEPTH:
        return
    text = ""
    if plain := getattr(message, "body", None):
        text, hidden = take_uuencoded(_container_text(plain))
        body.attachments.extend(hidden)
    elif html := getattr(message, "htmlBody", None):
        text = html_to_text(_container_text(html))
    date = getattr(message, "date", None)
    subject = " ".join(_container_text(getattr(message, "subject", "")).split())
    body.forwarded.append(
        ForwardedMessage(
            from_line=f"From: {_outlook_sender(message)}",
            subject=f"Subject: {subject}",
            date=email.utils.format_datetime(date) if isinstance(date, datetime) else "",
            text=_normalise(text),
        )
    )
    for attachment in message.attachments:
        inner = attachment.data
        if isinstance(inner, bytes) and inner:
            cid = _container_text(attachment.cid or "").strip().strip("<>")
            name = _outlook_file_name(attachment)
            declared = _container_text(attachment.mimetype or "")
            body.attachments.append(
                MailAttachment(
                    name=name,
                    declared_type=declared,
                    data=inner,
                    inline=bool(cid),
                    content_id=cid[:255],
                )
            )
            if is_outlook_msg(name, declared, inner):  # a .msg file attached to the .msg
                body.take(open_outlook_msg(inner, depth + 1))
        elif hasattr(inner, "exportBytes") and hasattr(inner, "attachments"):
            body.attachments.append(_as_msg(inner))
            _read_outlook(inner, body, depth + 1)


def _outlook_sender(message: Any) -> str:
    """The sender as a From line would name them: the saved Internet headers' From when the
    .msg has them (mail received from outside), else the sender's name and SMTP address (an
    Exchange sender's own address is an X.500 path, not one to show)."""
    headers = _container_text(getattr(message, "headerText", None) or "")
    if headers.strip():
        found = _first_header(email.message_from_string(headers, policy=STRUCTURE), "From")
        if found.strip():
            return " ".join(found.split())
    stream = getattr(message, "getStringStream", None)
    if stream is None:
        return ""
    name = _container_text(stream("__substg1.0_0C1A") or "").strip()  # PidTagSenderName
    addresses = (stream("__substg1.0_5D01"), stream("__substg1.0_0C1F"))  # SMTP, then any
    address = next((a.strip() for a in addresses if a and "@" in a), "")
    if name and address and name != address:
        return f"{name} <{address}>"
    return name or address


def _outlook_file_name(attachment: Any) -> str:
    names = (attachment.longFilename, attachment.shortFilename, attachment.displayName)
    name = next((n for n in names if n), "")
    name = _decode_header(name).strip().replace("\\", "/").rsplit("/", 1)[-1]
    return name[:200] or "attachment.bin"


def _as_msg(message: Any) -> MailAttachment:
    """A message inside a .msg kept as a .msg of its own, ``<its subject>.msg``."""
    data = _safe(message.exportBytes) or b""
    subject = " ".join(_container_text(getattr(message, "subject", "") or "").split())
    name = re.sub(r"[^\w\- ().,]+", "_", subject).strip(" ._")[:100] or "attached message"
    return MailAttachment(name=f"{name}.msg", declared_type="application/vnd.ms-outlook", data=data)


def _as_eml(message: Message) -> MailAttachment:
    """A forwarded message kept as the file it was: ``<its subject>.eml``, for a person to
    open in a mail program (its form is also read, into ``forwarded``)."""
    data = _safe(message.as_bytes) or b""
    subject = " ".join(_first_header(message, "Subject").split())
    name = re.sub(r"[^\w\- ().,]+", "_", subject).strip(" ._")[:100] or "forwarded message"
    return MailAttachment(name=f"{name}.eml", declared_type="message/rfc822", data=data)


# uuencode (``begin 644 name`` ... ``end``), which old mail programs and scripts put in the
# text itself: each block becomes an attachment and leaves the text.
_UUENCODED = re.compile(
    r"^begin[ \t]+[0-7]{3,4}[ \t]+(?P<name>[^\n]+?)[ \t]*\n(?P<lines>(?:.*\n)*?)end[ \t]*$",
    re.MULTILINE,
)


def take_uuencoded(text: str) -> tuple[str, list[MailAttachment]]:
    """The text without its uuencoded blocks, and the files they held. A block that does not
    decode stays in the text, as written."""
    files: list[MailAttachment] = []

    def take(block: re.Match[str]) -> str:
        data = _uudecode(block.group("lines").replace("\r", ""))
        if data is None:
            return block.group(0)
        name = block.group("name").strip().replace("\\", "/").rsplit("/", 1)[-1][:200]
        files.append(
            MailAttachment(
                name=name or "attachment.bin",
                declared_type="application/octet-stream",
                data=data,
            )
        )
        return ""

    if "begin " not in text:
        return text, []
    return _UUENCODED.sub(take, text.replace("\r\n", "\n")), files


def _uudecode(lines: str) -> bytes | None:
    out = []
    for line in lines.split("\n"):
        if not line or line in ("`", " "):
            continue
        try:
            out.append(binascii.a2b_uu(line))
        except binascii.Error:
            # Some encoders drop trailing spaces: pad to the length the first byte announces.
            length = (ord(line[0]) - 32) & 63
            try:
                out.append(binascii.a2b_uu(line.ljust((length + 2) // 3 * 4 + 1)))
            except binascii.Error:
                return None
    return b"".join(out) or None


def _inner_message(part: Message) -> Message | None:
    """The message inside a message/rfc822 part. Some mailers base64-encode it (RFC 2046 says
    they must not): the email package then sees the base64 text as a message without headers."""
    inner = _subparts(part)
    encoding = _first_header(part, "Content-Transfer-Encoding").strip().lower()
    if inner and encoding != "base64":
        return inner[0]
    if inner:
        encoded = _safe(inner[0].get_payload)
        data = (
            _safe(lambda: base64.b64decode(str(encoded).encode("ascii", "surrogateescape")))
            if isinstance(encoded, str)
            else None
        )
    else:
        data = _payload(part)
    if not data or not data.strip():
        return inner[0] if inner else None
    return email.message_from_bytes(data, policy=STRUCTURE)


def _first_header(message: Message, name: str) -> str:
    raw = _raw_headers(message, name)
    return _header_text(message, *raw[0]) if raw else ""


def _content_type(part: Message) -> str:
    return _memo(part, "content_type", lambda: _safe(part.get_content_type) or "text/plain")


def _memo(part: Message, name: str, compute: Callable[[], T]) -> T:
    """Read once per part: the email package parses a header again on every read, and one walk
    asks a part its type and text several times (choosing between alternatives). On the bench
    corpus this alone took ``parse_message`` from about 218 to 290 messages/s."""
    key = f"_ccap_{name}"
    store: dict[str, T] = part.__dict__
    if key not in store:
        store[key] = compute()
    return store[key]


def _subparts(part: Message) -> list[Message]:
    payload = _safe(part.get_payload)
    return [p for p in payload if isinstance(p, Message)] if isinstance(payload, list) else []


def _filename(part: Message) -> str:
    name = _safe(part.get_filename) or ""  # RFC 2231 and RFC 2047 names, decoded
    if not isinstance(name, str):
        return ""
    if "\ufffd" in name:  # raw 8-bit bytes, which the email package gave up on
        name = _eight_bit_filename(part) or name
    return _decode_header(name).strip()[:200]


_RAW_FILENAME = re.compile(r"""\b(?:file)?name\s*=\s*(?:"([^"]*)"|([^;\s]+))""", re.IGNORECASE)


def _eight_bit_filename(part: Message) -> str:
    """A filename written in raw 8-bit bytes, read like a header's: UTF-8, then the part's
    charset, then Windows-1252 (which reads any byte that matters)."""
    for header in ("Content-Disposition", "Content-Type"):
        for _, value in _raw_headers(part, header):
            found = _RAW_FILENAME.search(str(value))
            if found is None or not _EIGHT_BIT.search(found.group(0)):
                continue
            data = (found.group(1) or found.group(2) or "").encode("utf-8", "surrogateescape")
            charset = _known_charset(_safe(part.get_content_charset))
            for name in dict.fromkeys(("utf-8", charset or "utf-8", "windows-1252")):
                with contextlib.suppress(UnicodeDecodeError, LookupError):
                    return data.decode(name)
            return data.decode("latin-1")
    return ""


def _payload(part: Message) -> bytes:
    data = _safe(lambda: part.get_payload(decode=True))
    if isinstance(data, bytes):
        return data
    raw = _safe(lambda: part.get_payload(decode=False))
    return raw.encode("utf-8", "replace") if isinstance(raw, str) else b""


def _text_of(part: Message) -> str:
    return _memo(part, "text", lambda: _decoded_text(part))


def _decoded_text(part: Message) -> str:
    charset = _safe(part.get_content_charset)
    data = _payload(part)
    text = decode_text(data, charset or _detected_charset(data))
    if str(_safe(lambda: part.get_param("format")) or "").lower() == "flowed":
        delsp = str(_safe(lambda: part.get_param("delsp")) or "").lower() == "yes"
        text = _unflow(text, delsp=delsp)
    return text


def _unflow(text: str, *, delsp: bool) -> str:
    """format=flowed (RFC 3676, Thunderbird's and Apple Mail's plain text): a line ending in a
    space goes on in the next line. Joined back, so a wrapped form label is one line again."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = 0
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # space-stuffing (or the space after the quote marks)
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if pending is not None and depth == pending_depth:
            pending += content
        else:
            if pending is not None:
                out.append(_quote_prefix(pending_depth) + pending)
            pending, pending_depth = content, depth
        if not flowed:
            out.append(_quote_prefix(depth) + pending)
            pending = None
    if pending is not None:
        out.append(_quote_prefix(pending_depth) + pending)
    return "\n".join(out)


def _quote_prefix(depth: int) -> str:
    return ">" * depth + " " if depth else ""


def _default_name(content_type: str) -> str:
    return "attachment." + (content_type.rsplit("/", 1)[-1][:10] or "bin")


def _safe(call: Callable[[], T]) -> T | None:
    try:
        return call()
    except Exception:  # noqa: BLE001 - broken MIME: treat the part as empty, keep going
        return None


_BLANKS = re.compile(r"\n{3,}")


def _normalise(text: str) -> str:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\xa0", " ").replace("\x00", "")
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return _BLANKS.sub("\n\n", text).strip()
