"""How many SQL statements the intake spends on a message (issue 15: a new report in few
statements, none per part). Counted without the savepoints nested services open, which cost no
row. The budget is today's count: a change that adds a statement per message shows here."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from helpdesk.mail import intake
from helpdesk.models import Outcome
from tests.helpdesk.mail.messages import email_bytes

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 200
# store 1; claim, duplicate check 2; sender, designations, roles, daily reply count 4; ticket,
# its first event, tracking number, SLA policy, closures, transition, timeline 7; the audit row
# with its link in the hash chain (take the head, the row, move the head) 3; open notices for
# the acknowledgement 1; attachments 1; email event 1; inbound saved 1; the webhook
# subscriptions read for each of the two events (ticket created, state changed) 2.
NEW_REPORT_BUDGET = 23


def _data_statements(raw: bytes) -> tuple[list[str], intake.IntakeResult]:
    with CaptureQueriesContext(connection) as captured:
        result = intake.ingest(raw, source="pipe")
    statements = [q["sql"] for q in captured.captured_queries]
    return [sql for sql in statements if "SAVEPOINT" not in sql.split(" ", 2)[:2]], result


def _warm_up() -> None:
    """The first report of a year creates the year's tracking sequence row: not every one."""
    intake.ingest(email_bytes(message_id="<warm-up@example.org>"), source="pipe")


def test_a_new_report_costs_a_fixed_number_of_statements(world):
    _warm_up()

    statements, result = _data_statements(email_bytes(message_id="<plain@example.org>"))

    assert result.outcome == Outcome.TICKET_CREATED
    assert len(statements) <= NEW_REPORT_BUDGET - 1, "\n".join(statements)  # no attachment


def test_attachments_cost_one_statement_however_many_there_are(world):
    _warm_up()
    one = [("shot-0.png", "image/png", PNG)]
    five = [(f"shot-{n}.png", "image/png", PNG) for n in range(5)]

    with_one, first = _data_statements(email_bytes(message_id="<one@example.org>", attachments=one))
    with_five, second = _data_statements(
        email_bytes(message_id="<five@example.org>", attachments=five)
    )

    assert (first.ticket.attachments.count(), second.ticket.attachments.count()) == (1, 5)
    assert len(with_one) == len(with_five) <= NEW_REPORT_BUDGET, "\n".join(with_five)


def test_a_redelivered_copy_reads_and_writes_only_the_inbound_table(world):
    raw = email_bytes(message_id="<again@example.org>")
    intake.ingest(raw, source="pipe")

    statements, result = _data_statements(raw)

    assert result.outcome == Outcome.DUPLICATE
    # store, claim, the earlier copies, save: nothing about people or tickets.
    assert len(statements) == 4, "\n".join(statements)
    assert all("helpdesk_inboundmessage" in sql for sql in statements)
