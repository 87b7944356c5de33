"""The departure clock (issue 19): revocations are due 2 working days after the effective
departure date; told after that, at once (4 business hours), and the departure is marked late
by the working days since the deadline. The reporter is told what will be revoked and when."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from access.models import Account, AccountState, TargetSystem
from access.services import departure_clock, report_departure
from helpdesk.actor import Actor

CENTRAL = ZoneInfo("America/Chicago")
pytestmark = pytest.mark.django_db


def _alice_on_ccts(world) -> Account:
    ccts = TargetSystem.objects.get(code="ccts")
    return Account.objects.create(
        person=world.alice,
        credential_group=ccts.credential_group,
        identifier="DHSAL01",
        state=AccountState.ACTIVE,
    )


def _central(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CENTRAL)


def test_reported_in_time_the_deadline_is_two_working_days_after_the_departure():
    clock = departure_clock(date(2026, 12, 7), _central(2026, 12, 8, 10))  # Mon, told Tue

    assert clock.contract_deadline == _central(2026, 12, 9, 17)  # Wednesday's close
    assert (clock.deadline, clock.late_working_days) == (clock.contract_deadline, 0)


def test_reported_late_the_revocations_are_due_at_once_and_the_lateness_counted():
    # Effective Monday Dec 7 (deadline Wed Dec 9, 17:00), told Mon Dec 14 at 10:00.
    clock = departure_clock(date(2026, 12, 7), _central(2026, 12, 14, 10))

    assert clock.contract_deadline == _central(2026, 12, 9, 17)
    assert clock.deadline == _central(2026, 12, 14, 14)  # 4 business hours
    assert clock.late_working_days == 3  # Thu 10, Fri 11, Mon 14


def test_holidays_do_not_count_toward_the_deadline():
    # Effective Wed Nov 25 2026: Thanksgiving and the day after are State holidays.
    clock = departure_clock(date(2026, 11, 25), _central(2026, 11, 25, 12))

    assert clock.contract_deadline == _central(2026, 12, 1, 17)  # Mon Nov 30, Tue Dec 1


def test_reported_after_the_close_of_the_deadline_day_is_late_by_one():
    clock = departure_clock(date(2026, 12, 7), _central(2026, 12, 9, 18))

    assert clock.late_working_days == 1
    assert clock.deadline == _central(2026, 12, 10, 12)  # 4 business hours from Thursday 8:00


def test_a_late_report_is_recorded_on_the_departure_and_its_revocations(
    world, mailoutbox, django_capture_on_commit_callbacks
):
    _alice_on_ccts(world)
    monday_ten = datetime(2026, 12, 14, 16, tzinfo=UTC)
    with time_machine.travel(monday_ten), django_capture_on_commit_callbacks(execute=True):
        departure = report_departure(
            world.alice,
            by=Actor.of(world.pat.user),
            kind="left",
            effective_on=date(2026, 12, 7),
        )

    assert departure.late_working_days == 3
    assert departure.deadline == _central(2026, 12, 14, 14)
    [revoke] = departure.requests.all()
    assert revoke.deadline == departure.deadline
    [told] = [m for m in mailoutbox if m.to == ["pat@example.org"]]
    assert "reported 3 working days late" in told.subject
    assert "DHSAL01" in told.body
    assert "Monday, December 14, 2026 2:00 PM" in told.body


def test_the_person_page_shows_the_lateness(world, client):
    with time_machine.travel(datetime(2026, 12, 14, 16, tzinfo=UTC)):
        report_departure(
            world.alice, by=Actor.of(world.hannah), kind="left", effective_on=date(2026, 12, 7)
        )
        client.force_login(world.hannah)
        page = client.get(reverse("person_access", args=[world.alice.pk])).content.decode()

    assert "Reported 3 working days late" in page


def test_the_revocations_page_and_the_dashboard_show_late_departures(world, client):
    _alice_on_ccts(world)
    with time_machine.travel(datetime(2026, 12, 14, 16, tzinfo=UTC)):
        report_departure(
            world.alice, by=Actor.of(world.hannah), kind="left", effective_on=date(2026, 12, 7)
        )
        client.force_login(world.hannah)
        revocations = client.get(reverse("revocations")).content.decode()
        dashboard = client.get(reverse("dashboard")).content.decode()

    assert "Departure reported 3 working days late" in revocations
    assert "From a departure reported late" in dashboard
