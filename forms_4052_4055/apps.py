from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityFormsConfig(AppConfig):
    name = "forms_4052_4055"
    verbose_name = "Security forms"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed, sender=self, dispatch_uid="forms_seed_form_types")
        from forms_4052_4055 import dashboard, panels
        from forms_4052_4055.mail import signed_form_handler
        from helpdesk.dashboards.registry import dashboard_sections
        from helpdesk.demo.seed import DemoSeeder, demo_seeders
        from helpdesk.directory.roles import Role
        from helpdesk.home.panels import NavLink, home_panels, nav_links
        from helpdesk.lib.schedules import WorkerSchedule, worker_schedules
        from helpdesk.mail.handlers import MailHandler, mail_handlers

        mail_handlers.register(MailHandler("security forms", signed_form_handler))
        from django.db.models import Q

        from forms_4052_4055.models import SecurityForm
        from helpdesk.audit_export import AuditScope, audit_scopes

        audit_scopes.register(
            AuditScope(
                SecurityForm,
                agency=lambda agency: Q(person__office__agency=agency),
                person=lambda person: Q(person=person),
            )
        )
        worker_schedules.register(
            WorkerSchedule("Security forms sweep", "forms_4052_4055.tasks.forms_schedule", 60)
        )
        from forms_4052_4055.retention import SECURITY_FORMS
        from helpdesk.retention.kinds import record_kinds

        record_kinds.register(SECURITY_FORMS)
        demo_seeders.register(DemoSeeder("security forms", "forms_4052_4055.demo.seed_demo_forms"))
        home_panels.register_all(panels.PANELS)
        dashboard_sections.register_all(dashboard.SECTIONS)
        nav_links.register(
            NavLink(
                _("Security forms"),
                "forms_tracking",
                frozenset({Role.LOCAL_EXPERT, Role.HELP_DESK, Role.ADMINISTRATOR}),
                "access",
            )
        )


def _seed(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from forms_4052_4055.models import FormType
    from forms_4052_4055.seed_data import seed_form_types

    seed_form_types(FormType, using)
