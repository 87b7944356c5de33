"""The monthly report's email: on the first business day of each month (State calendar) each
agency's local experts, primary and alternate, get the link to their report of the month
before, once per agency and month, whatever reruns and whoever joined since."""

from datetime import date

import pytest
from django.urls import reverse
from django_q.models import Schedule

from access.agency_reports import periods
from access.agency_reports.tasks import monthly_reports, send_key
from helpdesk.lib.schedules import ensure_schedules
from helpdesk.models import DesignationRole, OutboundEmail
from tests.factories import DesignationFactory, PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def go(day: date) -> int:
        with django_capture_on_commit_callbacks(execute=True):
            return monthly_reports(day)

    return go


def test_nothing_is_sent_on_a_day_that_is_not_the_first_business_day(world, run, mailoutbox):
    assert run(date(2026, 11, 1)) == 0  # a Sunday
    assert run(date(2026, 11, 3)) == 0  # the second business day
    assert run(date(2027, 1, 1)) == 0  # New Year's Day, a State holiday
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


def test_the_first_business_day_sends_last_months_report_to_each_agencys_experts(
    world, run, mailoutbox
):
    assert run(date(2026, 11, 2)) == 3  # Monday: the 1st was a Sunday

    by_address = {address: email for email in mailoutbox for address in email.to}
    assert set(by_address) == {"pat@example.org", "alex@example.org", "otto@example.org"}
    mine = by_address["pat@example.org"]
    assert "Northern Lights CCR&R" in mine.subject
    assert "October 2026" in mine.subject
    link = reverse("agency_report_monthly", args=[world.office.agency.pk, 2026, 10])
    assert link in mine.body
    assert "Otto" not in mine.body
    assert "Alice" not in mine.body
    otto = by_address["otto@example.org"]
    assert reverse("agency_report_monthly", args=[world.other_office.agency.pk, 2026, 10]) in (
        otto.body
    )


def test_a_rerun_sends_nothing_twice_even_to_a_new_expert(world, run, mailoutbox):
    run(date(2026, 11, 2))
    sent = len(mailoutbox)
    newcomer = PersonFactory(office=world.office, first_name="Nina", last_name="New")
    world.office.designations.filter(role=DesignationRole.ALTERNATE).delete()
    DesignationFactory(office=world.office, person=newcomer, role=DesignationRole.ALTERNATE)

    assert run(date(2026, 11, 2)) == 0
    assert len(mailoutbox) == sent
    key = send_key(world.office.agency, periods.month(2026, 10))
    assert OutboundEmail.objects.filter(key__startswith=f"{key}:").count() == 1


def test_a_month_starting_on_a_holiday_waits_for_the_next_business_day(world, run, mailoutbox):
    assert run(date(2027, 1, 4)) == 3  # Fri Jan 1 a holiday, then the weekend
    assert all("December 2026" in email.subject for email in mailoutbox)


def test_an_agency_without_local_experts_gets_nothing(world, run, mailoutbox):
    world.other_office.designations.all().delete()
    run(date(2026, 11, 2))
    assert {a for email in mailoutbox for a in email.to} == {"pat@example.org", "alex@example.org"}


def test_the_schedule_runs_the_task_every_hour():
    ensure_schedules()
    schedule = Schedule.objects.get(name="Monthly agency reports")
    assert schedule.func == "access.agency_reports.tasks.monthly_reports"
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 60)
