"""Security forms by email: the mail intake offers every message here first (registered from
``AppConfig.ready``; helpdesk never imports this app). A message naming a form's reference in
its subject or an attachment's file name, or replying to the form's mail (quoting the
Message-ID of the issue, a reminder or a return), belongs to that form: a PDF or image
attached is filed as its signed copy; a reply that files none (a question, no attachment, a
file we do not accept) is shown on the form for the help desk."""

import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError

from forms_4052_4055.models import FormReply, FormState, SecurityForm
from forms_4052_4055.permissions import is_local_expert_for
from forms_4052_4055.services import check_document, receive
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.mail.handlers import Handled, show_reply
from helpdesk.models import InboundMessage
from helpdesk.transitions import ConflictError

if TYPE_CHECKING:  # what the intake hands every handler
    from helpdesk.mail.intake import Sender
    from helpdesk.mail.parse import ParsedMail

REFERENCE = re.compile(r"\bSF-\d{4}-\d{5}\b", re.IGNORECASE)
# The key of every email about a form (``tasks.send_form_email``).
FORM_EMAIL_KEY = re.compile(r"^form:(\d+):")
OPEN_TO_COPIES = [FormState.ISSUED, FormState.RETURNED, FormState.RECEIVED]


def signed_form_handler(
    parsed: "ParsedMail", inbound: InboundMessage, sender: "Sender"
) -> Handled | None:
    form = _form_named(parsed) or _form_replied_to(parsed)
    if form is None:
        return None  # not about one of ours: let the intake read it as usual
    if not sender.verified:
        # Filing a copy moves the form on: only a proven sender (aligned DMARC, or a reply to
        # the mail that sent the form) may do that by email; anyone else is held for a person.
        return Handled(
            f"a message on {form.reference} from {sender.address}, whose sender is not proven "
            "(no aligned DMARC pass, not a reply to our mail).",
            needs_review=True,
        )
    if not _may_send_copies(sender, form):
        # References are sequential: a stranger could guess one. Held for a person to look at.
        return Handled(
            f"a message on {form.reference} from {sender.address}, who is neither the person, "
            "their agency's local expert nor staff.",
            needs_review=True,
        )
    if form.state not in OPEN_TO_COPIES:
        _show_reply(form, parsed, inbound, sender)
        state = form.get_state_display().lower()
        return Handled(f"{form.reference} is {state}; nothing filed, shown on the form.")
    filed = _file_copies(form, parsed, sender)
    if not filed:
        _show_reply(form, parsed, inbound, sender)
        return Handled(
            f"{form.reference}: nothing filed (no PDF or image we accept); shown on the form."
        )
    return Handled(f"signed copy of {form.reference} received: {', '.join(filed)}.")


def _form_named(parsed: "ParsedMail") -> SecurityForm | None:
    references = REFERENCE.findall(parsed.subject)
    references += [r for a in parsed.attachments for r in REFERENCE.findall(a.name)]
    if not references:
        return None
    return SecurityForm.objects.filter(reference__in={r.upper() for r in references}).first()


def _form_replied_to(parsed: "ParsedMail") -> SecurityForm | None:
    """The form whose mail the message quotes in In-Reply-To or References (a reply whose
    subject lost the reference)."""
    for key in emails.keys_quoted_by(parsed.thread_ids, prefix="form:"):
        found = FORM_EMAIL_KEY.match(key)
        if found:
            return SecurityForm.objects.filter(pk=int(found.group(1))).first()
    return None


def _file_copies(form: SecurityForm, parsed: "ParsedMail", sender: "Sender") -> list[str]:
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
    return filed


def _show_reply(
    form: SecurityForm, parsed: "ParsedMail", inbound: InboundMessage, sender: "Sender"
) -> None:
    show_reply(FormReply(form=form), parsed, inbound, sender.address)


def _may_send_copies(sender: "Sender", form: SecurityForm) -> bool:
    """The person themself, their agency's local expert, or help desk staff."""
    if sender.person is not None and sender.person.pk == form.person_id:
        return True
    return sender.user is not None and (
        sender.staff or is_local_expert_for(sender.user, form.person)
    )
