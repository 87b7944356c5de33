"""Reporting a departure cannot be undone (issue 16, point 9): the form leads to a page that says
how many accounts will be revoked, from the same reading the service acts on; only the POST
with that page's token acts, and a token for other numbers does not."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from access.models import AccessRequest, Departure
from access.services import departure_clock
from helpdesk.lib.confirm import FIELD
from tests.access.test_pages import active_account
from tests.confirming import confirmation_page
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def dana(world):
    person = PersonFactory(office=world.office, first_name="Dana", last_name="Departing")
    active_account(person, "ccts", "DHSDA01")
    active_account(person, "ccms", "Dana.Departing")
    return person


def _form(**overrides: str) -> dict[str, str]:
    return {
        "report_departure": "1",
        "kind": "left",
        "effective_on": timezone.localdate().isoformat(),
        "note": "Last day today.",
        **overrides,
    }


def test_the_form_asks_first_and_says_how_many_accounts_go(client, world, dana):
    client.force_login(world.pat.user)
    url = reverse("person_access", args=[dana.pk])
    response = confirmation_page(client, url, _form())
    page = response.content.decode()
    assert "2 accounts of Dana Departing will be revoked, each due" in page
    assert "Dana Departing leaves the directory and is signed out everywhere at once." in page
    assert "DHSDA01" in page
    assert "Dana.Departing" in page
    assert 'class="danger"' in page
    assert "Report the departure and revoke 2 accounts" in page
    assert 'value="Last day today."' in page  # re-sent as typed
    assert not Departure.objects.exists()
    assert not AccessRequest.objects.exists()
    dana.refresh_from_db()
    assert dana.active


def test_confirming_acts_once(client, world, dana):
    client.force_login(world.pat.user)
    url = reverse("person_access", args=[dana.pk])
    token = confirmation_page(client, url, _form()).context["token"]
    response = client.post(url, {**_form(), FIELD: token})
    assert response.status_code == 302
    departure = Departure.objects.get()
    assert departure.requests.count() == 2


def test_a_direct_post_or_a_forged_token_does_not_act(client, world, dana):
    client.force_login(world.pat.user)
    url = reverse("person_access", args=[dana.pk])
    for forged in ("1", "yes", "W1tudWxsXQ:forged"):
        response = client.post(url, {**_form(), FIELD: forged})
        assert response.status_code == 200
        assert "helpdesk/confirm.html" in [t.name for t in response.templates]
    assert not Departure.objects.exists()


def test_a_token_for_another_person_or_another_user_does_not_act(client, world, dana):
    other = PersonFactory(office=world.office, first_name="Olga", last_name="Other")
    active_account(other, "ccts", "DHSOO01")
    active_account(other, "ccms", "Olga.Other")
    client.force_login(world.pat.user)
    token = confirmation_page(client, reverse("person_access", args=[other.pk]), _form()).context[
        "token"
    ]
    client.post(reverse("person_access", args=[dana.pk]), {**_form(), FIELD: token})
    client.force_login(world.alex.user)  # the alternate, with the primary's token
    client.post(reverse("person_access", args=[other.pk]), {**_form(), FIELD: token})
    assert not Departure.objects.exists()


def test_numbers_that_changed_since_the_page_ask_again(client, world, dana):
    client.force_login(world.pat.user)
    url = reverse("person_access", args=[dana.pk])
    token = confirmation_page(client, url, _form()).context["token"]
    active_account(dana, "ipacs", "DANA-IPACS")  # a third account appears meanwhile
    response = client.post(url, {**_form(), FIELD: token})
    assert response.status_code == 200
    page = response.content.decode()
    assert "This changed since you looked" in page
    assert "3 accounts of Dana Departing will be revoked" in page
    assert not Departure.objects.exists()


def test_going_back_keeps_what_was_typed_and_acts_on_nothing(client, world, dana):
    client.force_login(world.pat.user)
    url = reverse("person_access", args=[dana.pk])
    token = confirmation_page(client, url, _form()).context["token"]
    response = client.post(url, {**_form(), FIELD: token, "back": "1"})
    assert response.status_code == 200
    assert response.context["departure_form"]["note"].value() == "Last day today."
    assert not Departure.objects.exists()


@pytest.mark.parametrize("days", [-400, 120])
def test_a_departure_day_outside_the_window_is_refused_with_the_window(client, world, dana, days):
    client.force_login(world.pat.user)
    day = timezone.localdate() + timedelta(days=days)
    response = client.post(
        reverse("person_access", args=[dana.pk]), _form(effective_on=day.isoformat())
    )
    assert response.status_code == 200
    errors = response.context["departure_form"].errors["effective_on"]
    assert errors[0].startswith("Enter a date between ")
    assert not Departure.objects.exists()


def test_a_late_departure_says_so_and_when_the_revocations_are_due(client, world, dana):
    client.force_login(world.pat.user)
    effective = timezone.localdate() - timedelta(days=20)
    clock = departure_clock(effective, timezone.now())
    page = confirmation_page(
        client,
        reverse("person_access", args=[dana.pk]),
        _form(effective_on=effective.isoformat()),
    ).content.decode()
    assert f"It is reported {clock.late_working_days} working days late" in page
    assert f"{timezone.localtime(clock.deadline):%A %B %-d}" in page
