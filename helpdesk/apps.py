from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk and directory"

    def ready(self) -> None:
        from helpdesk.auth import ldap_roles  # noqa: F401  (connects the LDAP login receiver)
        from helpdesk.dashboards import sections
        from helpdesk.directory import panels as home_panels  # noqa: F401  (registers panels)
        from helpdesk.notices import panels as notice_panels  # noqa: F401  (registers panels)
        from helpdesk.tickets import panels as ticket_panels  # noqa: F401  (registers panels)

        sections.register()

        # Groups and their permissions are synced after every migrate: permissions exist only
        # once all apps have migrated, so a data migration would run too early.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="ccap_ensure_roles")
        _connect_procedures()


def _ensure_roles(sender, using="default", **kwargs) -> None:
    from helpdesk.directory.services import ensure_role_groups
    from helpdesk.lib.schedules import ensure_schedules

    ensure_role_groups(using=using)
    ensure_schedules(using=using)


# --- The procedures library ---------------------------------------------------------------------


def _connect_procedures() -> None:
    """Newcomers get their welcome packet however they were added (a page, the admin, an
    import); fixtures (raw saves) never send one. Also the nav link, panels and demo data."""
    from django.db.models.signals import post_save

    from helpdesk.demo.directory import register_seeder
    from helpdesk.demo.procedures import seed_demo_procedures
    from helpdesk.directory.roles import Role
    from helpdesk.home.context_processors import register_link
    from helpdesk.models import LocalExpertDesignation, Person
    from helpdesk.procedures import panels as procedure_panels

    for model in (Person, LocalExpertDesignation):
        post_save.connect(
            _welcome_newcomer, sender=model, dispatch_uid=f"ccap_welcome_{model.__name__}"
        )
    procedure_panels.register()
    register_seeder("procedures", seed_demo_procedures)
    register_link("Procedures", "procedure_list", set(Role.values))
    register_link(
        "Acknowledgements",
        "acknowledgement_list",
        {Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT},
    )


def _welcome_newcomer(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        from helpdesk.procedures.onboarding import welcome

        welcome(instance)
