"""The queue filters the dashboard links with, on their own."""

import pytest

pytestmark = pytest.mark.django_db


def _count(client, **params) -> int:
    response = client.get("/queues/help_desk/", params)
    assert response.status_code == 200
    return response.context["page"].paginator.count


def test_the_new_filters_narrow_the_help_desk_queue(client, world, tickets):
    client.force_login(world.hannah)
    assert _count(client, status="all") == 12  # T13 and T14 never reached the help desk
    assert _count(client) == _count(client, status="open") == 6  # open work by default
    assert _count(client, status="done") == 6
    assert _count(client, status="open", tier=4) == 2
    # The dashboard's figures that count finished tickets too link with status=all.
    everything = {"status": "all"}
    assert _count(client, created_from="2026-11-09", created_to="2026-11-15", **everything) == 2
    assert _count(client, resolved_from="2026-09-01", resolved_to="2026-09-30", **everything) == 2
    assert _count(client, reached_mis="yes", sla="breached", **everything) == 1  # T9
    assert _count(client, mis_update_overdue="on", **everything) == 1  # T3
    assert _count(client, status="open", age="11+") == 2  # T3, T5


def test_a_backwards_range_is_an_error_and_narrows_nothing(client, world, tickets):
    client.force_login(world.hannah)
    response = client.get(
        "/queues/help_desk/", {"created_from": "2026-11-15", "created_to": "2026-11-09"}
    )
    assert response.context["form"].errors["created_to"]
    assert response.context["page"].paginator.count == 6  # the queue's default: open work
    assert "The end date must be on or after the start date." in response.content.decode()


@pytest.mark.parametrize("forged", [{"tier": "5"}, {"age": "99"}, {"sla": "x"}, {"status": "any"}])
def test_forged_values_are_refused_not_crashed_on(client, world, tickets, forged):
    client.force_login(world.hannah)
    response = client.get("/queues/help_desk/", forged)
    assert response.status_code == 200
    assert response.context["form"].errors
