"""The read-only resources, role by role: each answers what its own page shows that role."""

import pytest

from helpdesk.actor import Actor
from helpdesk.directory.permissions import offices_visible_to
from helpdesk.notices.permissions import notices_visible_to
from helpdesk.procedures import services as ps
from tests.helpdesk.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

PERSONAS = ["hannah", "mike", "ada", "pat", "alice", "otto"]


def _ids(client: ApiClient, path: str, **query) -> list[int]:
    response = client.get(path, query)
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def library(world):
    from helpdesk.models import ProcedureAudience, Severity, System
    from helpdesk.notices import services as notices

    hannah = Actor.of(world.hannah)
    draft = notices.NoticeDraft(
        title="CCMS does not load",
        systems=[System.CCMS],
        severity=Severity.OUTAGE,
        text="Blank page after sign-in.",
    )
    notice = notices.publish_notice(draft, by=hannah)
    everyone = ps.create_procedure(
        by=hannah, title="Reset a CCTS password", audience=ProcedureAudience.ALL, body="Steps."
    )
    staff = ps.create_procedure(
        by=hannah,
        title="MIS escalation checklist",
        audience=ProcedureAudience.LOCAL_EXPERTS,
        body="Internal.",
    )
    return {"procedures": [everyone, staff], "notice": notice}


@pytest.mark.parametrize("persona", PERSONAS)
def test_offices_are_those_the_directory_shows(world, persona):
    user = world.user(persona)
    client = ApiClient(make_token(user)[1])
    expected = sorted(offices_visible_to(user).values_list("pk", flat=True))
    assert sorted(_ids(client, "/api/v1/offices/")) == expected
    hidden = [world.office, world.other_office]
    for office in hidden:
        status = client.get(f"/api/v1/offices/{office.pk}/").status_code
        assert status == (200 if office.pk in expected else 404)


def test_an_office_lists_its_local_experts(world):
    client = ApiClient(make_token(world.pat.user)[1])
    office = client.get(f"/api/v1/offices/{world.office.pk}/").json()
    assert sorted(e["name"] for e in office["local_experts"]) == ["Alex Alternate", "Pat Primary"]


@pytest.mark.parametrize("persona", PERSONAS)
def test_procedures_are_those_the_library_shows(world, library, persona):
    user = world.user(persona)
    client = ApiClient(make_token(user)[1])
    expected = sorted(ps.procedures_visible_to(user).live().values_list("pk", flat=True))
    assert sorted(_ids(client, "/api/v1/procedures/")) == expected
    for procedure in library["procedures"]:
        status = client.get(f"/api/v1/procedures/{procedure.pk}/").status_code
        assert status == (200 if procedure.pk in expected else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_notices_are_those_the_notices_page_shows(world, library, persona):
    user = world.user(persona)
    client = ApiClient(make_token(user)[1])
    expected = sorted(notices_visible_to(user).open().values_list("pk", flat=True))
    assert sorted(_ids(client, "/api/v1/notices/")) == expected
    status = client.get(f"/api/v1/notices/{library['notice'].pk}/").status_code
    assert status == (200 if library["notice"].pk in expected else 404)
    assert client.get("/api/v1/notices/", {"status": "nonsense"}).status_code == 400


# page: who may read its figures (the dashboard pages' own rule)
DASHBOARDS = {"full": {"hannah", "ada"}, "mis": {"hannah", "ada", "mike"}}


@pytest.mark.parametrize("persona", PERSONAS)
def test_dashboard_figures_for_the_roles_of_each_dashboard(world, client, persona):
    from tests.helpdesk import ticket_helpers as th

    th.submitted(world)
    api = ApiClient(make_token(world.user(persona))[1])
    client.force_login(world.user(persona))
    for page, readers in DASHBOARDS.items():
        response = api.get(f"/api/v1/dashboard/{page}/")
        pages = {"full": "/dashboard/", "mis": "/dashboard/mis/"}
        on_the_page = client.get(pages[page]).status_code
        assert response.status_code == on_the_page == (200 if persona in readers else 403)
        if response.status_code == 200:
            sections = response.json()["sections"]
            assert sections
            assert all(table["rows"] is not None for s in sections for table in s["tables"])
    assert api.get("/api/v1/dashboard/full/", {"start": "not a date"}).status_code in (400, 403)
