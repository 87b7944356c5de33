"""A small, deliberate set of tickets, hand-counted, for the dashboard tests.

Now is Wednesday 18 November 2026, 15:00 Central. The default range is Monday 31 August to
today. Business days going back: Nov 18, 17, 16, 13, 12, 10 (Veterans' Day, Nov 11, is a
holiday), 9, 6, 5, 4, 2 (Election Day, Nov 3, is a holiday), Oct 30. So the age buckets start
at: 0-1 from Nov 17, 2-5 from Nov 10, 6-10 from Nov 2, 11+ before Nov 2.

| ticket | agency | system | state | opened | other |
| T1 | north | CCTS | submitted | Nov 17 10:00 | response due Nov 17 12:00: overdue |
| T2 | north | CCMS | in progress | Nov 12 09:00 | resolution due Dec 1 |
| T3 | north | CCTS | escalated to MIS | Oct 20 | at MIS since Nov 9; update due Nov 16: overdue |
| T4 | north | InfoView | awaiting info (from MIS) | Nov 3 | at MIS since Nov 17; paused |
| T5 | north | CCTS | awaiting info (help desk) | Aug 31 09:00 | |
| T6 | north | CCTS | resolved | Nov 2 | resolved Nov 4, targets met |
| T7 | north | CCMS | closed | Oct 5 | resolved Oct 7, response target missed |
| T8 | north | CCTS | closed | Sep 14 | via MIS (Sep 15), resolved Sep 25, met |
| T9 | north | CCMS | closed | Sep 1 | via MIS (Sep 2), update missed, resolved Sep 10 |
| T10 | north | Other | rejected | Sun Nov 15 23:30 (Nov 16 in UTC) | |
| T11 | north | CCTS | closed | Sun Aug 30 23:30 (Aug 31 in UTC) | outside the range |
| T12 | south | CCTS | in progress | Nov 16 10:00 | the other agency |
| T13 | north | CCTS | with the local expert | Nov 17 | never reached the help desk |
| T14 | north | CCMS | resolved locally | Nov 10 | never reached the help desk |
"""

from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
import time_machine

from escalation.workflow import TicketState as S
from helpdesk.models import System, Ticket

CHICAGO = ZoneInfo("America/Chicago")
NOW = datetime(2026, 11, 18, 15, 0, tzinfo=CHICAGO)


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=CHICAGO)


def make_ticket(office, state: str, opened: datetime, system: str = System.CCTS, **fields):
    """A ticket as the workflow would have left it, written directly (the figures read fields,
    not events)."""
    reached_help_desk = state not in (S.WITH_LOCAL_EXPERT, S.RESOLVED_LOCALLY)
    values = {
        "office": office,
        "summary": f"{state} opened {opened:%b %d}",
        "description": "A problem.",
        "system": system,
        "state": state,
        "created_at": opened,
        "submitted_at": opened if reached_help_desk else None,
    }
    return Ticket.objects.create(**(values | fields))


@pytest.fixture
def frozen_now():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.fixture
def tickets(world, frozen_now):
    north, south = world.office, world.other_office
    t = SimpleNamespace()
    t.t1 = make_ticket(
        north, S.SUBMITTED, at(11, 17), response_due_at=at(11, 17, 12), resolution_due_at=at(12, 1)
    )
    t.t2 = make_ticket(
        north, S.IN_PROGRESS, at(11, 12, 9), System.CCMS, resolution_due_at=at(12, 1)
    )
    t.t3 = make_ticket(
        north,
        S.ESCALATED_TO_MIS,
        at(10, 20),
        mis_escalated_at=at(11, 9),
        mis_update_due_at=at(11, 16),
        resolution_due_at=at(12, 10),
    )
    t.t4 = make_ticket(
        north,
        S.AWAITING_INFO,
        at(11, 3),
        System.INFOVIEW,
        state_before_pause=S.ESCALATED_TO_MIS,
        mis_escalated_at=at(11, 17, 9),
        mis_update_due_at=at(11, 17, 12),
        sla_paused_at=at(11, 17, 11),
    )
    t.t5 = make_ticket(north, S.AWAITING_INFO, at(8, 31, 9), state_before_pause=S.IN_PROGRESS)
    t.t6 = make_ticket(north, S.RESOLVED, at(11, 2), resolved_at=at(11, 4))
    t.t7 = make_ticket(
        north,
        S.CLOSED,
        at(10, 5),
        System.CCMS,
        resolved_at=at(10, 7),
        closed_at=at(10, 14),
        response_breached_at=at(10, 5, 14),
    )
    t.t8 = make_ticket(
        north,
        S.CLOSED,
        at(9, 14),
        mis_escalated_at=at(9, 15),
        resolved_at=at(9, 25),
        closed_at=at(10, 2),
    )
    t.t9 = make_ticket(
        north,
        S.CLOSED,
        at(9, 1),
        System.CCMS,
        mis_escalated_at=at(9, 2),
        mis_update_breached_at=at(9, 4),
        resolved_at=at(9, 10),
        closed_at=at(9, 17),
    )
    t.t10 = make_ticket(north, S.REJECTED, at(11, 15, 23, 30), System.OTHER, closed_at=at(11, 16))
    t.t11 = make_ticket(
        north,
        S.CLOSED,
        at(8, 30, 23, 30),
        resolved_at=at(8, 30, 23, 45),
        closed_at=at(8, 30, 23, 50),
    )
    t.t12 = make_ticket(south, S.IN_PROGRESS, at(11, 16), resolution_due_at=at(12, 1))
    t.t13 = make_ticket(north, S.WITH_LOCAL_EXPERT, at(11, 17))
    t.t14 = make_ticket(
        north, S.RESOLVED_LOCALLY, at(11, 10), System.CCMS, closed_at=at(11, 10, 12)
    )
    return t
