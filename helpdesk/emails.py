"""Mail to many people, one message each (notices to the field, welcome packets, procedure
re-sends): never one message with everyone in To or Cc, which would leak every address to every
recipient and make a reply-all storm one click away.

The caller's transaction commits first; then the recipients are split into batches of
``BULK_EMAIL_BATCH_SIZE`` and each batch is one django-q2 task. Each message is recorded in
``OutboundEmail`` under a key the caller chooses (e.g. ``notice:12:update:3:person:40``), so a
batch that is retried after a crash sends only what it had not sent yet.
"""

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.utils import timezone

from helpdesk.lib.background import enqueue_on_commit
from helpdesk.models import OutboundEmail


def new_message_id(idstring: str) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(">") or "localhost"
    return make_msgid(idstring=idstring, domain=domain)


def automatic_headers(*, replied: bool) -> dict[str, str]:
    """Every email we send is automatic (RFC 3834), so auto-responders must not answer it, and
    carries our X-Loop so that our own mail coming back is never taken for a person's."""
    return {
        "Reply-To": settings.HELPDESK_MAILBOX,
        "Auto-Submitted": "auto-replied" if replied else "auto-generated",
        "X-Loop": settings.HELPDESK_MAILBOX,
    }


def batches(items: Sequence, size: int | None = None) -> list[list]:
    size = max(1, size or settings.BULK_EMAIL_BATCH_SIZE)
    items = list(items)
    return [items[start : start + size] for start in range(0, len(items), size)]


def queue_in_batches_on_commit(task: str, keys: Sequence, *args, **kwargs) -> int:
    """After commit, queue ``task(batch_of_keys, *args, **kwargs)`` once per batch.
    Keys must be JSON/pickle friendly (ids); returns the number of batches queued."""
    chunks = batches(keys)
    for chunk in chunks:
        enqueue_on_commit(task, chunk, *args, **kwargs)
    return len(chunks)


def already_sent(key: str) -> bool:
    return OutboundEmail.objects.filter(key=key, sent_at__isnull=False).exists()


def send_individual(
    kind: str,
    address: str,
    context: dict,
    *,
    key: str,
    headers: dict[str, str] | None = None,
) -> bool:
    """Render ``emails/<kind>-subject.txt`` and ``-body.txt`` for one recipient and send it to
    that address alone. Returns False (and sends nothing) when ``key`` was already sent or there
    is no address."""
    if not address or already_sent(key):
        return False
    context = {"site_url": settings.SITE_URL, **context}
    subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", context).split())
    body = render_to_string(f"emails/{kind}-body.txt", context)
    message_id = new_message_id(kind.replace("_", ""))
    outbound = OutboundEmail.objects.create(
        kind=kind,
        key=key,
        message_id=message_id,
        recipients=[address],
        subject=subject[:255],
    )
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        [address],
        headers={"Message-ID": message_id, **automatic_headers(replied=False), **(headers or {})},
    ).send()
    outbound.sent_at = timezone.now()
    outbound.save(update_fields=["sent_at"])
    return True
