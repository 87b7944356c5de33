from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access management"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate, post_save

        from access import dashboard, panels
        from access.mail import departure_handler
        from forms_4052_4055.models import SecurityForm
        from helpdesk.demo.seed import DemoSeeder, demo_seeders
        from helpdesk.directory.roles import Role
        from helpdesk.home.context_processors import NavLink, nav_links
        from helpdesk.lib.schedules import WorkerSchedule, worker_schedules
        from helpdesk.mail.handlers import MailHandler, mail_handlers

        worker_schedules.register(
            WorkerSchedule("Access sweep", "access.tasks.access_schedule", 15)
        )
        mail_handlers.register(MailHandler("departures", departure_handler))
        panels.register()
        dashboard.register()
        demo_seeders.register(DemoSeeder("access", "access.demo.seed_demo_access"))
        post_save.connect(_form_saved, sender=SecurityForm, dispatch_uid="access_form_filed")
        post_migrate.connect(_seed, sender=self, dispatch_uid="access_seed_systems")
        nav_links.register(
            NavLink(
                "Revocations",
                "revocations",
                frozenset({Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT}),
            )
        )
        nav_links.register(
            NavLink(
                "Access reviews",
                "review_campaigns",
                frozenset({Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT}),
            )
        )


def _form_saved(sender, instance, **kwargs) -> None:
    """A security form filed may let requests waiting for it go on (after the commit)."""
    from django.db import transaction

    from access.services import recheck_forms_of

    if instance.state == "filed":
        person = instance.person
        transaction.on_commit(lambda: recheck_forms_of(person))


def _seed(sender, using="default", **kwargs) -> None:
    from access.models import CredentialGroup, TargetSystem
    from access.seed_data import seed_systems

    seed_systems(CredentialGroup, TargetSystem, using)
