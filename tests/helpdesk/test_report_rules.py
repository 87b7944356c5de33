"""One rule of what a Problem Report needs (``models.tickets.missing_report_fields``): the same
report, typed into the web form or sent by email, gets the same verdict."""

import pytest

from helpdesk.mail.intake import Sender, report_from_mail
from helpdesk.mail.parse import parse_message
from helpdesk.models import Office, report_field_label
from helpdesk.reports.forms import ProblemReportForm
from tests.helpdesk.mail.messages import email_bytes

COMPLETE = {
    "contact_name": "Pat Primary",
    "contact_phone": "217-555-0100",
    "contact_email": "pat@example.org",
    "occurred_at": ("2026-11-20T09:30", "11/20/2026 9:30 AM"),
    "can_duplicate": ("yes", "Yes"),
    "who_affected": ("some_coworkers", "Some coworkers"),
    "system": ("ccms", "CCMS"),
    "description": "The sanction on case 4411 cannot be removed: Save shows error 500.",
}
# What the email form calls each field (seed 000), in its order.
MAIL_LINES = [
    ("contact_name", "Local Expert Contact\n{}"),
    ("contact_phone", "Phone Number:  {}"),
    ("contact_email", "E-mail Address: {}"),
    ("occurred_at", "Date & Time the problem occurred: {}"),
    ("can_duplicate", "Can you duplicate the problem? Yes or No\n{}"),
    (
        "who_affected",
        "Who is experiencing the problem? Just me, Some coworkers, My entire team, "
        "My entire CCR&R/Site\n{}",
    ),
    ("system", "System: {}"),
    ("description", "Provide a complete description of the problem encountered:\n\n{}"),
]


def _web(value):
    return value[0] if isinstance(value, tuple) else value


def _mail(value):
    return value[1] if isinstance(value, tuple) else value


def web_verdict(office: Office, report: dict) -> set[str]:
    data = {"summary": "Sanction will not clear", "office": office.pk}
    data |= {name: _web(value) for name, value in report.items()}
    form = ProblemReportForm(data, offices=Office.objects.filter(pk=office.pk))
    form.is_valid()
    return set(form.errors) - {"__all__"}


def mail_verdict(report: dict) -> set[str]:
    lines = ["Problem Report Form", ""]
    for name, template in MAIL_LINES:
        if name in report:
            lines += [template.format(_mail(report[name])), ""]
    parsed = parse_message(email_bytes(sender="someone@example.org", body="\n".join(lines)))
    # A sender the directory does not know: nothing is filled in from it but the address,
    # which both reports carry anyway.
    sender = Sender("pat@example.org", "", person=None, user=None, expert_offices=[])
    _, missing = report_from_mail(parsed, sender)
    by_label = {report_field_label(name): name for name in COMPLETE}
    by_label[report_field_label("system_other")] = "system_other"
    return {by_label[label] for label in missing}


def without(*names: str) -> dict:
    return {k: v for k, v in COMPLETE.items() if k not in names}


@pytest.mark.parametrize(
    ("report", "missing"),
    [
        (COMPLETE, set()),
        (without("contact_phone"), {"contact_phone"}),
        (without("contact_name"), {"contact_name"}),
        (without("occurred_at"), {"occurred_at"}),
        (without("can_duplicate"), {"can_duplicate"}),
        (without("who_affected"), {"who_affected"}),
        (without("occurred_at", "can_duplicate"), {"occurred_at", "can_duplicate"}),
        (COMPLETE | {"system": ("other", "Other")}, {"system_other"}),
        # The web form has a field for the other system's name; an email names it as the system.
        (COMPLETE | {"system": ("other", "IPACS"), "system_other": "IPACS"}, set()),
    ],
    ids=[
        "complete",
        "no-phone",
        "no-contact",
        "no-date",
        "no-duplicate-answer",
        "no-who",
        "two-missing",
        "other-system-unnamed",
        "other-system-named",
    ],
)
def test_the_web_form_and_the_mail_reader_agree_on_what_a_report_lacks(world, report, missing):
    assert web_verdict(world.office, report) == missing
    assert mail_verdict(report) == missing
