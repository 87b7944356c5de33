"""Rules read off a message's headers: is it automatic (RFC 3834: never answer it), and did a
trusted mail server find that it fails DMARC (possibly spoofed)."""

import re

from django.conf import settings

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


def dmarc_failed(parsed: ParsedMail) -> bool:
    """True when an Authentication-Results header added by one of our own servers (its
    authserv-id is configured as trusted) reports dmarc=fail. Headers from anyone else are
    ignored: a sender can write any Authentication-Results it likes (RFC 8601 section 5)."""
    trusted = {server.lower() for server in settings.MAIL_TRUSTED_AUTHSERV_IDS}
    if not trusted:
        return False
    for value in parsed.headers("Authentication-Results"):
        words = value.split(";", 1)[0].split()
        authserv_id = words[0].lower() if words else ""
        if authserv_id in trusted and re.search(r"\bdmarc\s*=\s*fail\b", value, re.IGNORECASE):
            return True
    return False
