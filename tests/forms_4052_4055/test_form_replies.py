"""Replies to a security form's mail: one quoting the issue email's Message-ID belongs to that
form even when its subject lost the reference; one that files no signed copy (a question, no
attachment) is shown on the form for the help desk, audited; an unproven one is held."""

import pytest
from django.urls import reverse

from forms_4052_4055 import services as fs
from forms_4052_4055.models import FormState, SecurityForm
from helpdesk.actor import Actor
from helpdesk.mail import intake
from helpdesk.models import AuditEvent, AuditKind, OutboundRecipient, Outcome, QuarantineReason
from tests.helpdesk.mail.messages import email_bytes

PDF = b"%PDF-1.4\n% signed copy\n"


@pytest.fixture
def issued(world, django_capture_on_commit_callbacks, mailoutbox) -> SecurityForm:
    """Form 4052 issued to Alice: the issue email has left, to her and her local expert."""
    with django_capture_on_commit_callbacks(execute=True):
        forms = fs.issue_forms(world.alice, ["ccms"], by=Actor.of(world.hannah)).issued
    return next(f for f in forms if f.form_type.code == "4052")


def _issue_copy_to(form: SecurityForm, address: str) -> str:
    copy = OutboundRecipient.objects.get(
        email__key__startswith=f"form:{form.pk}:issued", address=address
    )
    assert copy.sent_at is not None
    return copy.message_id


def _reply(form, *, sender="alice@example.org", subject="RE: your form", proven=True, files=()):
    headers = {"In-Reply-To": _issue_copy_to(form, sender.rsplit("<")[-1].strip(">"))}
    return email_bytes(
        sender=sender,
        subject=subject,
        body="Which box do I sign? I am on leave until Monday.",
        headers=headers if proven else {"In-Reply-To": "<guess@example.org>"},
        attachments=files,
    )


def test_a_reply_to_form_mail_with_no_attachment_is_shown_on_the_form(
    issued, world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        result = intake.ingest(_reply(issued), source="pipe")

    assert result.outcome == Outcome.HANDLED, result.inbound.detail
    assert issued.reference in result.inbound.detail
    reply = issued.replies.get()
    assert (reply.from_address, reply.inbound) == ("alice@example.org", result.inbound)
    assert "Which box do I sign?" in reply.body
    issued.refresh_from_db()
    assert issued.state == FormState.ISSUED  # a reply changes nothing by itself
    assert AuditEvent.objects.for_object(issued).filter(kind=AuditKind.CHANGED).exists()
    client.force_login(world.hannah)
    page = client.get(reverse("form_detail", args=[issued.pk])).content.decode()
    assert "Which box do I sign?" in page


def test_a_signed_copy_replying_to_form_mail_is_filed_without_the_reference(issued):
    raw = _reply(issued, files=[("scan.pdf", "application/pdf", PDF)])

    result = intake.ingest(raw, source="pipe")

    issued.refresh_from_db()
    assert result.outcome == Outcome.HANDLED
    assert issued.state == FormState.RECEIVED
    assert issued.documents.get().original_name == "scan.pdf"
    assert not issued.replies.exists()


def test_a_local_experts_reply_to_form_mail_lands_on_the_form_not_a_new_ticket(issued):
    result = intake.ingest(_reply(issued, sender="pat@example.org"), source="pipe")

    assert result.outcome == Outcome.HANDLED
    assert result.ticket is None
    assert issued.replies.get().from_address == "pat@example.org"


def test_an_unproven_reply_to_form_mail_is_held(issued):
    raw = _reply(issued, subject=f"RE: [{issued.reference}] your form", proven=False)

    result = intake.ingest(raw, source="pipe")

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.NEEDS_REVIEW
    assert not issued.replies.exists()


def test_replies_on_the_form_page_are_for_the_help_desk_only(issued, world, client):
    intake.ingest(_reply(issued), source="pipe")

    client.force_login(world.pat.user)
    page = client.get(reverse("form_detail", args=[issued.pk]))

    assert page.status_code == 200
    assert "Which box do I sign?" not in page.content.decode()
