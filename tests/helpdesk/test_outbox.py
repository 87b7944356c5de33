"""Outgoing mail: one path (``helpdesk.emails``) records each message before it leaves, sends
it once after the commit, retries what the mail server refused with a growing delay, and keeps
what it never could send. And the embedded backend: one readable .eml file per message."""

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.mail import EmailMessage
from django_q.models import Schedule
from django_q.scheduler import scheduler

from helpdesk import emails
from helpdesk.lib.outbox import OutboxEmailBackend
from helpdesk.models import OutboundEmail, OutboundStatus
from tests.outgoing_mail import (
    DIES_ONCE,
    KEY,
    REFUSING,
    DiesOnceBackend,
    Killed,
    assert_ours,
    queue,
)

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_backends():
    DiesOnceBackend.died = False


def row(outbound: OutboundEmail) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=outbound.pk)


# --- Composing and sending ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_message_is_recorded_then_sent_after_the_commit(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.DEFAULT_FROM_EMAIL = "CCAP Help Desk <ccap-helpdesk@ccap.example.org>"
    with django_capture_on_commit_callbacks(execute=True):
        outbound = queue(to=("pat@example.org", "Pat@Example.org", "alex@example.org"))
        assert mailoutbox == []  # recorded, not sent, before the commit
        assert row(outbound).status == OutboundStatus.PENDING
    # One copy per address (each address once), each under a Message-ID of its own.
    assert [m.to for m in mailoutbox] == [["pat@example.org"], ["alex@example.org"]]
    assert len({m.extra_headers["Message-ID"] for m in mailoutbox}) == 2
    message = mailoutbox[0]
    assert_ours(mailoutbox[1])
    assert message.subject == 'access review "Review 2026": 3 accounts to confirm by March 31'
    assert "lists 3 accounts" in message.body
    assert_ours(message)  # its Message-ID on our domain, ccap.example.org
    assert message.from_email == settings.DEFAULT_FROM_EMAIL
    sent = row(outbound)
    assert sent.sent_at is not None
    assert (sent.subject, sent.body) == (message.subject, message.body)


@pytest.mark.django_db
def test_threading_auto_reply_and_extra_headers(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue(
            in_reply_to="<question@example.org>",
            auto_reply_to="Pat@Example.org",
            headers={"X-CCAP-Notice": "12"},
            subject_prefix="[Notice 12]",
        )
    [message] = mailoutbox
    assert_ours(message, auto_replied=True, in_reply_to="<question@example.org>")
    assert message.message()["X-CCAP-Notice"] == "12"
    assert message.subject.startswith("[Notice 12] access review")
    assert OutboundEmail.objects.get().auto_reply_to == "pat@example.org"  # the sender's count


@pytest.mark.django_db
def test_the_same_email_queued_twice_is_one_message(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue()
        assert queue() is None  # a retried task, a retried batch
        assert queue(to=("PAT@example.org",)) is None  # the same recipient
    assert len(mailoutbox) == 1
    assert OutboundEmail.objects.get().key == first.key
    assert first.key.startswith(f"{KEY}:")


@pytest.mark.django_db
def test_another_event_or_recipient_is_another_message(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue()
        queue(key="review:7:reminder1:agency:1")
        queue(to=("alex@example.org",))
    assert len(mailoutbox) == 3
    assert len(set(OutboundEmail.objects.values_list("key", flat=True))) == 3


@pytest.mark.django_db
def test_no_address_no_message(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert queue(to=("",)) is None
    assert mailoutbox == []
    assert not OutboundEmail.objects.exists()


@pytest.mark.django_db
def test_attachments_are_read_from_storage_when_the_message_leaves(mailoutbox):
    name = default_storage.save("forms/blank/SF-2026-00001.pdf", ContentFile(b"%PDF-1.4 form"))
    pdf = emails.Attachment("SF-2026-00001.pdf", name, "application/pdf")
    assert emails.deliver(queue(attachments=[pdf]).pk) == "sent"
    [message] = mailoutbox
    assert message.attachments == [("SF-2026-00001.pdf", b"%PDF-1.4 form", "application/pdf")]


# --- At most once -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_send_task_run_again_after_it_sent_sends_nothing(mailoutbox):
    outbound = queue()
    assert emails.deliver(outbound.pk) == "sent"
    assert emails.deliver(outbound.pk) == "nothing to send"  # retried: the row says sent
    assert len(mailoutbox) == 1
    assert row(outbound).attempts == 1


@pytest.mark.django_db
def test_a_send_task_killed_before_the_message_left_is_sent_once_by_the_retry(settings, mailoutbox):
    settings.EMAIL_BACKEND = DIES_ONCE
    outbound = queue()
    with pytest.raises(Killed):
        emails.deliver(outbound.pk)  # claimed the row, died while sending
    assert mailoutbox == []
    assert (row(outbound).status, row(outbound).attempts) == (OutboundStatus.PENDING, 0)
    assert emails.deliver(outbound.pk) == "sent"  # django-q2 runs the task again
    assert emails.deliver(outbound.pk) == "nothing to send"
    assert len(mailoutbox) == 1
    assert (row(outbound).status, row(outbound).attempts) == (OutboundStatus.SENT, 1)


# --- Retries ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_refused_message_is_retried_with_backoff_then_failed_and_kept(settings, mailoutbox):
    settings.EMAIL_BACKEND = REFUSING
    settings.EMAIL_RETRY_DELAYS = [60, 300]
    outbound = queue()
    for attempt, delay in enumerate(settings.EMAIL_RETRY_DELAYS, start=1):
        now = T0 + timedelta(hours=attempt)
        with time_machine.travel(now, tick=False):
            assert emails.deliver(outbound.pk) == OutboundStatus.PENDING
        failed = row(outbound)
        assert failed.attempts == attempt
        assert failed.last_error == "SMTPServerDisconnected: Connection unexpectedly closed"
        assert failed.next_attempt_at == now + timedelta(seconds=delay)
        retry = Schedule.objects.get(next_run=failed.next_attempt_at)
        assert (retry.func, retry.args, retry.schedule_type) == (
            "helpdesk.emails.deliver",
            f"({outbound.pk},)",
            Schedule.ONCE,
        )
    assert emails.deliver(outbound.pk) == OutboundStatus.FAILED  # the last attempt
    kept = row(outbound)
    assert (kept.status, kept.attempts, kept.next_attempt_at) == (OutboundStatus.FAILED, 3, None)
    assert Schedule.objects.filter(func=emails.DELIVER).count() == 2  # no retry after the last
    assert "lists 3 accounts" in kept.body  # the message is kept, never lost
    assert emails.deliver(outbound.pk) == "nothing to send"
    assert mailoutbox == []


@pytest.mark.django_db
def test_the_retry_is_run_by_the_django_q2_scheduler_when_due(settings, mailoutbox):
    settings.EMAIL_BACKEND = REFUSING
    settings.EMAIL_RETRY_DELAYS = [60]
    outbound = queue()
    with time_machine.travel(T0, tick=False):
        emails.deliver(outbound.pk)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the server is back
    with time_machine.travel(T0 + timedelta(seconds=59), tick=False):
        scheduler()  # the cluster's scheduler pass: not due yet
    assert mailoutbox == []
    with time_machine.travel(T0 + timedelta(seconds=61), tick=False):
        scheduler()
    assert len(mailoutbox) == 1
    assert (row(outbound).status, row(outbound).attempts) == (OutboundStatus.SENT, 2)
    assert not Schedule.objects.filter(func=emails.DELIVER).exists()  # a one-off: deleted once run


@pytest.mark.django_db
def test_a_message_whose_send_task_was_lost_is_queued_again_by_the_sweep(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.EMAIL_STALE_AFTER_SECONDS = 900
    with time_machine.travel(T0, tick=False):
        lost = queue()  # its task never ran (a killed worker, the Redis broker)
        sent = queue(key="review:7:reminder1:agency:1")
        emails.deliver(sent.pk)
    with time_machine.travel(T0 + timedelta(seconds=899), tick=False):
        assert emails.deliver_overdue() == 0  # its task may still be on its way
    with (
        time_machine.travel(T0 + timedelta(seconds=901), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        assert emails.deliver_overdue() == 1
        assert emails.deliver_overdue() == 0  # queued once, not once per pass
    assert len(mailoutbox) == 2
    assert (row(lost).status, row(lost).attempts) == (OutboundStatus.SENT, 1)


def test_each_message_becomes_one_eml_file(tmp_path):
    backend = OutboxEmailBackend(outbox_dir=tmp_path / "outbox")
    messages = [
        EmailMessage(
            "Acknowledgement [CCAP-2026-000001]", "Body ü", "hd@example.org", ["a@example.org"]
        ),
        EmailMessage("Second", "Body 2", "hd@example.org", ["b@example.org"]),
    ]
    assert backend.send_messages(messages) == 2
    files = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(files) == 2
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    subjects = {m["Subject"] for m in parsed}
    assert subjects == {"Acknowledgement [CCAP-2026-000001]", "Second"}
    body = next(m for m in parsed if m["To"] == "a@example.org").get_content()
    assert body.strip() == "Body ü"
    assert not list((tmp_path / "outbox").glob("*.part"))
