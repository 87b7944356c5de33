"""The markup every page shares (issue 16, items 11 and 12): radio and checkbox groups in a
fieldset with a legend, the navigation grouped by area, the flash messages in a live region."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_radio_group_is_a_fieldset_whose_legend_is_the_question(client, world):
    client.force_login(world.pat.user)
    html = client.get(reverse("problem_report_new")).content.decode()
    legends = re.findall(r'<fieldset class="choices"[^>]*>\s*<legend>([^<]*)', html)
    assert "What is this about?" in [legend.strip() for legend in legends]
    assert "Can you duplicate the problem?" in [legend.strip() for legend in legends]
    assert 'type="radio"' in html.split('<fieldset class="choices"', 1)[1].split("</fieldset>")[0]
    # A single field keeps its label.
    assert '<label for="id_summary">Summary' in html


@pytest.mark.parametrize(
    ("persona", "menus", "alone"),
    [
        ("alice", {"Tickets", "Information"}, {"Home"}),
        ("pat", {"Tickets", "Information", "Accounts"}, {"Home"}),
        ("hannah", {"Tickets", "Information", "Accounts"}, {"Home"}),
        ("mike", {"Tickets", "Information"}, {"Home"}),
        ("ada", {"Tickets", "Information", "Accounts"}, {"Home", "Administration"}),
    ],
)
def test_the_navigation_is_a_few_areas_whatever_the_roles(client, world, persona, menus, alone):
    client.force_login(world.user(persona))
    response = client.get(reverse("home"))
    nav = response.content.decode().split('aria-label="Main"')[1].split("</nav>")[0]
    assert set(re.findall(r"<summary>([^<]+)</summary>", nav)) == menus
    outside_menus = re.sub(r"<details.*?</details>", "", nav, flags=re.S)
    top = re.findall(r'<li><a href="[^"]+"[^>]*>([^<]+)</a></li>', outside_menus)
    assert set(top) == alone
    # Every link of the flat list is in the header, once.
    for label, url in response.context["nav_links"]:
        assert nav.count(f'href="{url}"') == 1, label


def test_flash_messages_are_a_list_inside_a_status_region(client, world):
    client.force_login(world.pat.user)
    response = client.post(
        reverse("absence_new"),
        {"person": world.pat.pk, "starts_at": "2030-01-07T08:00", "ends_at": "2030-01-08T17:00"},
        follow=True,
    )
    html = response.content.decode()
    region = html.split('<div class="messages" role="status">', 1)[1].split("</div>", 1)[0]
    assert '<li class="message success">' in region
    assert '<ul class="messages"' not in html
