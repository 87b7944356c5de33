"""Saved replies: who uses and manages them, placeholders filled safely, sending one with its
action through the one transition path (or the message alone and the refusal), and the pages."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from escalation.workflow import Action
from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent, AuditKind, ReplyOwner, SavedReply, TicketMessage
from helpdesk.models.replies import PLACEHOLDER_NAMES
from helpdesk.tickets import saved_replies as sr
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db


def _reply(world, *, owner=ReplyOwner.HELP_DESK, action="", body="Hello {expert_name}.", **kw):
    by = world.hannah if owner == ReplyOwner.HELP_DESK else world.mike
    return sr.create_reply(
        by=Actor.of(by), title=kw.pop("title", "Greeting"), body=body, owner=owner, action=action
    )


# --- Placeholders ---------------------------------------------------------------------------------


def test_placeholders_are_filled_from_the_ticket(world):
    ticket = th.submitted(world)
    body = "{tracking_number} for {expert_name} at {office}: {summary}."
    assert sr.render(body, ticket) == (
        f"{ticket.tracking_number} for Pat Primary at {ticket.office}: {ticket.summary}."
    )


def test_placeholders_are_a_whitelist_not_str_format(world):
    ticket = th.submitted(world)
    # Attribute access, indexes, positional fields and unknown names stay as typed.
    body = "{summary.__class__} {summary[0]} {0} {} {office.agency} {secret}"
    assert sr.render(body, ticket) == body


def test_a_value_is_not_read_for_placeholders_again(world):
    ticket = th.submitted(world)
    ticket.summary = "{tracking_number} <script>alert(1)</script>"
    filled = sr.render("Re: {summary}", ticket)
    assert filled == "Re: {tracking_number} <script>alert(1)</script>"


def test_the_model_and_the_service_know_the_same_placeholders():
    assert tuple(sr.PLACEHOLDERS) == PLACEHOLDER_NAMES


def test_unknown_placeholders_are_refused_when_saved(world):
    with pytest.raises(ValidationError) as refused:
        _reply(world, body="Dear {expert}, see {tracking_number}")
    assert "{expert}" in str(refused.value)
    assert SavedReply.objects.count() == 0


def test_placeholders_are_escaped_on_the_ticket_page(world, client):
    ticket = th.submitted(world)
    ticket.summary = '"><script>alert(1)</script>'
    ticket.save()
    _reply(world, body="About {summary}")
    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "About &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- Who uses and manages them --------------------------------------------------------------------


def test_each_role_manages_and_uses_its_own_replies(world):
    desk = _reply(world, title="Desk")
    mis = _reply(world, owner=ReplyOwner.MIS, title="MIS")
    assert list(sr.replies_for(Actor.of(world.hannah))) == [desk]
    assert list(sr.replies_for(Actor.of(world.mike))) == [mis]
    assert list(sr.replies_for(Actor.of(world.pat.user))) == []
    with pytest.raises(PermissionDenied):
        sr.create_reply(by=Actor.of(world.mike), title="X", body="x", owner=ReplyOwner.HELP_DESK)
    with pytest.raises(PermissionDenied):
        sr.update_reply(desk, by=Actor.of(world.mike), title="X", body="x", action="", active=True)
    with pytest.raises(PermissionDenied):
        sr.create_reply(by=Actor.of(world.pat.user), title="X", body="x", owner=ReplyOwner.MIS)


def test_managing_a_reply_is_audited(world):
    reply = _reply(world)
    sr.update_reply(
        reply, by=Actor.of(world.hannah), title="Greeting", body="Hi.", action="", active=False
    )
    kinds = list(
        AuditEvent.objects.filter(target_id=str(reply.pk))
        .order_by("id")
        .values_list("kind", flat=True)
    )
    assert kinds == [AuditKind.CREATED, AuditKind.CHANGED]
    assert list(sr.replies_for(Actor.of(world.hannah))) == []  # inactive: not offered


def test_someone_elses_reply_cannot_be_sent(world):
    ticket = th.with_mis(world)
    mis_reply = _reply(world, owner=ReplyOwner.MIS)
    with pytest.raises(PermissionDenied):
        sr.send_saved_reply(ticket, by=Actor.of(world.hannah), reply=mis_reply, body="x")


# --- Sending one ----------------------------------------------------------------------------------


def test_a_reply_with_an_action_takes_it_through_the_transition_path(world):
    ticket = th.in_progress(world)
    reply = _reply(world, action=Action.RESOLVE, body="Your RACF ID is reset.")
    sent = sr.send_saved_reply(
        ticket, by=Actor.of(world.hannah), reply=reply, body="Your RACF ID is reset, Pat."
    )
    ticket.refresh_from_db()
    assert sent.action == Action.RESOLVE
    assert sent.refusal == ""
    assert ticket.state == S.RESOLVED
    assert ticket.resolution == "Your RACF ID is reset, Pat."
    assert sent.message.body == "Your RACF ID is reset, Pat."
    assert AuditEvent.objects.filter(
        kind=AuditKind.TRANSITION, after={"state": S.RESOLVED}
    ).exists()


def test_a_question_is_one_message_and_the_ticket_waits(world, django_capture_on_commit_callbacks):
    ticket = th.in_progress(world)
    reply = _reply(world, action=Action.REQUEST_INFO, body="Which workstation, {expert_name}?")
    before = TicketMessage.objects.filter(ticket=ticket).count()
    with django_capture_on_commit_callbacks(execute=True):
        sent = sr.send_saved_reply(
            ticket, by=Actor.of(world.hannah), reply=reply, body="Which workstation, Pat?"
        )
    ticket.refresh_from_db()
    assert ticket.state == S.AWAITING_INFO
    assert sent.action == Action.REQUEST_INFO
    assert TicketMessage.objects.filter(ticket=ticket).count() == before + 1
    assert any("Which workstation, Pat?" in m.body for m in mail.outbox)


def test_when_the_state_does_not_allow_the_action_the_message_goes_alone(world):
    ticket = th.submitted(world)  # not in progress: it cannot be resolved yet
    reply = _reply(world, action=Action.RESOLVE)
    sent = sr.send_saved_reply(ticket, by=Actor.of(world.hannah), reply=reply, body="Done.")
    ticket.refresh_from_db()
    assert ticket.state == S.SUBMITTED
    assert sent.action is None
    assert "Resolve" in sent.refusal
    assert "was not done" in sent.refusal
    assert TicketMessage.objects.filter(ticket=ticket, body="Done.").exists()


def test_mis_reports_its_resolution_with_its_own_reply(world):
    ticket = th.with_mis(world)
    reply = _reply(world, owner=ReplyOwner.MIS, action=Action.REPORT_MIS_RESOLUTION)
    sent = sr.send_saved_reply(ticket, by=Actor.of(world.mike), reply=reply, body="Fix deployed.")
    ticket.refresh_from_db()
    assert sent.action == Action.REPORT_MIS_RESOLUTION
    assert ticket.state == S.IN_PROGRESS
    assert ticket.mis_resolution == "Fix deployed."


def test_when_the_user_may_not_take_the_action_the_message_goes_alone(world):
    ticket = th.with_mis(world)
    # An MIS reply that resolves: only the help desk resolves, so MIS's message goes alone.
    reply = _reply(world, owner=ReplyOwner.MIS, action=Action.RESOLVE)
    sent = sr.send_saved_reply(ticket, by=Actor.of(world.mike), reply=reply, body="Fixed in CCTS.")
    ticket.refresh_from_db()
    assert ticket.state == S.ESCALATED_TO_MIS
    assert sent.refusal
    assert sent.message.body == "Fixed in CCTS."


def test_a_refused_question_still_sends_the_message(world):
    ticket = th.submitted(world)  # a question is asked only of a ticket in progress
    reply = _reply(world, action=Action.REQUEST_INFO)
    sent = sr.send_saved_reply(ticket, by=Actor.of(world.hannah), reply=reply, body="Which PC?")
    ticket.refresh_from_db()
    assert ticket.state == S.SUBMITTED
    assert sent.refusal
    assert TicketMessage.objects.filter(ticket=ticket, body="Which PC?").count() == 1


def test_an_internal_note_takes_no_action(world):
    ticket = th.in_progress(world)
    reply = _reply(world, action=Action.RESOLVE)
    sent = sr.send_saved_reply(
        ticket, by=Actor.of(world.hannah), reply=reply, body="Note.", internal=True
    )
    ticket.refresh_from_db()
    assert ticket.state == S.IN_PROGRESS
    assert sent.message.internal
    assert sent.refusal


# --- Pages ----------------------------------------------------------------------------------------


def test_the_ticket_page_offers_the_roles_replies_filled_in(world, client):
    ticket = th.submitted(world)
    _reply(world, body="Hello {expert_name}, about {tracking_number}.")
    _reply(world, owner=ReplyOwner.MIS, title="Only for MIS")
    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert f'data-body="Hello Pat Primary, about {ticket.tracking_number}."' in page
    assert "Only for MIS" not in page
    client.force_login(world.pat.user)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'id="saved-reply"' not in page


def test_without_javascript_a_get_parameter_fills_the_form(world, client):
    ticket = th.submitted(world)
    reply = _reply(world, body="Hello {expert_name}.")
    client.force_login(world.hannah)
    url = reverse("ticket_detail", args=[ticket.pk])
    page = client.get(url, {"reply": reply.pk}).content.decode()
    assert "Hello Pat Primary.</textarea>" in page
    assert f'name="saved_reply" value="{reply.pk}"' in page
    # Someone else's reply id fills nothing.
    mis = _reply(world, owner=ReplyOwner.MIS, title="MIS", body="MIS text")
    assert "MIS text" not in client.get(url, {"reply": mis.pk}).content.decode()


def test_sending_from_the_page_takes_the_action_or_shows_the_refusal(world, client):
    ticket = th.in_progress(world)
    resolve = _reply(world, action=Action.RESOLVE, title="Resolve it")
    client.force_login(world.hannah)
    url = reverse("ticket_message", args=[ticket.pk])
    response = client.post(url, {"body": "Reset.", "saved_reply": resolve.pk}, follow=True)
    ticket.refresh_from_db()
    assert ticket.state == S.RESOLVED
    assert "Resolve: done." in response.content.decode()
    # Resolved now: a second send is a message, and the page says why nothing else happened.
    response = client.post(url, {"body": "Again.", "saved_reply": resolve.pk}, follow=True)
    assert "was not done" in response.content.decode()
    assert TicketMessage.objects.filter(ticket=ticket, body="Again.").exists()


def test_the_saved_replies_page_is_for_help_desk_and_mis(world, client):
    url = reverse("saved_reply_list")
    client.force_login(world.pat.user)
    assert client.get(url).status_code == 403
    client.force_login(world.mike)
    response = client.post(
        url, {"title": "Seen by MIS", "body": "Seen {tracking_number}.", "action": ""}
    )
    assert response.status_code == 302
    reply = SavedReply.objects.get()
    assert reply.owner == ReplyOwner.MIS
    assert reply.created_by == world.mike
    # The help desk neither sees nor edits MIS's replies.
    client.force_login(world.hannah)
    assert "Seen by MIS" not in client.get(url).content.decode()
    assert client.get(reverse("saved_reply_edit", args=[reply.pk])).status_code == 404


def test_the_page_shows_an_unknown_placeholder_next_to_the_field(world, client):
    client.force_login(world.hannah)
    response = client.post(
        reverse("saved_reply_list"), {"title": "Bad", "body": "Hi {name}", "action": ""}
    )
    assert response.status_code == 400
    assert "Unknown placeholders: {name}" in response.content.decode()
    assert "Hi {name}</textarea>" in response.content.decode()  # what was typed is kept


def test_editing_a_reply_from_its_page(world, client):
    reply = _reply(world)
    client.force_login(world.hannah)
    url = reverse("saved_reply_edit", args=[reply.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"title": "Greeting", "body": "Hi {expert_name}.", "action": "resolve", "active": "on"}
    )
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Hi {expert_name}."
    assert reply.action == Action.RESOLVE


def test_the_admin_refuses_unknown_placeholders_and_audits(world, client):
    from tests.factories import UserFactory

    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("admin:helpdesk_savedreply_add")
    data = {"title": "T", "body": "Hi {nme}", "owner": "mis", "action": "", "active": "on"}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Unknown placeholders: {nme}" in response.content.decode()
    response = client.post(url, data | {"body": "Hi {expert_name}"})
    assert response.status_code == 302
    reply = SavedReply.objects.get()
    assert AuditEvent.objects.filter(kind=AuditKind.CREATED, target_id=str(reply.pk)).exists()
    assert reply.created_by == admin
