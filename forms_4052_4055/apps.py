from django.apps import AppConfig


class SecurityFormsConfig(AppConfig):
    name = "forms_4052_4055"
    verbose_name = "Security forms"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(_seed, sender=self, dispatch_uid="forms_seed_form_types")
        from forms_4052_4055 import dashboard, panels
        from forms_4052_4055.demo import seed_demo_forms
        from forms_4052_4055.mail import signed_form_handler
        from helpdesk.demo.directory import register_seeder
        from helpdesk.directory.roles import Role
        from helpdesk.home.context_processors import register_link
        from helpdesk.lib import schedules
        from helpdesk.mail import handlers

        handlers.register("security forms", signed_form_handler)
        schedules.register("Security forms sweep", "forms_4052_4055.tasks.forms_schedule", 60)
        register_seeder("security forms", seed_demo_forms)
        panels.register()
        dashboard.register()
        register_link(
            "Security forms",
            "forms_tracking",
            {Role.LOCAL_EXPERT, Role.HELP_DESK, Role.ADMINISTRATOR},
        )


def _seed(sender, using="default", **kwargs) -> None:
    from forms_4052_4055.models import FormType
    from forms_4052_4055.seed_data import seed_form_types

    seed_form_types(FormType, using)
