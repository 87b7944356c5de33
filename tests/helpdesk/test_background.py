"""Queueing after commit without django-q2's ORM broker closing the database connection."""

import pytest
from django import db
from django.db import transaction
from django_q import tasks
from django_q.brokers.orm import ORM
from django_q.conf import Conf
from django_q.models import OrmQ
from django_q.tasks import async_task

from helpdesk.lib import background


@pytest.fixture
def broker_closes(monkeypatch):
    """Queue to the real ORM broker (not the tests' inline mode, and even where REDIS_URL makes
    Redis the broker), counting the broker's ``close_old_connections`` calls: each one drops
    the connection when CONN_MAX_AGE is 0."""
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(tasks, "get_broker", lambda *args, **kwargs: ORM(list_key="ccap-test"))
    calls = []
    monkeypatch.setattr(db, "close_old_connections", lambda **kw: calls.append(1))
    return calls


@pytest.mark.django_db(transaction=True)
def test_enqueue_after_commit_keeps_the_connection(broker_closes):
    with transaction.atomic():
        background.enqueue_on_commit("math.floor", 1.5)
        assert OrmQ.objects.count() == 0  # not before the commit
    assert OrmQ.objects.count() == 1
    assert broker_closes == []


@pytest.mark.django_db(transaction=True)
def test_the_plain_call_would_close_it(broker_closes):
    # Why the helper exists: in autocommit mode django-q2 closes old connections first.
    async_task("math.floor", 1.5)
    assert broker_closes, "django-q2 no longer closes connections before enqueueing"


@pytest.mark.django_db(transaction=True)
def test_nothing_is_queued_when_the_transaction_rolls_back(broker_closes):
    def decide_then_fail():
        with transaction.atomic():
            background.enqueue_on_commit("math.floor", 1.5)
            raise RuntimeError

    with pytest.raises(RuntimeError):
        decide_then_fail()
    assert OrmQ.objects.count() == 0
