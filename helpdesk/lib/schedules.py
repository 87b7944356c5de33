"""The django-q2 schedules the worker runs, created or corrected after every migrate. Each app
registers its own from ``AppConfig.ready`` (DESIGN.md, layering)."""

from dataclasses import dataclass

from django_q.models import Schedule

from helpdesk.registry import Registry


@dataclass(frozen=True)
class WorkerSchedule:
    name: str
    func: str  # the task's dotted path
    minutes: int  # runs every this many minutes


worker_schedules: Registry[WorkerSchedule] = Registry("worker schedules", key=lambda s: s.name)


def ensure_schedules(using: str = "default") -> None:
    for schedule in worker_schedules:
        Schedule.objects.using(using).update_or_create(
            name=schedule.name,
            defaults={
                "func": schedule.func,
                "schedule_type": Schedule.MINUTES,
                "minutes": schedule.minutes,
                "repeats": -1,
            },
        )
