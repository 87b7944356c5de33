"""Rules read off a message's headers: is it automatic (RFC 3834: never answer it), and what a
trusted mail server's DMARC check says of the From we read (aligned pass, fail, nothing)."""

import re
from enum import StrEnum
from functools import cache

from django.conf import settings
from publicsuffixlist import PublicSuffixList

from helpdesk.mail.parse import ParsedMail

_ROBOT_LOCAL_PARTS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply"}
_AUTOREPLY_SUBJECT = re.compile(
    r"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|undeliverable|"
    r"delivery status notification|mail delivery failed|returned mail)\b",
    re.IGNORECASE,
)


def automatic_reason(parsed: ParsedMail) -> str:
    """Why this message is an automatic one (a bounce, an out-of-office, a list, our own mail
    come back), or "" when a person wrote it."""
    auto = parsed.header("Auto-Submitted").strip().lower()
    # "auto-replied; owner=...", "no (a person)"; the pattern matches any text (maybe empty).
    found = re.match(r"[a-z0-9-]*", auto)
    keyword = found.group(0) if found else ""
    if auto and keyword != "no":
        return f"Auto-Submitted: {keyword or auto[:40]}"
    precedence = parsed.header("Precedence").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    if parsed.header("List-Id") or parsed.header("List-Unsubscribe"):
        return "a mailing list message (List-Id)"
    return_paths = [p.strip() for p in parsed.headers("Return-Path")]
    if return_paths and not return_paths[0].strip("<> \t"):
        return "empty Return-Path (a bounce)"
    local_part = parsed.from_address.split("@", 1)[0].lower()
    if local_part in _ROBOT_LOCAL_PARTS:
        return f"sent by {local_part}"
    loops = {value.strip().lower() for value in parsed.headers("X-Loop")}
    if settings.HELPDESK_MAILBOX.lower() in loops:
        return "our own message come back (X-Loop)"
    if _content_type(parsed) == "multipart/report":
        return "a delivery or read report"
    if parsed.header("X-Autoreply") or parsed.header("X-Autorespond"):
        return "an auto-responder (X-Autoreply)"
    # Exchange marks its own automatic replies "X-Auto-Response-Suppress: All" (or a list with
    # OOF, AutoReply) and says so in the subject; people's mail may carry the header too.
    suppress = parsed.header("X-Auto-Response-Suppress").lower()
    if re.search(r"\b(all|oof|autoreply)\b", suppress) and _AUTOREPLY_SUBJECT.match(parsed.subject):
        return "an out-of-office reply"
    return ""


def _content_type(parsed: ParsedMail) -> str:
    try:
        return parsed.message.get_content_type() if parsed.message is not None else ""
    except Exception:  # noqa: BLE001 - a Content-Type the email package cannot read
        return ""


class Dmarc(StrEnum):
    """What our own mail server's DMARC check says of a message's From."""

    ALIGNED = "pass"  # dmarc=pass, and its header.from is aligned with the From we read
    FAIL = "fail"  # dmarc=fail: possibly spoofed
    NONE = "none"  # no trusted verdict, or a pass for some other domain: proves nothing


def dmarc_verdict(parsed: ParsedMail) -> Dmarc:
    """DMARC as reported in an ``Authentication-Results`` header that one of our own servers
    added (its authserv-id is in ``settings.MAIL_TRUSTED_AUTHSERV_IDS``); headers from anyone
    else are ignored: a sender can write any Authentication-Results it likes (RFC 8601
    section 5). A ``dmarc=fail`` in any trusted header fails. A pass counts only from the
    topmost trusted header (the one our server prepended last; a copy the sender forged
    below it counts for nothing), and only when its ``header.from`` is the domain of the From
    we read, under relaxed alignment (RFC 7489 3.1: the same organizational domain). A pass
    for another domain is no verdict: the server may have read a different From than we did
    (``"maria@agency.example"@evil.example`` passes DMARC for evil.example)."""
    verdicts = _trusted_dmarc(parsed)
    if any(result == "fail" for result, _ in verdicts):
        return Dmarc.FAIL
    if verdicts and verdicts[0][0] == "pass":
        domain = parsed.from_address.rpartition("@")[2]
        if domain and verdicts[0][1] and aligned(verdicts[0][1], domain):
            return Dmarc.ALIGNED
    return Dmarc.NONE


def aligned(one: str, other: str) -> bool:
    """Relaxed DMARC alignment: the two domains share their organizational domain (the
    registrable domain under the Public Suffix List, as bundled with ``publicsuffixlist``:
    read offline, never fetched)."""
    return organizational_domain(one) == organizational_domain(other) != ""


def organizational_domain(domain: str) -> str:
    name = domain.strip().strip(".").lower()
    if not name:
        return ""
    return _public_suffixes().privatesuffix(name) or name


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()  # the list bundled with the package: no network


_COMMENT = re.compile(r"\([^()]*\)")
_RESULT = re.compile(r"^\s*dmarc\s*=\s*([a-z]+)", re.IGNORECASE)
_HEADER_FROM = re.compile(r"\bheader\.from\s*=\s*\"?([^\s;\"]+)", re.IGNORECASE)


def _trusted_dmarc(parsed: ParsedMail) -> list[tuple[str, str]]:
    """(result, header.from) of each DMARC result in a trusted Authentication-Results header,
    topmost header first."""
    trusted = {server.lower() for server in settings.MAIL_TRUSTED_AUTHSERV_IDS}
    if not trusted:
        return []
    found = []
    for value in parsed.headers("Authentication-Results"):
        text = _COMMENT.sub(" ", value)
        words = text.split(";", 1)[0].split()
        if not words or words[0].lower() not in trusted:
            continue
        for result in text.split(";")[1:]:
            matched = _RESULT.match(result)
            if matched:
                header_from = _HEADER_FROM.search(result)
                found.append(
                    (matched.group(1).lower(), header_from.group(1).lower() if header_from else "")
                )
    return found
