"""Departures by email: a local expert (or help desk staff) writes to the help desk mailbox
with "Departure" in the subject and the staff member's email address in the text; the mail
intake offers every message here first (registered from AppConfig.ready). What cannot be acted
on is held in the quarantine for a person, never guessed."""

import re
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from access.models import Departure
from access.services import report_departure
from helpdesk.actor import Actor
from helpdesk.mail.handlers import Handled
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
    kind = (
        Departure.Kind.CHANGED_FUNCTION if CHANGED.search(parsed.full_text) else Departure.Kind.LEFT
    )
    try:
        departure = report_departure(
            person,
            by=Actor.of(sender.user),
            kind=kind,
            effective_on=timezone.localdate(),
            note=f"Reported by email: {parsed.subject}",
        )
    except (PermissionDenied, ValidationError) as error:
        return Handled(f"departure of {person} not accepted: {error}", needs_review=True)
    count = departure.requests.count()
    return Handled(f"departure of {person}: {count} revocation(s) opened.")
