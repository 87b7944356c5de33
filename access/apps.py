from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access management"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from access import dashboard, panels
        from access.mail import departure_handler, fulfiller_reply_handler
        from access.services import is_fulfiller_address, recheck_forms_of
        from forms_4052_4055.services import FormFiledHook, form_filed_hooks
        from helpdesk.dashboards.registry import dashboard_sections
        from helpdesk.demo.seed import DemoSeeder, demo_seeders
        from helpdesk.directory.roles import Role
        from helpdesk.home.panels import NavLink, home_panels, nav_links
        from helpdesk.lib.schedules import WorkerSchedule, worker_schedules
        from helpdesk.mail.handlers import (
            KnownCorrespondent,
            MailHandler,
            known_correspondents,
            mail_handlers,
        )

        worker_schedules.register(
            WorkerSchedule("Access sweep", "access.tasks.access_schedule", 15)
        )
        # Hourly: on the month's first business day the first run mails the monthly reports,
        # the later ones find them sent (their send key).
        worker_schedules.register(
            WorkerSchedule(
                "Monthly agency reports", "access.agency_reports.tasks.monthly_reports", 60
            )
        )
        from access.audit_scopes import SCOPES
        from helpdesk.audit_export import audit_scopes

        audit_scopes.register_all(SCOPES)
        from access.retention import KINDS as RETENTION_KINDS
        from helpdesk.retention.kinds import record_kinds

        record_kinds.register_all(RETENTION_KINDS)
        mail_handlers.register(MailHandler("fulfiller replies", fulfiller_reply_handler))
        mail_handlers.register(MailHandler("departures", departure_handler))
        known_correspondents.register(KnownCorrespondent("fulfillers", is_fulfiller_address))
        home_panels.register_all(panels.PANELS)
        dashboard_sections.register_all(dashboard.SECTIONS)
        demo_seeders.register(DemoSeeder("access", "access.demo.seed_demo_access"))
        form_filed_hooks.register(FormFiledHook("access requests", recheck_forms_of))
        post_migrate.connect(_seed, sender=self, dispatch_uid="access_seed_systems")
        nav_links.register(
            NavLink(
                _("Revocations"),
                "revocations",
                frozenset({Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT}),
                "access",
            )
        )
        nav_links.register(
            NavLink(_("My office's staff"), "staff_list", frozenset({Role.LOCAL_EXPERT}), "access")
        )
        nav_links.register(
            NavLink(
                _("Access reviews"),
                "review_campaigns",
                frozenset({Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT}),
                "access",
            )
        )
        nav_links.register(
            NavLink(
                _("Agency reports"),
                "agency_reports",
                frozenset({Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT}),
                "access",
            )
        )


def _seed(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from access.models import CredentialGroup, TargetSystem
    from access.seed_data import seed_systems

    seed_systems(CredentialGroup, TargetSystem, using)
