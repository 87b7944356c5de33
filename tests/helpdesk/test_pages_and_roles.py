"""Error pages, navigation by role and the role groups themselves."""

import pytest
from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.urls import reverse

from helpdesk.directory.roles import Role
from helpdesk.directory.services import ensure_role_groups

pytestmark = pytest.mark.django_db


def test_a_missing_page_gets_the_friendly_404(client, world):
    client.force_login(world.pat.user)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_refused_page_gets_the_friendly_403(client, world):
    client.force_login(world.alice.user)
    response = client.get(reverse("absence_new"))
    assert response.status_code == 403
    assert "You do not have access to this page" in response.content.decode()


def test_the_500_page_stands_alone():
    # Rendered without a request or context processors, as Django does after a crash.
    page = render_to_string("500.html")
    assert "Something went wrong" in page


@pytest.mark.parametrize(
    ("persona", "shown", "hidden"),
    [
        ("alice", ["Directory"], ["Absences", "Administration"]),
        ("pat", ["Directory", "Absences"], ["Administration"]),
        ("hannah", ["Directory", "Absences"], ["Administration"]),
        ("mike", ["Directory"], ["Absences", "Administration"]),
        ("ada", ["Directory", "Absences", "Administration"], []),
    ],
)
def test_navigation_follows_the_role(client, world, persona, shown, hidden):
    person = getattr(world, persona)
    client.force_login(getattr(person, "user", person))
    nav = (
        client.get(reverse("home"))
        .content.decode()
        .split('aria-label="Main"')[1]
        .split("</nav>")[0]
    )
    for label in shown:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_the_five_role_groups_exist_and_only_administrators_get_permissions(db):
    ensure_role_groups()
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)
    admin_perms = set(
        Group.objects.get(name=Role.ADMINISTRATOR).permissions.values_list("codename", flat=True)
    )
    assert {"change_person", "add_localexpertdesignation", "change_user"} <= admin_perms
    assert "view_auditevent" in admin_perms
    assert not admin_perms & {"add_auditevent", "change_auditevent", "delete_auditevent"}
    for role in (Role.AGENCY_USER, Role.LOCAL_EXPERT, Role.HELP_DESK, Role.MIS):
        assert not Group.objects.get(name=role).permissions.exists()
    ensure_role_groups()  # idempotent
    assert Group.objects.get(name=Role.ADMINISTRATOR).permissions.count() == len(admin_perms)
