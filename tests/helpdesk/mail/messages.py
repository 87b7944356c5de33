"""Raw test messages, built the way mail programs build them."""

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from django.utils import timezone

FORM = """Problem Report Form

Local Expert Contact
Pat Primary

Phone Number:  217-555-0100

E-mail Address: pat@example.org

Secondary Contact
Alice Agency

Phone Number:  217-555-0101

E-mail Address: alice@example.org

Date & Time the problem occurred: 11/20/2026 9:30 AM

Can you duplicate the problem? Yes or No
Yes

Who is experiencing the problem? Just me, Some coworkers, My entire team, My entire CCR&R/Site
Some coworkers

Security Group: CCR&R Caseworker

CCMS Screen Name: Case Sanctions

System: CCMS

Provide a complete description of the problem encountered, including steps (actions) \
performed prior to experiencing the problem and the expected result (i.e. unable to remove \
sanction, incorrect co-pay, cannot close case, etc):

The sanction on case 4411 cannot be removed: Save shows "error 500".
We expected the sanction to clear.

Thanks,
Pat
"""


def email_bytes(
    *,
    sender: str = "Pat Primary <pat@example.org>",
    to: str = "ccap-helpdesk@localhost",
    subject: str = "CCMS: cannot remove a sanction",
    body: str = FORM,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: Sequence[tuple[str, str, bytes]] = (),
    message_id: str | None = "",
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(timezone.now())
    if message_id is not None:
        message["Message-ID"] = message_id or make_msgid(domain="example.org")
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/", 1)
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()
