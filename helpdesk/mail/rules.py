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
    auto = parsed.header("Auto-Submitted").split(";")[0].strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = parsed.header("Precedence").strip().lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return f"Precedence: {precedence}"
    if parsed.header("List-Id") or parsed.header("List-Unsubscribe"):
        return "a mailing list message (List-Id)"
    return_paths = [p.strip() for p in parsed.headers("Return-Path")]
    if return_paths and return_paths[0] in ("<>", ""):
        return "empty Return-Path (a bounce)"
    local_part = parsed.from_address.split("@", 1)[0].lower()
    if local_part in _ROBOT_LOCAL_PARTS:
        return f"sent by {local_part}"
    loops = {value.strip().lower() for value in parsed.headers("X-Loop")}
    if settings.HELPDESK_MAILBOX.lower() in loops:
        return "our own message come back (X-Loop)"
    if parsed.message is not None and parsed.message.get_content_type() == "multipart/report":
        return "a delivery or read report"
    if parsed.header("X-Autoreply") or parsed.header("X-Autorespond"):
        return "an auto-responder (X-Autoreply)"
    if "oof" in parsed.header("X-Auto-Response-Suppress").lower() and _AUTOREPLY_SUBJECT.match(
        parsed.subject
    ):
        return "an out-of-office reply"
    return ""


def dmarc_failed(parsed: ParsedMail) -> bool:
    """True when an Authentication-Results header added by one of our own servers (its
    authserv-id is configured as trusted) reports dmarc=fail. Headers from anyone else are
    ignored: a sender can write any Authentication-Results it likes (RFC 8601 section 5)."""
    trusted = {server.lower() for server in settings.MAIL_TRUSTED_AUTHSERV_IDS}
    if not trusted:
        return False
    for value in parsed.headers("Authentication-Results"):
        authserv_id = value.split(";", 1)[0].strip().split()[0].lower() if value.strip() else ""
        if authserv_id in trusted and re.search(r"\bdmarc\s*=\s*fail\b", value, re.IGNORECASE):
            return True
    return False
