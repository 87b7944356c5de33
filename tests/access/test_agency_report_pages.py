"""The agency reports' pages and CSV by role: the help desk and administrators read every
agency's, a local expert their own agency's only (another's is not found), anyone else is
refused; the pickers redirect to the report; the figures on the page are the selectors'."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import escape

from access import services as acs
from access.models import Account, AccountState, TargetSystem
from helpdesk.actor import Actor
from tests.factories import PersonFactory

CENTRAL = ZoneInfo("America/Chicago")
pytestmark = pytest.mark.django_db

PAGES = (
    ("agency_report_monthly", 11),
    ("agency_report_monthly_csv", 11),
    ("agency_report_reviews", 4),
    ("agency_report_reviews_csv", 4),
    ("agency_report_departures", 4),
    ("agency_report_departures_csv", 4),
)


def _urls(agency_pk: int) -> list[str]:
    return [reverse(name, args=[agency_pk, 2026, number]) for name, number in PAGES]


@pytest.fixture
def as_(client, world):
    def login(who: str):
        client.force_login(world.user(who))
        return client

    return login


@pytest.mark.parametrize("who", ["hannah", "ada", "pat", "alex"])
def test_the_agencys_reports_open_for_its_experts_and_the_help_desk(as_, world, who):
    client = as_(who)
    assert client.get(reverse("agency_reports")).status_code == 200
    for url in _urls(world.office.agency.pk):
        response = client.get(url)
        assert response.status_code == 200, url


@pytest.mark.parametrize("who", ["pat", "otto"])
def test_another_agencys_reports_are_not_found_for_a_local_expert(as_, world, who):
    other = world.other_office.agency if who == "pat" else world.office.agency
    client = as_(who)
    for url in _urls(other.pk):
        assert client.get(url).status_code == 404, url


def test_the_help_desk_reads_every_agency(as_, world):
    client = as_("hannah")
    for url in _urls(world.other_office.agency.pk):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["alice", "mike"])
def test_agency_users_and_mis_are_refused(as_, world, who):
    client = as_(who)
    assert client.get(reverse("agency_reports")).status_code == 403
    for url in _urls(world.office.agency.pk):
        assert client.get(url).status_code == 403, url


def test_signed_out_visitors_are_sent_to_sign_in(client, world):
    for url in [reverse("agency_reports"), *_urls(world.office.agency.pk)]:
        response = client.get(url)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]


def test_no_such_month_or_quarter_is_not_found(as_, world):
    client = as_("hannah")
    pk = world.office.agency.pk
    assert client.get(reverse("agency_report_monthly", args=[pk, 2026, 13])).status_code == 404
    assert client.get(reverse("agency_report_reviews", args=[pk, 2026, 5])).status_code == 404


def test_the_index_lists_only_the_agencies_the_reader_may_read(as_, world):
    page = as_("pat").get(reverse("agency_reports")).content.decode()
    assert escape(world.office.agency.name) in page
    assert escape(world.other_office.agency.name) not in page
    page = as_("hannah").get(reverse("agency_reports")).content.decode()
    assert escape(world.other_office.agency.name) in page


def test_the_pickers_redirect_to_the_report(as_, world):
    client = as_("pat")
    pk = world.office.agency.pk
    response = client.get(
        reverse("agency_reports"), {"monthly-agency": pk, "monthly-month": "2026-11"}
    )
    assert response["Location"] == reverse("agency_report_monthly", args=[pk, 2026, 11])
    response = client.get(
        reverse("agency_reports"),
        {"quarterly-agency": pk, "quarterly-quarter": "2026Q4", "quarterly-report": "departures"},
    )
    assert response["Location"] == reverse("agency_report_departures", args=[pk, 2026, 4])


def test_a_picker_cannot_choose_another_agency(as_, world):
    response = as_("pat").get(
        reverse("agency_reports"),
        {"monthly-agency": world.other_office.agency.pk, "monthly-month": "2026-11"},
    )
    assert response.status_code == 400  # the form again, with its error


def test_the_nav_links_to_the_reports(as_, world):
    page = as_("pat").get(reverse("home")).content.decode()
    assert reverse("agency_reports") in page


@pytest.fixture
def late_departure(world, django_capture_on_commit_callbacks):
    Account.objects.create(
        person=world.alice,
        credential_group=TargetSystem.objects.get(code="ccts").credential_group,
        identifier="DHSAL01",
        state=AccountState.ACTIVE,
    )
    with time_machine.travel(datetime(2026, 11, 20, 10, tzinfo=CENTRAL), tick=False):
        return acs.report_departure(
            world.alice, by=Actor.of(world.pat.user), kind="left", effective_on=date(2026, 11, 16)
        )


def test_the_monthly_page_and_csv_mark_a_late_departure(as_, world, late_departure):
    client = as_("pat")
    pk = world.office.agency.pk
    page = client.get(reverse("agency_report_monthly", args=[pk, 2026, 11])).content.decode()
    assert "Alice Agency" in page
    assert "Reported 2 working days late" in page
    assert 'name="monthly-month" value="2026-11"' in page  # the picker, set to this month
    response = client.get(reverse("agency_report_monthly_csv", args=[pk, 2026, 11]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "row", "column", "value"]
    assert [
        "Departures",
        "Alice Agency (2026-11-16)",
        "Reported late (working days)",
        "2",
    ] in rows


def test_the_departure_csv_is_another_agencys_for_nobody_else(as_, world, late_departure):
    pk = world.office.agency.pk
    response = as_("hannah").get(reverse("agency_report_departures_csv", args=[pk, 2026, 4]))
    assert "Alice Agency" in response.content.decode()
    other = world.other_office.agency.pk
    response = as_("hannah").get(reverse("agency_report_departures_csv", args=[other, 2026, 4]))
    assert "Alice Agency" not in response.content.decode()


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_pages_read_in_as_many_queries_whatever_their_rows(as_, world, late_departure):
    """More tickets, departures, revocations and accounts, and not one query more."""
    from tests.helpdesk import ticket_helpers as th

    client = as_("hannah")
    pk = world.office.agency.pk
    urls = [
        reverse("agency_report_monthly", args=[pk, 2026, 11]),
        reverse("agency_report_reviews", args=[pk, 2026, 4]),
        reverse("agency_report_departures", args=[pk, 2026, 4]),
    ]
    with time_machine.travel(datetime(2026, 11, 12, 10, tzinfo=CENTRAL), tick=False):
        th.submitted(world)
    before = {url: _queries(client, url) for url in urls}
    for n, first in enumerate(["Bea", "Cal", "Dee"]):
        person = PersonFactory(office=world.office, first_name=first, last_name="More")
        for code in ("ccts", "ccms"):
            Account.objects.create(
                person=person,
                credential_group=TargetSystem.objects.get(code=code).credential_group,
                identifier=f"DHS{first.upper()[:2]}0{n}" if code == "ccts" else f"{first}.More",
                state=AccountState.ACTIVE,
            )
        with time_machine.travel(datetime(2026, 11, 23 + n, 10, tzinfo=CENTRAL), tick=False):
            acs.report_departure(
                person, by=Actor.of(world.pat.user), kind="left", effective_on=date(2026, 11, 20)
            )
            th.submitted(world)

    assert {url: _queries(client, url) for url in urls} == before
