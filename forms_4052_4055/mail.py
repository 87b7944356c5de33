"""Signed forms by email: the mail intake offers every message here first (registered from
``AppConfig.ready``; helpdesk never imports this app). A message naming a form's reference in
its subject or an attachment's file name, with a PDF or image attached, is filed on that form
as its signed copy."""

import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError

from forms_4052_4055.models import FormState, SecurityForm
from forms_4052_4055.permissions import is_local_expert_for
from forms_4052_4055.services import check_document, receive
from helpdesk.actor import Actor
from helpdesk.mail.handlers import Handled
from helpdesk.models import InboundMessage
from helpdesk.transitions import ConflictError

if TYPE_CHECKING:  # what the intake hands every handler
    from helpdesk.mail.intake import Sender
    from helpdesk.mail.parse import ParsedMail

REFERENCE = re.compile(r"\bSF-\d{4}-\d{5}\b", re.IGNORECASE)
OPEN_TO_COPIES = [FormState.ISSUED, FormState.RETURNED, FormState.RECEIVED]


def signed_form_handler(
    parsed: "ParsedMail", inbound: InboundMessage, sender: "Sender"
) -> Handled | None:
    references = REFERENCE.findall(parsed.subject)
    references += [r for a in parsed.attachments for r in REFERENCE.findall(a.name)]
    if not references:
        return None
    form = SecurityForm.objects.filter(reference__in={r.upper() for r in references}).first()
    if form is None:
        return None  # not one of ours: let the intake read it as usual
    if not sender.verified:
        # Filing a copy moves the form on: only a proven sender (aligned DMARC, or a reply to
        # the mail that sent the form) may do that by email; anyone else is held for a person.
        return Handled(
            f"a copy for {form.reference} from {sender.address}, whose sender is not proven "
            "(no aligned DMARC pass, not a reply to our mail).",
            needs_review=True,
        )
    if not _may_send_copies(sender, form):
        # References are sequential: a stranger could guess one. Held for a person to look at.
        return Handled(
            f"a copy for {form.reference} from {sender.address}, who is neither the person, "
            "their agency's local expert nor staff.",
            needs_review=True,
        )
    if form.state not in OPEN_TO_COPIES:
        return Handled(f"{form.reference} is {form.get_state_display().lower()}; nothing filed.")
    filed = []
    for part in parsed.attachments:
        try:
            check_document(part.name, part.data)
            receive(
                form,
                by=Actor.system(f"signed copy emailed by {sender.address}"),
                name=part.name,
                data=part.data,
                source="email",
            )
        except (ValidationError, PermissionDenied, ConflictError):
            continue
        filed.append(part.name)
    if not filed:
        return Handled(f"{form.reference}: no PDF or image attached; nothing filed.")
    return Handled(f"signed copy of {form.reference} received: {', '.join(filed)}.")


def _may_send_copies(sender: "Sender", form: SecurityForm) -> bool:
    """The person themself, their agency's local expert, or help desk staff."""
    if sender.person is not None and sender.person.pk == form.person_id:
        return True
    return sender.user is not None and (
        sender.staff or is_local_expert_for(sender.user, form.person)
    )
