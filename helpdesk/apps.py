from django.apps import AppConfig
from django.db.models.signals import post_migrate


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk and directory"

    def ready(self) -> None:
        from helpdesk import home_panels, notice_panels, ticket_panels  # noqa: F401  (panels)
        from helpdesk.auth import ldap_roles  # noqa: F401  (connects the LDAP login receiver)

        # Groups and their permissions are synced after every migrate: permissions exist only
        # once all apps have migrated, so a data migration would run too early.
        post_migrate.connect(_ensure_roles, sender=self, dispatch_uid="ccap_ensure_roles")


def _ensure_roles(sender, using="default", **kwargs) -> None:
    from helpdesk.services.roles import ensure_role_groups
    from helpdesk.services.schedules import ensure_schedules

    ensure_role_groups(using=using)
    ensure_schedules(using=using)
