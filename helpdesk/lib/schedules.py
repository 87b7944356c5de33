"""The django-q2 schedules the worker runs; created or corrected after every migrate.
Higher apps add theirs with ``register`` from ``AppConfig.ready`` (DESIGN.md layering)."""

from django_q.models import Schedule

SCHEDULES = {
    # name: (task, every N minutes)
    "SLA sweep": ("helpdesk.tickets.tasks.sla_sweep", 5),
    # The mailbox is open 24/7: every minute, the IMAP mailbox or the drop folder.
    "Mail intake": ("helpdesk.mail.tasks.poll_mail", 1),
}


def register(name: str, func: str, minutes: int) -> None:
    SCHEDULES[name] = (func, minutes)


def ensure_schedules(using: str = "default") -> None:
    for name, (func, minutes) in SCHEDULES.items():
        Schedule.objects.using(using).update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
