"""The worker's schedules exist after migrate, and re-running migrate does not duplicate them."""

import pytest
from django_q.models import Schedule

from helpdesk.lib.schedules import ensure_schedules

pytestmark = pytest.mark.django_db


def test_the_sla_sweep_is_scheduled_every_five_minutes_once():
    ensure_schedules()
    ensure_schedules()
    schedule = Schedule.objects.get(name="SLA sweep")
    assert schedule.func == "helpdesk.tickets.tasks.sla_sweep"
    assert schedule.schedule_type == Schedule.MINUTES
    assert schedule.minutes == 5
    assert Schedule.objects.filter(name="SLA sweep").count() == 1


def test_the_scheduled_task_runs(world):
    from helpdesk.tickets.tasks import sla_sweep

    assert sla_sweep() == {"auto_closed": 0}
