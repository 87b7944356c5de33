"""Demo inbound mail: a few messages through the real intake, so "Inbound mail" shows each
outcome (a ticket, an incomplete ticket, the quarantine, an ignored out-of-office)."""

from email.message import EmailMessage
from email.utils import format_datetime

from django.utils import timezone

from helpdesk.directory.roles import Role
from helpdesk.mail import intake
from helpdesk.models import DesignationRole, InboundMessage, InboundSource, Office, Person

FORM = """Problem Report Form

Local Expert Contact: {name}
Phone Number: 815-555-0142
Date & Time the problem occurred: {when}
Can you duplicate the problem? Yes
Who is experiencing the problem? My entire team
CCMS Screen Name: Eligibility Summary
System: CCMS

Description:
Every new case approved since this morning shows a co-pay of $0.00 on the Eligibility Summary
screen. We expected the co-pay from the sliding fee scale.
"""


def seed_demo_mail() -> int:
    office = Office.objects.filter(agency__code="ccrr-05").order_by("pk").first()
    if office is None:
        return 0
    expert = office.designations.get(role=DesignationRole.PRIMARY).person
    user = Person.objects.filter(office=office, user__groups__name=Role.AGENCY_USER).first()
    when = timezone.localtime().strftime("%m/%d/%Y 8:40 AM")
    messages = [
        (
            "demo-form",
            expert,
            "CCMS: co-pay shows $0 for new cases",
            FORM.format(name=expert.full_name, when=when),
            {},
        ),
        (
            "demo-incomplete",
            expert,
            "InfoView reports time out",
            "Every InfoView report times out after a minute.\n",
            {},
        ),
        (
            "demo-not-expert",
            user,
            "CCTS password expired",
            "My CCTS password expired; please reset it.\n",
            {},
        ),
        (
            "demo-out-of-office",
            expert,
            "Automatic reply: out of the office",
            "I am away until Monday.\n",
            {"Auto-Submitted": "auto-replied"},
        ),
    ]
    created = 0
    for key, person, subject, body, headers in messages:
        message_id = f"<{key}@demo.ccap-helpdesk.example>"
        if person is None or InboundMessage.objects.filter(message_id=message_id).exists():
            continue
        intake.ingest(_raw(person, subject, body, message_id, headers), source=InboundSource.DROP)
        created += 1
    return created


def _raw(person: Person, subject: str, body: str, message_id: str, headers: dict) -> bytes:
    message = EmailMessage()
    message["From"] = f"{person.full_name} <{person.primary_email}>"
    message["To"] = "CCAP Help Desk <ccap-helpdesk@localhost>"
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name] = value
    message.set_content(body)
    return message.as_bytes()
