"""What makes two deliveries the same message: its bytes, once what the way in adds is taken out.

The same message reaches us twice when a server retries, when it comes by two routes (a
forward and a copy), or when a mailbox is imported again. The copies then differ only in what
the servers and mail stores on the way add: line endings (CRLF on the wire, LF in a Maildir,
CR from old Mac tools), the trace headers each hop prepends, the verdicts of our own mail
server's checks, and the flags a mail store writes. ``content_fingerprint`` hashes the message
without those, so every copy has one fingerprint and a message really changed under the same
Message-ID does not.

Left out, and why (only what a relay or a mail store adds; never From, To, Cc, Subject, Date,
Message-ID, the MIME headers or the body, which are what a person wrote):

- trace: ``Received``, ``X-Received``, ``Return-Path``, ``Delivered-To``, ``X-Original-To``,
  ``Envelope-To``, ``X-Envelope-To``, ``X-Envelope-From``, ``X-Forwarded-To``,
  ``X-Forwarded-For``;
- authentication verdicts and seals, which each receiving server writes for itself:
  ``Authentication-Results``, ``X-Original-Authentication-Results``, ``Received-SPF``,
  ``ARC-*``, and ``DKIM-Signature`` (a forwarding service such as a mailing list or a hosted
  mail system may sign again; a signature never changes what a person reads);
- filters: ``X-Spam-*``, ``X-Virus-*``, ``X-MS-Exchange-Organization-*`` (per hop);
- mail-store flags: ``Status``, ``X-Status``, ``X-Keywords``, ``X-UID``, ``X-Mozilla-Status*``,
  ``Content-Length`` and ``Lines`` (mbox), and a leading mbox ``From `` envelope line;
- blank lines at the very end (some deliveries add one).
"""

import hashlib

_TRACE_HEADERS = frozenset(
    {
        b"received",
        b"x-received",
        b"return-path",
        b"delivered-to",
        b"x-original-to",
        b"envelope-to",
        b"x-envelope-to",
        b"x-envelope-from",
        b"x-forwarded-to",
        b"x-forwarded-for",
        b"authentication-results",
        b"x-original-authentication-results",
        b"received-spf",
        b"dkim-signature",
        b"status",
        b"x-status",
        b"x-keywords",
        b"x-uid",
        b"content-length",
        b"lines",
    }
)
_TRACE_PREFIXES = (
    b"arc-",
    b"x-spam-",
    b"x-virus-",
    b"x-ms-exchange-organization-",
    b"x-mozilla-status",
)


def content_fingerprint(raw: bytes) -> str:
    """The SHA-256 of the message in LF line endings, without what the way in adds."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    if text.startswith(b"From "):  # the mbox envelope line, written by the mail store
        text = text.partition(b"\n")[2]
    head, blank, body = text.partition(b"\n\n")
    kept = _without_trace_fields(head.split(b"\n"))
    return hashlib.sha256(b"\n".join(kept) + blank + body.rstrip(b"\n")).hexdigest()


def _without_trace_fields(lines: list[bytes]) -> list[bytes]:
    kept: list[bytes] = []
    dropping = False
    for line in lines:
        if line[:1] in (b" ", b"\t"):  # a fold belongs to the field above it
            if not dropping:
                kept.append(line)
            continue
        dropping = _is_trace(line)
        if not dropping:
            kept.append(line)
    return kept


def _is_trace(line: bytes) -> bool:
    name = line.partition(b":")[0].strip().lower()
    return name in _TRACE_HEADERS or name.startswith(_TRACE_PREFIXES)
