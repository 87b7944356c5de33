"""Every figure links to the list behind it, and that list holds exactly what it counts."""

from datetime import date, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from access import services as acs
from access.models import Account, AccountState, TargetSystem
from forms_4052_4055 import services as fs
from helpdesk.actor import Actor
from tests.factories import PersonFactory
from tests.helpdesk.dashboards.helpers import tables_of

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n"


def _listed(client, url: str) -> int:
    """How many items the list page at ``url`` shows."""
    response = client.get(url)
    assert response.status_code == 200, url
    path = urlsplit(url).path
    context = response.context
    if path.startswith("/access/revocations/"):
        return len(context["rows"])
    return context["page"].paginator.count


def _linked_cells(response, *keys: str):
    tables = tables_of(response)
    for key in keys:
        for row in tables[key].rows:
            for column, cell in zip(tables[key].columns, row.cells, strict=True):
                yield f"{key} / {row.label} / {column}", cell


TICKET_TABLES = (
    "weekly", "open_by_state", "open_by_tier", "aging", "sla", "top_systems", "top_agencies",
    "mis", "mis_aging",
)  # fmt: skip


@pytest.mark.parametrize("scope", [{}, {"agency": "north"}, {"system": "ccts"}])
def test_every_ticket_figure_equals_the_length_of_its_list(client, world, tickets, scope):
    params = {"agency": world.office.agency.pk} if "agency" in scope else dict(scope)
    client.force_login(world.hannah)
    response = client.get("/dashboard/", params)
    checked = 0
    for name, cell in _linked_cells(response, *TICKET_TABLES):
        assert cell.url.startswith("/queues/help_desk/"), name
        assert _listed(client, cell.url) == cell.value, name
        checked += cell.value
    assert checked > 0  # the fixture gives most figures something to count


def test_a_closed_agency_still_links_to_its_own_tickets(client, world, tickets):
    agency = world.office.agency
    agency.active = False
    agency.save()
    client.force_login(world.hannah)
    response = client.get("/dashboard/", {"agency": agency.pk})
    assert "(inactive)" in response.content.decode()
    [(name, cell)] = [
        (name, cell)
        for name, cell in _linked_cells(response, "top_agencies")
        if f"agency={agency.pk}" in cell.url
    ]
    assert cell.value > 0
    assert _listed(client, cell.url) == cell.value, name


def test_the_links_keep_the_agency_and_system_chosen(client, world, tickets):
    client.force_login(world.hannah)
    response = client.get("/dashboard/", {"agency": world.office.agency.pk, "system": "ccts"})
    for name, cell in _linked_cells(response, *TICKET_TABLES):
        assert f"agency={world.office.agency.pk}" in cell.url, name
        assert "system=ccts" in cell.url, name


def test_mis_figures_link_to_the_mis_queue_with_the_same_counts(client, world, tickets):
    client.force_login(world.mike)
    response = client.get("/dashboard/mis/")
    cells = list(_linked_cells(response, "mis", "mis_aging"))
    assert sum(cell.value for _, cell in cells) > 0
    for name, cell in cells:
        assert cell.url.startswith("/queues/mis/"), name
        assert _listed(client, cell.url) == cell.value, name


def test_forms_and_revocation_figures_equal_their_lists(client, world, frozen_now):
    # Two forms waiting to come back (one past due), one received; two revocations for a
    # departure, one of them overdue once the deadline passes.
    issued = fs.issue_forms(world.alice, ["ccms"], by=Actor.of(world.hannah)).issued
    fs.receive(issued[0], by=Actor.of(world.hannah), name="s.pdf", data=PDF)
    fs.issue_forms(world.pat, ["ccts"], by=Actor.of(world.hannah))
    dana = PersonFactory(office=world.office, first_name="Dana", last_name="Departing")
    for code, identifier in (("ccts", "DHSDA01"), ("ccms", "Dana.Departing")):
        system = TargetSystem.objects.get(code=code)
        Account.objects.create(
            person=dana,
            credential_group=system.credential_group,
            identifier=identifier,
            state=AccountState.ACTIVE,
        )
    acs.report_departure(
        dana, by=Actor.of(world.hannah), kind="left", effective_on=date(2026, 11, 18)
    )
    with time_machine.travel(frozen_now + timedelta(days=10), tick=False):
        client.force_login(world.hannah)
        response = client.get("/dashboard/")
        cells = list(_linked_cells(response, "forms_outstanding", "revocations"))
        assert sum(cell.value for _, cell in cells) > 0
        for name, cell in cells:
            assert _listed(client, cell.url) == cell.value, name
    tables = tables_of(response)
    assert {r.label: r.cells[0].value for r in tables["revocations"].rows}["Overdue"] >= 1
