"""Request kinds besides problems (issue 19): a policy question and a technical-assistance
request, each with its own SLA policy at the help desk, routed there like a problem, asked
fewer questions, and counted on the dashboard."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from escalation.models import SlaPolicy
from escalation.sla import policy
from escalation.workflow import Priority, TicketKind
from escalation.workflow import TicketState as S
from helpdesk.mail import intake
from helpdesk.models import Ticket, missing_report_fields
from tests.helpdesk.mail.messages import email_bytes

pytestmark = pytest.mark.django_db
TUESDAY_NINE = datetime(2026, 12, 8, 15, tzinfo=UTC)  # 9:00 Central


def _web_report(client, world, kind: str, **extra):
    client.force_login(world.pat.user)
    data = {
        "office": world.office.pk,
        "kind": kind,
        "summary": "May a provider bill for a closed day?",
        "contact_name": "Pat Primary",
        "contact_phone": "217-555-0100",
        "contact_email": "pat@example.org",
        "who_affected": "just_me",
        "system": "ccms",
        "description": "The policy manual is not clear about holidays.",
        **extra,
    }
    return client.post(reverse("problem_report_new"), data)


def test_a_policy_question_needs_no_moment_or_reproduction_and_reaches_the_help_desk(client, world):
    with time_machine.travel(TUESDAY_NINE, tick=False):
        response = _web_report(client, world, TicketKind.POLICY_QUESTION)

    assert response.status_code == 302, response.content.decode()[:3000]
    ticket = Ticket.objects.get()
    assert (ticket.kind, ticket.state) == (TicketKind.POLICY_QUESTION, S.SUBMITTED)
    # Its own targets: a first answer within a business day, settled within a week.
    assert ticket.response_due_at == datetime(2026, 12, 9, 15, tzinfo=UTC)  # Wed 9:00 Central


def test_a_problem_still_needs_when_it_happened(client, world):
    response = _web_report(client, world, TicketKind.PROBLEM)

    assert response.status_code == 200
    assert "Answer this for a problem with a system." in response.content.decode()
    assert not Ticket.objects.exists()


def test_each_kind_has_its_own_policy_and_falls_back_to_the_problems():
    help_desk, mis = SlaPolicy.Tier.HELP_DESK, SlaPolicy.Tier.MIS

    question = policy(Priority.LOW, help_desk, TicketKind.POLICY_QUESTION)
    assistance = policy(Priority.LOW, help_desk, TicketKind.TECHNICAL_ASSISTANCE)
    problem = policy(Priority.LOW, help_desk)

    assert (question.kind, question.first_response_hours, question.resolve_hours) == (
        TicketKind.POLICY_QUESTION,
        9,
        45,
    )
    assert (assistance.first_response_hours, assistance.resolve_hours) == (4, 18)
    assert problem.kind == TicketKind.PROBLEM
    assert policy(Priority.LOW, mis, TicketKind.POLICY_QUESTION) == policy(Priority.LOW, mis)


def test_the_one_rule_of_what_a_report_lacks_knows_the_kind():
    values = {"kind": TicketKind.TECHNICAL_ASSISTANCE}

    assert "occurred_at" not in missing_report_fields(values)
    assert "occurred_at" in missing_report_fields({"kind": TicketKind.PROBLEM})


def test_an_email_says_its_kind_in_the_subject(world):
    raw = email_bytes(subject="TA request: training on the new CCMS screens")

    ticket = intake.ingest(raw, source="pipe").ticket

    assert ticket.kind == TicketKind.TECHNICAL_ASSISTANCE


def test_the_dashboard_counts_open_requests_by_kind(client, world):
    _web_report(client, world, TicketKind.POLICY_QUESTION)
    client.force_login(world.hannah)

    page = client.get(reverse("dashboard")).content.decode()
    listed = client.get(
        reverse("queue", args=["help_desk"]), {"status": "open", "kind": "policy_question"}
    )

    assert "Open requests by kind" in page
    assert [t.kind for t in listed.context["page"].object_list] == [TicketKind.POLICY_QUESTION]
