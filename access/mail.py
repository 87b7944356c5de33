"""Access by email, offered every message by the mail intake (registered from AppConfig.ready).

- Fulfillers' replies: CMS or MIS answering the email that asked them to carry out a request
  (``tasks.send_fulfiller_email``) is shown on that request, found by the Message-ID it
  quotes or, from a fulfiller address, by the request's tag in the subject ("request #6").
- Departures: a local expert (or help desk staff) writes with "Departure" in the subject and
  the staff member's email address in the text, and when they left ("left on Friday", "last
  day 11/25/2026"); without a date the sender is asked for it and the message held.

What cannot be acted on is held in the quarantine for a person, never guessed."""

import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from access.departure_dates import departure_date_in
from access.models import REQUEST_TAG, AccessRequest, Departure, RequestReply
from access.services import is_fulfiller_address, report_departure
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.lib.background import enqueue_on_commit
from helpdesk.mail.handlers import Handled, show_reply
from helpdesk.models import InboundMessage, Person

if TYPE_CHECKING:  # what the intake hands every handler
    from helpdesk.mail.intake import Sender
    from helpdesk.mail.parse import ParsedMail

SUBJECT = re.compile(
    r"^\s*(?:(?:re|fw|fwd)\s*:\s*)*(?:staff\s+)?(departure|left the agency|change of function)\b",
    re.IGNORECASE,
)
EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")
CHANGED = re.compile(r"\b(changed|change of)\s+(job\s+)?function\b", re.IGNORECASE)
# The key of the email asking a fulfiller to carry out a request (``tasks.send_fulfiller_email``;
# ``emails.queue`` adds a digest of the recipients).
FULFILLER_EMAIL_KEY = re.compile(r"^access:(\d+):access_request(?::|$)")


def fulfiller_reply_handler(
    parsed: "ParsedMail", inbound: InboundMessage, sender: "Sender"
) -> Handled | None:
    request = _request_replied_to(parsed, sender.address)
    if request is None:
        return None
    if not sender.verified:
        # Believed only as far as the mail identity rules go: anyone can write CMS's address.
        return Handled(
            f"a reply on {request.tag} from {sender.address}, whose sender is not proven "
            "(no aligned DMARC pass, not a reply to our mail): held for the help desk.",
            needs_review=True,
        )
    if not (sender.staff or is_fulfiller_address(sender.address)):
        return Handled(
            f"a reply on {request.tag} from {sender.address}, who is not its fulfiller.",
            needs_review=True,
        )
    show_reply(RequestReply(request=request), parsed, inbound, sender.address)
    return Handled(f"reply from {sender.address} shown on {request.tag}.")


def _request_replied_to(parsed: "ParsedMail", address: str) -> AccessRequest | None:
    """The request whose fulfiller email the message quotes (In-Reply-To, References), or,
    from a fulfiller address only, the one its subject names by tag: a local expert's report
    may mention "request #6" and is not a fulfiller's answer."""
    for key in emails.keys_quoted_by(parsed.thread_ids, prefix="access:"):
        found = FULFILLER_EMAIL_KEY.match(key)
        if found:
            return AccessRequest.objects.filter(pk=int(found.group(1))).first()
    tag = REQUEST_TAG.search(parsed.subject)
    if tag is None or not is_fulfiller_address(address):
        return None
    return AccessRequest.objects.filter(pk=int(tag.group(1))).first()


def departure_handler(
    parsed: "ParsedMail", inbound: InboundMessage, sender: "Sender"
) -> Handled | None:
    if not SUBJECT.match(parsed.subject):
        return None
    if sender.user is None:
        return Handled(f"{sender.address} has no sign-in to report departures.", needs_review=True)
    if not sender.verified:
        # A departure ends someone's sign-in: a forged From must not do that to a colleague.
        return Handled(
            f"departure report from {sender.address}, whose sender is not proven (no aligned "
            "DMARC pass, not a reply to our mail): held for the help desk to confirm and report "
            "on the person's access page.",
            needs_review=True,
        )
    addresses = {a.lower() for a in EMAIL.findall(parsed.text)} - {sender.address}
    people = list(Person.objects.active().filter(emails__address__in=addresses).distinct()[:2])
    if len(people) != 1:
        found = "no one" if not people else "more than one person"
        return Handled(f"departure report naming {found} we know by email.", needs_review=True)
    person = people[0]
    effective_on = departure_date_in(
        f"{parsed.subject}\n{parsed.full_text}", today=timezone.localdate()
    )
    if effective_on is None:
        # The clock counts from the departure date: asked for, never taken to be today.
        enqueue_on_commit(
            "helpdesk.mail.tasks.send_inbound_reply", "departure_date_needed", inbound.pk
        )
        return Handled(
            f'departure report for {person} without a date we can read ("left on", "last '
            "day\", a date): the sender was asked for it; report it on the person's access page "
            "once known.",
            needs_review=True,
        )
    kind = (
        Departure.Kind.CHANGED_FUNCTION if CHANGED.search(parsed.full_text) else Departure.Kind.LEFT
    )
    try:
        departure = report_departure(
            person,
            by=Actor.of(sender.user),
            kind=kind,
            effective_on=effective_on,
            note=f"Reported by email: {parsed.subject}",
        )
    except (PermissionDenied, ValidationError) as error:
        return Handled(f"departure of {person} not accepted: {error}", needs_review=True)
    count = departure.requests.count()
    return Handled(f"departure of {person}: {count} revocation(s) opened.")
