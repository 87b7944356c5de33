"""The security forms' home panel and the worker's schedule."""

import pytest
from django.urls import reverse
from django_q.models import Schedule

from forms_4052_4055 import services as fs
from helpdesk.actor import Actor
from helpdesk.lib.schedules import ensure_schedules

PDF = b"%PDF-1.4\n"


@pytest.mark.parametrize("who", ["hannah", "pat"])
def test_the_home_page_shows_what_waits_on_forms(client, world, who):
    forms = fs.issue_forms(world.alice, ["ccms"], by=Actor.of(world.hannah)).issued
    fs.receive(forms[0], by=Actor.of(world.hannah), name="s.pdf", data=PDF)
    client.force_login(world.hannah if who == "hannah" else world.pat.user)

    page = client.get(reverse("home")).content.decode()

    assert "1 signed copy to verify" in page
    assert "1 form waiting to come back" in page


def test_a_local_expert_of_another_agency_sees_none_of_them(client, world):
    fs.issue_forms(world.alice, ["ccms"], by=Actor.of(world.hannah))
    client.force_login(world.otto.user)

    page = client.get(reverse("home")).content.decode()

    assert "0 forms waiting to come back" in page


def test_the_worker_runs_the_forms_sweep(db):
    ensure_schedules()

    schedule = Schedule.objects.get(name="Security forms sweep")
    assert schedule.func == "forms_4052_4055.tasks.forms_schedule"
