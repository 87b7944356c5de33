"""The monthly reports' email: on the first business day of each month (the State calendar),
each agency's local experts (primary and alternate of each office) get the link to their
report of the month before, with its headline figures and no personal data. Run by the
worker's schedule every hour; the send key (agency, month) makes every run after the first
queue nothing."""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from access.agency_reports import periods, selectors
from helpdesk import emails
from helpdesk.models import Agency, LocalExpertDesignation

TEMPLATE = "agency_report_monthly"


def send_key(agency: Agency, month: periods.Period) -> str:
    return f"agency_report:{agency.pk}:{month.slug}"


def expert_addresses(agency: Agency) -> list[str]:
    """The agency's designated local experts still with it, primary and alternate alike."""
    designations = (
        LocalExpertDesignation.objects.filter(office__agency=agency, person__active=True)
        .select_related("person")
        .prefetch_related("person__emails")
        .order_by("office__name", "role", "pk")
    )
    return emails.unique_addresses([d.person.primary_email for d in designations])


def send_monthly_report(agency: Agency, month: periods.Period) -> int:
    """Queue one agency's report of ``month`` to its local experts, once (0: sent before, or
    nobody to send it to)."""
    key = send_key(agency, month)
    to = expert_addresses(agency)
    if not to or emails.queued_to_anyone(key):
        return 0
    report = selectors.monthly_report(selectors.ReportScope(agency), month)
    context = {
        "agency": agency,
        "period": month,
        "report": report,
        "path": reverse("agency_report_monthly", args=[agency.pk, month.year, month.number]),
    }
    sent = emails.queue(TEMPLATE, to=to, key=key, context=context)
    return len(sent.recipients) if sent else 0


def monthly_reports(today: date | None = None) -> int:
    """On the month's first business day, every active agency's report of the month before;
    any other day, nothing. Returns how many addresses were sent to."""
    today = today or timezone.localdate()
    if today != periods.first_business_day(today.year, today.month):
        return 0
    month = periods.month(today.year, today.month).previous()
    return sum(send_monthly_report(agency, month) for agency in Agency.objects.active())
