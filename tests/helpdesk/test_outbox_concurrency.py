"""The issue's test, for real: the same send task twice at once, one of them killed in the
middle of sending, and exactly one message leaves. Threads on connections of their own, each
running the task as a worker would, on PostgreSQL (``tests.concurrency``)."""

import pytest
from django.db import transaction

from helpdesk import emails
from helpdesk.lib import background
from helpdesk.models import OutboundEmail, OutboundStatus
from tests.concurrency import POSTGRESQL_ONLY, raise_unexpected, run_at_once
from tests.outgoing_mail import DIES_ONCE, DiesOnceBackend, Killed, queue

pytestmark = [pytest.mark.django_db(transaction=True), POSTGRESQL_ONLY]


@pytest.fixture(autouse=True)
def _fresh_backends():
    DiesOnceBackend.died = False


@pytest.fixture
def pending(monkeypatch) -> OutboundEmail:
    """A message queued and committed, its send task not run yet."""
    with monkeypatch.context() as patched:
        patched.setattr(background, "async_task", lambda *args, **kwargs: None)
        return queue()


def test_the_same_send_task_twice_at_once_one_killed_midway_sends_one_message(
    pending, settings, mailoutbox
):
    """Both runs wait on the row together; the first to claim it dies while sending (its
    transaction rolls back, as a killed worker's does), and the other, which waited, finds
    it pending again and sends it."""
    settings.EMAIL_BACKEND = DIES_ONCE
    outcomes = run_at_once(
        lambda: emails.deliver(pending.pk),
        lambda: emails.deliver(pending.pk),
        contend_for=OutboundEmail.objects.filter(pk=pending.pk),
    )
    raise_unexpected(outcomes, Killed)
    assert len([o for o in outcomes if isinstance(o.error, Killed)]) == 1, outcomes
    assert [o.value for o in outcomes if o.error is None] == ["sent"], outcomes
    assert len(mailoutbox) == 1
    sent = OutboundEmail.objects.get(pk=pending.pk)
    assert (sent.status, sent.attempts) == (OutboundStatus.SENT, 1)
    assert emails.deliver(pending.pk) == "nothing to send"  # and a later retry sends nothing
    assert len(mailoutbox) == 1


def test_the_same_send_task_twice_at_once_sends_one_message(pending, mailoutbox):
    outcomes = run_at_once(
        lambda: emails.deliver(pending.pk),
        lambda: emails.deliver(pending.pk),
        contend_for=OutboundEmail.objects.filter(pk=pending.pk),
    )
    raise_unexpected(outcomes)
    assert sorted(o.value for o in outcomes) == ["nothing to send", "sent"]
    assert len(mailoutbox) == 1
    assert OutboundEmail.objects.get(pk=pending.pk).attempts == 1


def test_the_same_email_queued_twice_at_once_is_one_message(pending, mailoutbox):
    """Two runs of a feature's task queue the same email, each in its own transaction: the
    second waits on the first's key, then finds it taken. (They wait on ``pending``'s row
    after queuing, so that both are inside their transactions at once.)"""

    def run_the_task():
        with transaction.atomic():
            queued = queue(key="review:7:reminder1:agency:1")
            OutboundEmail.objects.select_for_update().get(pk=pending.pk)
            return queued

    outcomes = run_at_once(
        run_the_task, run_the_task, contend_for=OutboundEmail.objects.filter(pk=pending.pk)
    )
    raise_unexpected(outcomes)
    assert sorted(o.value is None for o in outcomes) == [False, True], outcomes
    assert OutboundEmail.objects.filter(key__startswith="review:7:reminder1:").count() == 1
    assert len(mailoutbox) == 1
