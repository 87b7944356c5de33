"""Merging a duplicate report into another: everything moves, the duplicate ends with a link,
both timelines and the audit trail say so, the local experts are told; and the refusals."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind, EventKind, TicketAttachment
from helpdesk.reports import services as reports
from helpdesk.tickets import merging
from helpdesk.tickets import services as svc
from helpdesk.tickets.attachments import attach
from helpdesk.transitions import ConflictError
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _duplicate(world, **report):
    """A second report of the same problem, from the same office, with a contact of its own."""
    fields = {"secondary_name": "Sam Second", "secondary_email": "sam@example.org"} | report
    ticket = reports.report_from_web(
        th.problem_report(**fields), by=Actor.of(world.alex.user), office=world.office
    ).ticket
    svc.add_message(ticket, by=Actor.of(world.alex.user), body="It happens on every PC.")
    attach(ticket, by=Actor.of(world.alex.user), name="screen.pdf", data=PDF)
    ticket.refresh_from_db()
    return ticket


def _other_office_report(world):
    return reports.report_from_web(
        th.problem_report(contact_name="Otto", contact_email="otto@example.org"),
        by=Actor.of(world.otto.user),
        office=world.other_office,
    ).ticket


def test_merging_moves_messages_attachments_and_contacts(world, django_capture_on_commit_callbacks):
    kept = th.in_progress(world)
    duplicate = _duplicate(world)
    message_ids = set(duplicate.messages.values_list("pk", flat=True))
    assert message_ids
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        result = merging.merge(
            duplicate, kept, by=Actor.of(world.hannah), expected_version=duplicate.version
        )
    duplicate.refresh_from_db()
    kept.refresh_from_db()
    assert result.pk == kept.pk
    # The duplicate ends rejected, as a duplicate, with a link to the kept ticket.
    assert duplicate.state == S.REJECTED
    assert duplicate.merged_into == kept
    assert kept.reference in duplicate.rejection_reason
    # Messages and attachments are the kept ticket's now.
    assert message_ids <= set(kept.messages.values_list("pk", flat=True))
    assert duplicate.messages.count() == 0
    assert TicketAttachment.objects.get(original_name="screen.pdf").ticket == kept
    # The contacts the kept ticket lacked moved (the secondary contact, and Alex, the local
    # expert who filed the duplicate); those it had (Pat) are not repeated.
    assert [c["email"] for c in kept.extra_contacts] == ["sam@example.org", "alex@example.org"]
    assert kept.extra_contacts[0]["from"] == duplicate.reference
    # Both timelines, linking each other.
    on_kept = kept.events.get(kind=EventKind.MERGED)
    on_dup = duplicate.events.get(kind=EventKind.MERGED)
    assert on_kept.data == {"merged": duplicate.pk}
    assert duplicate.reference in on_kept.note
    assert on_dup.data == {"merged": kept.pk}
    assert duplicate.events.filter(action=Action.MERGE, to_state=S.REJECTED).exists()
    # Audited: the transition of the duplicate and the change of the kept ticket.
    assert AuditEvent.objects.filter(
        kind=AuditKind.TRANSITION, target_id=str(duplicate.pk), after={"state": S.REJECTED}
    ).exists()
    audit = AuditEvent.objects.get(kind=AuditKind.CHANGED, target_id=str(kept.pk))
    assert audit.after["merged_from"] == duplicate.pk
    assert audit.after["messages"] >= 1
    # The local experts of both are told, through the outgoing-mail path.
    told = [m for m in mail.outbox if "Merged into" in m.subject]
    assert {m.to[0] for m in told} == {
        "pat@example.org",
        "alice@example.org",
        "sam@example.org",
        "alex@example.org",
    }
    assert all(m.subject.startswith(f"[{duplicate.reference}]") for m in told)
    assert kept.reference in told[0].body
    assert f"/tickets/{kept.pk}/" in told[0].body


def test_later_emails_about_the_kept_ticket_reach_the_moved_contacts(
    world, django_capture_on_commit_callbacks
):
    kept = th.in_progress(world)
    merging.merge(_duplicate(world), kept, by=Actor.of(world.hannah))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        svc.resolve(kept, by=Actor.of(world.hannah), resolution="Reset.")
    resolved = {m.to[0] for m in mail.outbox if "Resolved" in m.subject}
    assert "sam@example.org" in resolved


def test_only_the_help_desk_merges(world):
    kept, duplicate = th.in_progress(world), _duplicate(world)
    for who in (world.pat.user, world.mike, world.alice.user):
        with pytest.raises(PermissionDenied):
            merging.merge(duplicate, kept, by=Actor.of(who))
    duplicate.refresh_from_db()
    assert duplicate.state == S.SUBMITTED
    assert duplicate.messages.exists()


def test_a_ticket_is_not_merged_into_itself(world):
    ticket = th.in_progress(world)
    with pytest.raises(ValidationError, match="itself"):
        merging.merge(ticket, ticket, by=Actor.of(world.hannah))


@pytest.mark.parametrize("finished", [th.closed, th.rejected, th.resolved_locally])
def test_a_report_is_not_merged_into_a_finished_ticket(world, finished):
    kept, duplicate = finished(world), _duplicate(world)
    with pytest.raises(ValidationError, match="finished"):
        merging.merge(duplicate, kept, by=Actor.of(world.hannah))
    duplicate.refresh_from_db()
    assert duplicate.state == S.SUBMITTED
    assert duplicate.messages.exists()


def test_a_finished_or_local_ticket_is_not_merged_away(world):
    kept = th.in_progress(world)
    for state_of in (th.resolved, th.reported):
        with pytest.raises(ConflictError):
            merging.merge(state_of(world), kept, by=Actor.of(world.hannah))


def test_across_offices_only_when_confirmed(world):
    kept, duplicate = th.in_progress(world), _other_office_report(world)
    with pytest.raises(ValidationError, match="confirm"):
        merging.merge(duplicate, kept, by=Actor.of(world.hannah))
    merging.merge(duplicate, kept, by=Actor.of(world.hannah), across_offices_confirmed=True)
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept


def test_a_stale_confirmation_is_a_conflict(world):
    kept, duplicate = th.in_progress(world), _duplicate(world)
    seen = duplicate.version
    svc.set_priority(duplicate, by=Actor.of(world.hannah), priority="p1")
    with pytest.raises(ConflictError):
        merging.merge(duplicate, kept, by=Actor.of(world.hannah), expected_version=seen)


def test_the_plan_states_what_will_move(world):
    kept, duplicate = th.in_progress(world), _duplicate(world)
    plan = merging.plan_merge(duplicate, kept, by=Actor.of(world.hannah))
    assert (plan.messages, plan.attachments) == (1, 1)
    assert [c.email for c in plan.contacts] == ["sam@example.org", "alex@example.org"]
    assert "sam@example.org" in plan.told
    assert "pat@example.org" in plan.told
    assert plan.refusals == []
    assert not plan.across_offices


# --- Pages ----------------------------------------------------------------------------------------


def test_the_confirmation_page_then_the_merge(world, client):
    kept, duplicate = th.in_progress(world), _duplicate(world)
    client.force_login(world.hannah)
    detail = client.get(reverse("ticket_detail", args=[duplicate.pk])).content.decode()
    assert reverse("ticket_merge", args=[duplicate.pk]) in detail
    url = reverse("ticket_merge", args=[duplicate.pk])
    # Open tickets of the same office and system are offered.
    offered = client.get(url).content.decode()
    assert f'href="{url}?into={kept.tracking_number}"' in offered
    page = client.get(url, {"into": kept.tracking_number}).content.decode()
    assert "1 message moves" in page
    assert "1 attachment moves" in page
    assert "sam@example.org" in page
    assert "cannot be undone" in page
    response = client.post(url, {"into": kept.pk, "version": duplicate.version})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("ticket_detail", args=[kept.pk]))
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept
    page = client.get(reverse("ticket_detail", args=[duplicate.pk])).content.decode()
    assert f'href="/tickets/{kept.pk}/"' in page


def test_the_page_finds_a_report_by_its_number_and_states_refusals(world, client):
    kept, duplicate = th.closed(world), _duplicate(world)
    client.force_login(world.hannah)
    url = reverse("ticket_merge", args=[duplicate.pk])
    page = client.get(url, {"into": str(kept.pk)}).content.decode()
    assert "This merge cannot be done" in page
    assert 'data-action="merge"' not in page
    response = client.get(url, {"into": "CCAP-1999-000001"})
    assert response.status_code == 400
    assert "No ticket you can see has that number." in response.content.decode()


def test_across_offices_the_page_asks_for_the_confirmation(world, client):
    kept, duplicate = th.in_progress(world), _other_office_report(world)
    client.force_login(world.hannah)
    url = reverse("ticket_merge", args=[duplicate.pk])
    page = client.get(url, {"into": kept.tracking_number}).content.decode()
    assert "different offices" in page
    response = client.post(url, {"into": kept.pk, "version": duplicate.version})
    assert response.status_code == 400
    assert "confirm the merge" in response.content.decode()
    response = client.post(
        url, {"into": kept.pk, "version": duplicate.version, "across_offices": "on"}
    )
    assert response.status_code == 302


def test_the_merge_page_is_for_the_help_desk(world, client):
    duplicate = _duplicate(world)
    url = reverse("ticket_merge", args=[duplicate.pk])
    client.force_login(world.pat.user)
    assert client.get(url).status_code == 403
    assert client.post(url, {"into": th.in_progress(world).pk, "version": 1}).status_code == 403
