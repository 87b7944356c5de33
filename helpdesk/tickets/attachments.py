"""Ticket attachments: checked by what they contain (``helpdesk.lib.uploads``), kept under a
random name outside any public path, and served only through a permission-checked view,
always as a download."""

import hashlib
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.template.defaultfilters import filesizeformat

from helpdesk.actor import Actor
from helpdesk.lib.uploads import safe_name, sniff
from helpdesk.models import Ticket, TicketAttachment, TicketMessage
from helpdesk.tickets.permissions import sees_internal_notes


def attach(
    ticket: Ticket,
    *,
    by: Actor,
    name: str,
    data: bytes,
    message: TicketMessage | None = None,
    internal: bool = False,
) -> TicketAttachment:
    """Keep one file on the ticket; a ValidationError says why a file is refused."""
    attachment = _stored(ticket, by=by, name=name, data=data, message=message, internal=internal)
    attachment.save()
    return attachment


def attach_each(
    ticket: Ticket,
    files: Iterable[tuple[str, bytes]],
    *,
    by: Actor,
    message: TicketMessage | None = None,
) -> tuple[list[TicketAttachment], list[str]]:
    """Several files at once (an email's parts): every acceptable one kept, all in one INSERT
    however many there are; the others listed with why each was refused."""
    kept, refused = [], []
    for name, data in files:
        try:
            kept.append(_stored(ticket, by=by, name=name, data=data, message=message))
        except ValidationError as error:
            refused.append("; ".join(error.messages))
    TicketAttachment.objects.bulk_create(kept)
    return kept, refused


def _stored(
    ticket: Ticket,
    *,
    by: Actor,
    name: str,
    data: bytes,
    message: TicketMessage | None,
    internal: bool = False,
) -> TicketAttachment:
    """The checked file written to storage, its row not yet saved."""
    if internal and not sees_internal_notes(by.user):
        raise PermissionDenied("Only help desk and MIS staff attach internal files.")
    limit = settings.ATTACHMENT_MAX_BYTES
    if len(data) > limit:
        size, most = filesizeformat(len(data)), filesizeformat(limit)
        raise ValidationError(f"{name} ({size}) is larger than the {most} limit.")
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
    return attachment
