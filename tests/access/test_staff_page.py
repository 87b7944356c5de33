"""The local expert's "My office's staff" page (access.staff): the people of their own office
with the access each holds, the actions on them, and nothing of another office."""

import pytest
from django.urls import reverse

from access import services as acs
from access.models import RequestKind
from helpdesk.actor import Actor
from helpdesk.models import LocalExpertDesignation
from tests.access.test_services import active_account, file_forms, system
from tests.factories import OfficeFactory, PersonFactory

pytestmark = pytest.mark.django_db


def test_the_page_lists_the_office_with_the_access_each_person_holds(client, world):
    active_account(world.alice, "ccts", "DHSAL01")
    acs.open_request(world.alice, system("awvs"), RequestKind.NEW, by=Actor.of(world.pat.user))
    file_forms(world, world.alex, systems=("ccms",))
    PersonFactory(office=world.office, first_name="Gone", last_name="Before", left=True)
    client.force_login(world.pat.user)

    response = client.get(reverse("staff_list"))
    assert response.status_code == 302  # one office: straight to it
    page = client.get(response["Location"]).content.decode()

    assert "Staff of Northern Lights CCR&amp;R - Rockford office" in page
    for text in (
        "Alice Agency",
        "alice@example.org",
        "DHSAL01",
        "New access on AWVS",
        "Form 4052 on file",
        "primary local expert",
        "alternate local expert",
        "Gone Before",
        "Left",
        reverse("staff_person_edit", args=[world.alice.pk]),
        reverse("person_access", args=[world.alice.pk]) + "#new-request-h",
        reverse("person_access", args=[world.alice.pk]) + "#departure-h",
        reverse("staff_person_new", args=[world.office.pk]),
        reverse("designation_request_new", args=[world.office.pk]),
    ):
        assert text in page, text
    assert "Otto Outsider" not in page


def test_an_expert_of_several_offices_picks_one_and_sees_only_those(client, world):
    second = OfficeFactory(agency=world.office.agency, name="Belvidere office")
    third = OfficeFactory(agency=world.office.agency, name="Elgin office")  # not Pat's
    LocalExpertDesignation.objects.create(office=second, person=world.pat, role="alternate")
    sam = PersonFactory(office=second, first_name="Sam", last_name="Second")
    PersonFactory(office=third, first_name="Eve", last_name="Elgin")
    client.force_login(world.pat.user)

    picker = client.get(reverse("staff_list"))
    assert picker.status_code == 200
    page = picker.content.decode()
    assert reverse("staff_list_office", args=[second.pk]) in page
    assert reverse("staff_list_office", args=[world.office.pk]) in page
    assert reverse("staff_list_office", args=[third.pk]) not in page
    assert (
        sam.full_name in client.get(reverse("staff_list_office", args=[second.pk])).content.decode()
    )
    assert client.get(reverse("staff_list_office", args=[third.pk])).status_code == 404
    assert client.get(reverse("staff_list_office", args=[world.other_office.pk])).status_code == 404


@pytest.mark.parametrize("persona", ["alice", "mike", "hannah"])
def test_the_page_is_for_local_experts(client, world, persona):
    someone = getattr(world, persona)
    client.force_login(getattr(someone, "user", someone))
    assert client.get(reverse("staff_list")).status_code == 403
    assert client.get(reverse("staff_list_office", args=[world.office.pk])).status_code == 403


def test_a_local_expert_reaches_it_from_the_navigation(client, world):
    client.force_login(world.pat.user)
    assert reverse("staff_list") in client.get(reverse("home")).content.decode()
    client.force_login(world.hannah)
    home = client.get(reverse("home")).content.decode()
    assert reverse("staff_changes") in home
    assert reverse("designation_requests") in home
