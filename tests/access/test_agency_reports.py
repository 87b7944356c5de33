"""The agency reports' figures against hand-built data (issues 18 and 19): the monthly report
(open tickets, their age in business days and SLA status, opened and resolved in the month,
forms, requests, departures with their lateness), the quarterly departure and access-review
reports, their CSV, and ``manage.py agency_report``."""

import csv
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from access import services as acs
from access.agency_reports import periods, selectors
from access.models import Account, AccountState, ReviewDecision, TargetSystem
from escalation.calendar import working_days_after
from escalation.workflow import TicketState
from helpdesk.actor import Actor
from helpdesk.models import Ticket
from tests.factories import PersonFactory
from tests.helpdesk import ticket_helpers as th

CENTRAL = ZoneInfo("America/Chicago")
NOVEMBER = periods.month(2026, 11)
Q4 = periods.quarter(2026, 4)
pytestmark = pytest.mark.django_db


def _at(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=CENTRAL)


def _account(person, code: str, identifier: str) -> Account:
    """The person's live account on the system, made active when they have none."""
    group = TargetSystem.objects.get(code=code).credential_group
    live = Account.objects.filter(person=person, credential_group=group, state=AccountState.ACTIVE)
    return live.first() or Account.objects.create(
        person=person, credential_group=group, identifier=identifier, state=AccountState.ACTIVE
    )


def _scope(world) -> selectors.ReportScope:
    return selectors.ReportScope(world.office.agency, world.hannah)


# --- Periods and the first business day ------------------------------------------------------


def test_periods_parse_and_step():
    assert periods.parse_quarter("2026Q4") == periods.parse_quarter("2026-q4") == Q4
    assert (Q4.first, Q4.last, Q4.slug) == (date(2026, 10, 1), date(2026, 12, 31), "2026Q4")
    assert periods.parse_month("2026-11") == NOVEMBER
    assert (NOVEMBER.last, NOVEMBER.previous().slug, NOVEMBER.next().slug) == (
        date(2026, 11, 30),
        "2026-10",
        "2026-12",
    )
    assert Q4.next() == periods.quarter(2027, 1)
    for bad in ("2026Q5", "Q4", "2026-11"):
        with pytest.raises(ValueError, match="quarter"):
            periods.parse_quarter(bad)
    for bad in ("2026-13", "2026Q4", "11/2026"):
        with pytest.raises(ValueError, match="month"):
            periods.parse_month(bad)


def test_the_first_business_day_skips_weekends_holidays_and_closures():
    from escalation.models import BusinessClosure

    assert periods.first_business_day(2026, 11) == date(2026, 11, 2)  # the 1st is a Sunday
    assert periods.first_business_day(2026, 8) == date(2026, 8, 3)  # the 1st is a Saturday
    assert periods.first_business_day(2027, 1) == date(2027, 1, 4)  # Fri 1: New Year's Day
    assert periods.first_business_day(2026, 12) == date(2026, 12, 1)  # a Tuesday
    BusinessClosure.objects.create(
        starts_at=_at(2026, 12, 1, 0), ends_at=_at(2026, 12, 2, 0), reason="Snow day"
    )
    assert periods.first_business_day(2026, 12) == date(2026, 12, 2)


# --- The monthly report: tickets ---------------------------------------------------------------


def _set(ticket: Ticket, **fields) -> Ticket:
    Ticket.objects.filter(pk=ticket.pk).update(**fields)
    ticket.refresh_from_db()
    return ticket


@pytest.fixture
def tickets(world):
    """Pat's agency, seen on Tue Dec 1 2026 at 10:00: three open tickets and one resolved in
    November; Otto's agency has one more that must not count."""
    with time_machine.travel(_at(2026, 10, 20), tick=False):
        breached = th.submitted(world)  # opened in October
    with time_machine.travel(_at(2026, 11, 10), tick=False):
        due_soon = th.submitted(world)
    with time_machine.travel(_at(2026, 11, 30, 9), tick=False):
        done = th.resolved(world)
    with time_machine.travel(_at(2026, 11, 30, 11), tick=False):
        fine = th.in_progress(world)
    with time_machine.travel(_at(2026, 12, 1, 9), tick=False):
        local = th.reported(world)  # with the local expert: no SLA clock
    now = _at(2026, 12, 1, 10)
    _set(breached, response_breached_at=_at(2026, 10, 21), response_due_at=now + timedelta(days=9))
    # Due in 2 hours: within 4 business hours, not past.
    _set(due_soon, response_due_at=now + timedelta(hours=2), resolution_due_at=now + timedelta(9))
    _set(fine, resolution_due_at=now + timedelta(days=9))
    _outsider_ticket(world)
    return {"breached": breached, "due_soon": due_soon, "done": done, "fine": fine, "local": local}


def _outsider_ticket(world) -> Ticket:
    with time_machine.travel(_at(2026, 11, 12), tick=False):
        ticket = th.submitted(world)
    return _set(ticket, office=world.other_office)


def test_open_tickets_their_age_and_sla_status(world, tickets):
    now = _at(2026, 12, 1, 10)
    with time_machine.travel(now, tick=False):
        report = selectors.monthly_report(_scope(world), NOVEMBER)

    rows = {t.ticket.pk: (t.age, t.bucket.key, t.sla) for t in report.open_tickets}
    assert rows == {
        # Oct 20 to Dec 1: 26 business days (less Election Day, Veterans' Day, Thanksgiving
        # and the day after).
        tickets["breached"].pk: (26, "11+", "breached"),
        # Nov 10 to Dec 1: 12 (Nov 11 Veterans' Day, Nov 26-27 Thanksgiving are holidays).
        tickets["due_soon"].pk: (12, "11+", "due_soon"),
        tickets["fine"].pk: (1, "0-1", "fine"),  # Monday Nov 30 seen on Tuesday
        tickets["local"].pk: (0, "0-1", ""),
    }
    # The age is the calendar's count of working days after the day it was raised.
    assert working_days_after(date(2026, 10, 20), date(2026, 12, 1)) == 26
    assert {b.key: n for b, n in report.ageing} == {"0-1": 2, "2-5": 0, "6-10": 0, "11+": 2}
    assert [(key, n) for key, _, n in report.sla] == [("breached", 1), ("due_soon", 1), ("fine", 1)]
    # Opened in November: due soon, done, fine; resolved in November: done.
    assert (report.opened, report.resolved) == (3, 1)


def test_a_ticket_past_a_running_target_is_breached_before_the_sweep_flags_it(world, tickets):
    now = _at(2026, 12, 1, 10)
    _set(tickets["fine"], resolution_due_at=now - timedelta(minutes=5))
    with time_machine.travel(now, tick=False):
        report = selectors.monthly_report(_scope(world), NOVEMBER)

    assert {t.ticket.pk: t.sla for t in report.open_tickets}[tickets["fine"].pk] == "breached"


def test_a_ticket_due_after_four_business_hours_is_not_due_soon(world, tickets):
    now = _at(2026, 12, 1, 10)
    # 4 business hours from Tuesday 10:00 is 14:00; 15:00 is later.
    _set(tickets["due_soon"], response_due_at=_at(2026, 12, 1, 15))
    with time_machine.travel(now, tick=False):
        report = selectors.monthly_report(_scope(world), NOVEMBER)

    assert {t.ticket.pk: t.sla for t in report.open_tickets}[tickets["due_soon"].pk] == "fine"


# --- Departures: the clock's lateness, reported late and revoked late ----------------------------


@pytest.fixture
def departures(world, django_capture_on_commit_callbacks):
    """Alice left Mon Nov 16 (deadline Wed Nov 18, 17:00), reported Fri Nov 20 (2 working
    days late; revocations due at once, 14:00), her CCTS revoked Tue Nov 24 (2 working days
    after that). Bob changed function Mon Nov 23, reported that day (deadline Wed Nov 25,
    17:00): his CCMS revocation is still open on Tue Dec 1 (Thanksgiving and the day after
    are holidays: Nov 30 and Dec 1 late)."""
    bob = PersonFactory(office=world.office, first_name="Bob", last_name="Builder")
    _account(world.alice, "ccts", "DHSAL01")
    _account(bob, "ccms", "Bob.Builder")
    pat = Actor.of(world.pat.user)
    with time_machine.travel(_at(2026, 11, 20), tick=False):
        alice_left = acs.report_departure(
            world.alice, by=pat, kind="left", effective_on=date(2026, 11, 16)
        )
    with time_machine.travel(_at(2026, 11, 24, 11), tick=False):
        acs.complete(alice_left.requests.get(), by=Actor.of(world.hannah))
    with time_machine.travel(_at(2026, 11, 23), tick=False):
        bob_moved = acs.report_departure(
            bob, by=pat, kind="changed_function", effective_on=date(2026, 11, 23)
        )
    return alice_left, bob_moved


def test_departures_of_the_month_with_their_deadlines_and_lateness(world, departures):
    alice_left, bob_moved = departures
    with time_machine.travel(_at(2026, 12, 1, 10), tick=False):
        report = selectors.monthly_report(_scope(world), NOVEMBER)

    alice, bob = report.departures
    assert alice.departure == alice_left
    assert alice.departure.contract_deadline == _at(2026, 11, 18, 17)
    assert alice.departure.deadline == _at(2026, 11, 20, 14)
    assert (alice.reported_late_days, alice.revoked_late_days, alice.revoked) == (2, 2, 1)
    assert alice.revocations[0].revoked_at == _at(2026, 11, 24, 11)
    assert bob.departure == bob_moved
    assert (bob.reported_late_days, bob.revoked_late_days, bob.still_open) == (0, 2, 1)
    assert report.totals == selectors.DepartureTotals(
        departures=2,
        reported_late=1,
        revoked_late=2,
        late=2,
        accounts_revoked=1,
        revocations_open=1,
    )


def test_a_revocation_done_in_time_is_not_late(world, departures):
    _, bob_moved = departures
    with time_machine.travel(_at(2026, 11, 25, 16), tick=False):
        acs.complete(bob_moved.requests.get(), by=Actor.of(world.hannah))
    with time_machine.travel(_at(2026, 12, 1, 10), tick=False):
        _, bob = selectors.departures(_scope(world), NOVEMBER)

    assert (bob.revoked_late_days, bob.late, bob.revoked) == (0, False, 1)


def test_a_departure_reported_in_the_next_month_shows_in_both(world, departures):
    alice_left, _ = departures
    with time_machine.travel(_at(2026, 12, 3), tick=False):
        late = acs.report_departure(
            world.alex, by=Actor.of(world.pat.user), kind="left", effective_on=date(2026, 11, 27)
        )
    scope = _scope(world)

    assert late in [line.departure for line in selectors.departures(scope, NOVEMBER)]
    assert [line.departure for line in selectors.departures(scope, NOVEMBER.next())] == [late]


def test_the_quarterly_departure_report_and_its_csv(world, departures):
    with time_machine.travel(_at(2026, 12, 1, 10), tick=False):
        lines = selectors.departures(_scope(world), Q4)
    rows = selectors.departure_rows(lines)

    assert len(rows) == 2
    alice = dict(zip(selectors.DEPARTURES_HEADER, rows[0], strict=True))
    assert alice["Person"] == "Alice Agency"
    assert alice["Effective"] == "2026-11-16"
    assert alice["Contract deadline"] == "2026-11-18T17:00-06:00"
    assert alice["Reported late (working days)"] == 2
    assert alice["System"] == "CCTS"
    assert alice["Account ID"] == "DHSAL01"
    assert alice["Revoked at"] == "2026-11-24T11:00-06:00"
    assert alice["Revoked late (working days)"] == 2
    bob = dict(zip(selectors.DEPARTURES_HEADER, rows[1], strict=True))
    assert (bob["Revoked at"], bob["Revoked late (working days)"]) == ("", 2)


# --- The monthly report: forms and requests ------------------------------------------------------


def test_forms_due_and_expiring_and_pending_requests(world):
    from forms_4052_4055 import services as fs
    from forms_4052_4055.models import FormState, SecurityForm
    from tests.access.test_services import file_forms

    now = timezone.now()
    hannah = Actor.of(world.hannah)
    file_forms(world, world.alice)
    filed = SecurityForm.objects.filter(person=world.alice, state=FormState.FILED)
    expiring = filed.first()
    assert expiring is not None
    filed.filter(pk=expiring.pk).update(valid_until=now + timedelta(days=20))
    filed.exclude(pk=expiring.pk).update(valid_until=now + timedelta(days=200))
    due = fs.issue_forms(world.alex, ["ccts"], by=hannah).issued
    fs.issue_forms(world.otto, ["ccts"], by=hannah)  # another agency's
    request = acs.open_request(
        world.alex, TargetSystem.objects.get(code="ccts"), "new", by=Actor.of(world.pat.user)
    )
    outsider = acs.open_request(
        world.otto, TargetSystem.objects.get(code="ccts"), "new", by=Actor.of(world.otto.user)
    )

    report = selectors.monthly_report(_scope(world), periods.month(now.year, now.month))

    assert [f.pk for f in report.forms_expiring] == [expiring.pk]
    assert due
    assert {f.pk for f in report.forms_due} == {f.pk for f in due}
    assert request in report.pending_requests
    assert outsider not in report.pending_requests


def test_the_monthly_csv_holds_the_figures(world, tickets, departures):
    with time_machine.travel(_at(2026, 12, 1, 10), tick=False):
        report = selectors.monthly_report(_scope(world), NOVEMBER)
    rows = {(s, r, c): v for s, r, c, v in selectors.monthly_csv_rows(report)}

    assert rows[("Tickets", "Opened in the month", "Tickets")] == 3
    assert rows[("Ageing of open tickets", "11 or more business days", "Tickets")] == 2
    tracking = tickets["due_soon"].tracking_number
    assert rows[("Open tickets", tracking, "Business days open")] == 12
    assert rows[("Open tickets", tracking, "SLA status")] == "due_soon"
    alice = "Alice Agency (2026-11-16)"
    assert rows[("Departures", alice, "Reported late (working days)")] == 2
    assert rows[("Departures", alice, "Revoked late (working days)")] == 2


# --- The quarterly access-review report ----------------------------------------------------------


@pytest.fixture
def review(world, django_capture_on_commit_callbacks):
    """A campaign of Oct 5 2026: Pat keeps Alice's CCTS, marks Alex's CCMS for removal (the
    help desk revokes it Oct 20); nobody reviews Carol's CCTS before it closes. Otto's agency
    has an account in it too."""
    carol = PersonFactory(office=world.office, first_name="Carol", last_name="Clerk")
    with time_machine.travel(_at(2026, 10, 1), tick=False):
        alice = _account(world.alice, "ccts", "DHSAL01")
        alex = _account(world.alex, "ccms", "Alex.Alternate")
        carol_account = _account(carol, "ccts", "DHSCA01")
        _account(world.otto, "ccts", "DHSOT01")
    pat = Actor.of(world.pat.user)
    with time_machine.travel(_at(2026, 10, 5), tick=False):
        campaign = acs.start_campaign(
            by=Actor.of(world.hannah), name="Review 2026", deadline=_at(2026, 10, 30, 17)
        )
    with time_machine.travel(_at(2026, 10, 6), tick=False):
        acs.decide_review(campaign.items.get(account=alice), by=pat, decision="keep")
        removed = acs.decide_review(
            campaign.items.get(account=alex), by=pat, decision="remove", note="Left the unit"
        )
    with time_machine.travel(_at(2026, 10, 20), tick=False):
        acs.complete(removed.revoke_request, by=Actor.of(world.hannah))
    with time_machine.travel(_at(2026, 10, 31), tick=False):
        acs.review_sweep()
    return {"campaign": campaign, "alice": alice, "alex": alex, "carol": carol_account}


def test_the_access_review_report_per_office_person_and_account(world, review):
    report = selectors.review_report(_scope(world), Q4)

    assert report.campaigns == [review["campaign"]]
    [office] = report.offices
    assert office.office == world.office
    lines = {line.account.pk: line for line in office.lines}
    assert set(lines) == {review["alice"].pk, review["alex"].pk, review["carol"].pk}  # no Otto
    [kept] = lines[review["alice"].pk].decisions
    assert (kept.decision, kept.label, kept.decided_at) == (
        ReviewDecision.KEEP,
        "Kept",
        _at(2026, 10, 6),
    )
    assert kept.decided_by == "Pat Primary"
    alex = lines[review["alex"].pk]
    assert alex.decisions[0].label == "Revoked"
    assert alex.revoked_at == _at(2026, 10, 20)
    assert alex.revoked_why == "Access review Review 2026: marked for removal (Left the unit)"
    assert alex.systems == "CCMS, InfoView"
    assert lines[review["carol"].pk].decisions[0].label == "Not reviewed"
    assert report.counts == {
        "accounts": 3,
        "kept": 1,
        "revoked_in_review": 1,
        "not_reviewed": 1,
        "revoked": 1,
    }


def test_a_quarter_without_the_campaign_lists_the_accounts_only(world, review):
    report = selectors.review_report(_scope(world), periods.quarter(2027, 1))

    assert report.campaigns == []
    lines = [line for office in report.offices for line in office.lines]
    # Alex's account was revoked before the quarter: not held in it.
    assert {line.account.pk for line in lines} == {review["alice"].pk, review["carol"].pk}
    assert all(not line.decisions for line in lines)


def test_the_access_review_csv(world, review):
    rows = selectors.review_rows(selectors.review_report(_scope(world), Q4))
    named = [dict(zip(selectors.REVIEWS_HEADER, row, strict=True)) for row in rows]

    alex = next(r for r in named if r["Person"] == "Alex Alternate")
    assert alex["Credential"] == "CCMS / InfoView" or alex["Systems"] == "CCMS, InfoView"
    assert (alex["Review"], alex["Decision"], alex["Decided by"]) == (
        "Review 2026",
        "Revoked",
        "Pat Primary",
    )
    assert alex["Revoked at"] == "2026-10-20T10:00-05:00"
    assert alex["Account state"] == "Revoked"


# --- The command --------------------------------------------------------------------------------


def test_the_command_writes_both_quarterly_reports(world, review, departures, tmp_path):
    out = io.StringIO()
    with time_machine.travel(_at(2026, 12, 1, 10), tick=False):
        call_command(
            "agency_report",
            "quarterly",
            agency="northern-lights",
            quarter="2026Q4",
            format="jsonl",
            out=tmp_path,
            stdout=out,
        )
        call_command(
            "agency_report",
            "quarterly",
            "--agency=northern-lights",
            "--quarter=2026-Q4",
            "--format=csv",
            f"--out={tmp_path}",
            stdout=out,
        )

    lines = (tmp_path / "agency-northern-lights-2026Q4-departures.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["Person"] for r in records] == ["Alice Agency", "Bob Builder"]
    assert records[0]["Reported late (working days)"] == 2
    reviews_csv = (tmp_path / "agency-northern-lights-2026Q4-access-reviews.csv").read_text()
    header, *rows = list(csv.reader(io.StringIO(reviews_csv)))
    assert tuple(header) == selectors.REVIEWS_HEADER
    assert any(row[1] == "Carol Clerk" and row[7] == "Not reviewed" for row in rows)
    assert "(2 rows)" in out.getvalue()


def test_the_command_refuses_an_unknown_agency_or_quarter(world, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No agency"):
        call_command("agency_report", "quarterly", agency="nope", quarter="2026Q4", out=tmp_path)
    with pytest.raises(CommandError, match="Not a quarter"):
        call_command(
            "agency_report", "quarterly", agency="northern-lights", quarter="Q9", out=tmp_path
        )


def test_states_are_what_the_fixtures_say(tickets):
    assert tickets["done"].state == TicketState.RESOLVED
