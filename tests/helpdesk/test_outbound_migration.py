"""Migrations 0011 and 0012: the emails recorded before the outgoing-mail path each get a key of
their own, so that the key can be unique, and a status from what the row says."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from helpdesk.models import OutboundEmail, OutboundStatus

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("helpdesk", "0010_notice_state")]


def _latest():
    """Every app at its newest migration: the tests after this one need the whole schema."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_old_rows_get_a_key_of_their_own_and_a_status():
    old = _migrate(BEFORE).get_model("helpdesk", "OutboundEmail")

    def recorded(key: str, sent: bool):
        pk = old.objects.count() + 1
        return old.objects.create(
            kind="notice_published",
            key=key,
            message_id=f"<{pk}@localhost>",
            recipients=["pat@example.org"],
            subject="Outage: CCMS does not load",
            sent_at=timezone.now() if sent else None,
        ).pk

    # A batch that crashed before marking its email, then retried: two rows, one key.
    crashed = recorded("notice:1:update:1:abc", sent=False)
    retried = recorded("notice:1:update:1:abc", sent=True)
    ticket_email = recorded("", sent=True)  # ticket emails had no key

    _migrate(_latest())  # through 0011 and 0012, and whatever came after

    rows = {row.pk: row for row in OutboundEmail.objects.all()}
    assert (rows[retried].key, rows[retried].status) == ("notice:1:update:1:abc", "sent")
    assert rows[retried].attempts == 1
    assert rows[crashed].key == f"notice:1:update:1:abc:duplicate:{crashed}"
    assert rows[crashed].status == OutboundStatus.FAILED
    assert "not sent" in rows[crashed].last_error
    assert (rows[ticket_email].key, rows[ticket_email].status) == (f"legacy:{ticket_email}", "sent")
