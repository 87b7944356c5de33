"""Fulfillers answering by email: CMS's (or MIS's) reply to the email that asked it to carry
out a request is shown on that request for the help desk, found by the Message-ID it quotes or
by the request's tag in the subject; believed only as far as the mail identity rules go; and
no fulfiller or staff member is ever told to go through a local expert."""

import pytest
from django.urls import reverse

from access import tasks
from access.models import AccessRequest, RequestKind, RequestState, TargetSystem
from helpdesk.models import (
    AuditEvent,
    AuditKind,
    InboundMessage,
    OutboundRecipient,
    Outcome,
    QuarantineReason,
)
from tests.helpdesk.mail.messages import email_bytes

CMS = "cms-access@example.gov"
TRUSTED = "mx.illinois.example"


@pytest.fixture(autouse=True)
def cms_is_configured(settings):
    settings.ACCESS_CMS_EMAIL = CMS
    settings.MAIL_TRUSTED_AUTHSERV_IDS = [TRUSTED]


@pytest.fixture
def sent_to_cms(world, django_capture_on_commit_callbacks, mailoutbox):
    """A new CCMS ID for Alice, submitted: the email asking CMS to do it has left."""
    request = AccessRequest.objects.create(
        kind=RequestKind.NEW,
        person=world.alice,
        system=TargetSystem.objects.get(code="ccms"),
        fulfiller="cms",
        state=RequestState.SUBMITTED,
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.send_fulfiller_email(request.pk)
    return request


def _copy_to_cms(request: AccessRequest) -> str:
    key = f"access:{request.pk}:access_request"
    return OutboundRecipient.objects.get(email__key__startswith=key, address=CMS).message_id


def _reply(subject: str, body: str = "Done: CCMS ID Alice.Agency created.", **headers: str):
    return email_bytes(
        sender=f"CMS Access <{CMS}>",
        subject=subject,
        body=body,
        headers={k.replace("_", "-"): v for k, v in headers.items()},
        attachments=[("confirmation.pdf", "application/pdf", b"%PDF-1.4 done")],
    )


def _aligned(domain: str = "example.gov") -> dict[str, str]:
    return {"Authentication_Results": f"{TRUSTED}; dmarc=pass header.from={domain}"}


def test_the_fulfiller_email_names_the_request_by_its_tag(sent_to_cms, mailoutbox):
    message = mailoutbox[-1]

    assert f"request #{sent_to_cms.pk}" in message.subject
    assert f"quoting request #{sent_to_cms.pk}" in message.body


def test_cms_threaded_reply_lands_on_its_request_and_is_not_sent_to_a_local_expert(
    sent_to_cms, ingest, mailoutbox, world, client
):
    sent = len(mailoutbox)

    result = ingest(_reply("RE: your email", In_Reply_To=_copy_to_cms(sent_to_cms)))

    assert result.outcome == Outcome.HANDLED, result.inbound.detail
    reply = sent_to_cms.replies.get()
    assert reply.from_address == CMS
    assert "Alice.Agency created" in reply.body
    assert reply.attachment_names == ["confirmation.pdf"]
    assert reply.inbound == result.inbound
    assert len(mailoutbox) == sent  # nobody told to go through a local expert
    assert not InboundMessage.objects.filter(auto_replied=True).exists()
    note = AuditEvent.objects.for_object(sent_to_cms).get(kind=AuditKind.CHANGED).note
    assert CMS in note
    client.force_login(world.hannah)
    page = client.get(reverse("access_request", args=[sent_to_cms.pk])).content.decode()
    assert "Alice.Agency created" in page
    assert "confirmation.pdf" in page


def test_a_reply_is_shown_to_the_help_desk_only(sent_to_cms, ingest, world, client):
    ingest(_reply("RE: your email", In_Reply_To=_copy_to_cms(sent_to_cms)))

    client.force_login(world.pat.user)
    page = client.get(reverse("access_request", args=[sent_to_cms.pk])).content.decode()

    assert "Alice.Agency created" not in page


def test_a_fulfillers_reply_by_tag_only_lands_on_its_request(sent_to_cms, ingest):
    raw = _reply(f"Done: request #{sent_to_cms.pk}", **_aligned())

    result = ingest(raw)

    assert result.outcome == Outcome.HANDLED
    assert sent_to_cms.replies.count() == 1


def test_a_tag_from_someone_who_is_no_fulfiller_is_not_a_reply(sent_to_cms, ingest):
    """A local expert's report may mention "request #6": it is read as usual."""
    raw = email_bytes(subject=f"CCMS: about request #{sent_to_cms.pk}", headers=_aligned_pat())

    result = ingest(raw)

    assert result.outcome == Outcome.TICKET_CREATED
    assert not sent_to_cms.replies.exists()


def _aligned_pat() -> dict[str, str]:
    return {"Authentication-Results": f"{TRUSTED}; dmarc=pass header.from=example.org"}


def test_an_unproven_fulfiller_reply_is_held_for_the_help_desk(sent_to_cms, ingest, mailoutbox):
    sent = len(mailoutbox)

    result = ingest(_reply(f"Done: request #{sent_to_cms.pk}"))  # no DMARC, quotes nothing

    assert result.outcome == Outcome.QUARANTINED
    assert result.inbound.quarantine_reason == QuarantineReason.NEEDS_REVIEW
    assert "not proven" in result.inbound.detail
    assert not sent_to_cms.replies.exists()
    assert len(mailoutbox) == sent


@pytest.mark.parametrize("sender", [f"CMS Access <{CMS}>", "Hannah <hannah@example.org>"])
def test_fulfillers_and_staff_never_get_the_local_expert_reply(world, ingest, mailoutbox, sender):
    """Mail that threads to nothing and is no report of a local expert's: held, unanswered."""
    sent = len(mailoutbox)

    result = ingest(email_bytes(sender=sender, subject="Hello"))

    assert result.inbound.quarantine_reason == QuarantineReason.NOT_LOCAL_EXPERT
    assert not result.inbound.auto_replied
    assert len(mailoutbox) == sent


def test_anyone_else_unknown_still_gets_the_local_expert_reply(world, ingest, mailoutbox):
    result = ingest(email_bytes(sender="alice@example.org", subject="Hello"))

    assert result.inbound.quarantine_reason == QuarantineReason.NOT_LOCAL_EXPERT
    assert result.inbound.auto_replied


def test_the_help_desk_home_counts_submitted_requests_answered_by_email(
    sent_to_cms, ingest, world, client
):
    ingest(_reply("RE: your email", In_Reply_To=_copy_to_cms(sent_to_cms)))

    client.force_login(world.hannah)
    page = client.get(reverse("home")).content.decode()

    assert "1 submitted request answered by email, to record" in page
