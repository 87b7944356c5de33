"""Ticket attachments: checked by what they contain (``helpdesk.lib.uploads``), kept under a
random name outside any public path, and served only through a permission-checked view,
always as a download."""

import hashlib

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction

from helpdesk.actor import Actor
from helpdesk.lib.uploads import safe_name, sniff
from helpdesk.models import Ticket, TicketAttachment, TicketMessage
from helpdesk.tickets.permissions import sees_internal_notes


@transaction.atomic
def attach(
    ticket: Ticket,
    *,
    by: Actor,
    name: str,
    data: bytes,
    message: TicketMessage | None = None,
    internal: bool = False,
) -> TicketAttachment:
    if internal and not sees_internal_notes(by.user):
        raise PermissionDenied("Only help desk and MIS staff attach internal files.")
    limit = settings.ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        raise ValidationError(f"{name} is larger than the {limit // (1024 * 1024)} MB limit.")
    if not data:
        raise ValidationError(f"{name} is empty.")
    kind = sniff(data)
    if kind is None:
        raise ValidationError(
            f"{name} is not a type we accept (PDF, images, Word, Excel or plain text)."
        )
    attachment = TicketAttachment(
        ticket=ticket,
        message=message,
        original_name=safe_name(name, kind.extension),
        content_type=kind.content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        internal=internal,
        uploaded_by=by.user,
    )
    attachment.file.save("upload", ContentFile(data), save=False)
    attachment.save()
    return attachment
