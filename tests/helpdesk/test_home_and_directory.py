"""Each role's home page and the office directory, with who may see what."""

import pytest
from django.urls import reverse

from helpdesk.models import Person
from tests.factories import AbsenceFactory, OfficeFactory, PersonFactory

pytestmark = pytest.mark.django_db


def _home(client, user) -> str:
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


def test_an_agency_user_sees_who_to_tell(client, world):
    page = _home(client, world.alice.user)
    assert "Your local expert" in page
    assert "Pat Primary" in page


def test_an_agency_user_is_sent_to_the_alternate_while_the_primary_is_away(client, world):
    AbsenceFactory(person=world.pat)
    page = _home(client, world.alice.user)
    assert "Alex Alternate" in page
    assert "Alternate acting" in page


def test_a_local_expert_sees_their_offices_and_whether_they_act(client, world):
    page = _home(client, world.alex.user)
    assert "Your offices" in page
    assert "Rockford office" in page
    assert "Pat Primary (Primary)" in page
    AbsenceFactory(person=world.pat)
    assert 'badge ok">You' in _home(client, world.alex.user)


def test_help_desk_sees_offices_without_cover_and_experts_away(client, world):
    uncovered = OfficeFactory(name="Nobody-home office")
    AbsenceFactory(person=world.pat, reason="Jury duty")
    page = _home(client, world.hannah)
    assert "Offices without local expert cover" in page
    assert "Nobody-home office" in page
    assert str(uncovered.pk) in page
    assert "Local experts away today" in page
    assert "Pat Primary" in page


def test_an_administrator_sees_logins_of_people_who_left(client, world):
    leaver = world.alex
    Person.objects.filter(pk=leaver.pk).update(active=False)
    page = _home(client, world.ada)
    assert "People who left but can still sign in" in page
    assert leaver.user.username in page


def test_a_login_without_a_role_is_told_so(client, world):
    from tests.factories import UserFactory

    page = _home(client, UserFactory())
    assert "Your login has no role yet" in page
    assert client.get(reverse("directory")).status_code == 403


def test_home_output_is_escaped(client, world):
    world.pat.first_name = "<script>alert(1)</script>"
    world.pat.save()
    page = _home(client, world.alice.user)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_agency_staff_see_only_their_own_agencys_offices(client, world):
    client.force_login(world.pat.user)
    page = client.get(reverse("directory")).content.decode()
    assert "Rockford office" in page
    assert "Carbondale office" not in page
    other = client.get(reverse("office_detail", args=[world.other_office.pk]))
    assert other.status_code == 404


def test_state_staff_see_every_office_and_can_search(client, world):
    client.force_login(world.mike)
    page = client.get(reverse("directory")).content.decode()
    assert "Rockford office" in page
    assert "Carbondale office" in page
    found = client.get(reverse("directory"), {"q": "Outsider"}).content.decode()
    assert "Carbondale office" in found
    assert "Rockford office" not in found


def test_office_page_shows_experts_staff_and_absences(client, world):
    AbsenceFactory(person=world.pat, reason="Training")
    client.force_login(world.hannah)
    page = client.get(reverse("office_detail", args=[world.office.pk])).content.decode()
    assert "Pat Primary" in page
    assert "Alex Alternate" in page
    assert "Alice Agency" in page
    assert "Training" in page


def test_the_directory_list_query_count_does_not_grow_with_offices(
    client, world, django_assert_max_num_queries
):
    for _ in range(30):
        office = OfficeFactory(agency=world.office.agency)
        PersonFactory(office=office)
    client.force_login(world.hannah)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("directory"))
    assert response.context["page"].paginator.count > 25


def test_healthz_answers(client, db):
    assert client.get(reverse("healthz")).json() == {"status": "ok"}
