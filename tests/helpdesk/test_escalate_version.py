"""Finding: a non-numeric ``version`` on the escalate form gave a 500 (``int(version)``)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from escalation.workflow import TicketState as S
from helpdesk.models import Ticket
from tests.helpdesk import ticket_helpers as th


def _escalation_form(ticket: Ticket, version: str) -> dict[str, object]:
    report = th.problem_report(summary="Typed before the version was tampered with")
    return {
        **{k: v for k, v in vars(report).items() if v is not None},
        "can_duplicate": "yes",
        "occurred_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "version": version,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["abc", "1.5", "", "²"])
def test_finding_non_numeric_version_on_escalate_is_400_not_500(client, world, version):
    ticket = th.reported(world)
    client.force_login(world.pat.user)
    response = client.post(
        reverse("ticket_escalate", args=[ticket.pk]), _escalation_form(ticket, version)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "This form could not be read" in page
    assert "Typed before the version was tampered with" in page  # what was typed stays
    assert f'name="version" value="{ticket.version}"' in page  # a retry can succeed
    ticket.refresh_from_db()
    assert ticket.state == S.WITH_LOCAL_EXPERT


@pytest.mark.django_db
def test_escalate_with_the_shown_version_still_sends_the_report(client, world):
    ticket = th.reported(world)
    client.force_login(world.pat.user)
    response = client.post(
        reverse("ticket_escalate", args=[ticket.pk]), _escalation_form(ticket, str(ticket.version))
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.state == S.SUBMITTED
