from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class HelpdeskConfig(AppConfig):
    name = "helpdesk"
    verbose_name = "Help desk and directory"

    def ready(self) -> None:
        _register_extensions()
        # Groups and their permissions are synced after every migrate: permissions exist only
        # once all apps have migrated, so a data migration would run too early.
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="ccap_ensure_roles")
        _connect_procedures()
        _connect_leavers()
        _connect_passwords()
        _connect_saved_replies()
        _connect_retention()
        _connect_webhooks()
        _connect_staff_list()


def _register_extensions() -> None:
    """The help desk's own entries in its registries (higher apps add theirs the same way)."""
    from helpdesk.dashboards import sections
    from helpdesk.dashboards.registry import dashboard_sections
    from helpdesk.demo.seed import DemoSeeder, demo_seeders
    from helpdesk.directory import panels as directory_panels
    from helpdesk.home.panels import home_panels
    from helpdesk.lib.schedules import WorkerSchedule, worker_schedules
    from helpdesk.mail import panels as mail_panels
    from helpdesk.notices import bulk as notice_bulk
    from helpdesk.notices import panels as notice_panels
    from helpdesk.tickets import panels as ticket_panels

    for panels in (directory_panels, ticket_panels, mail_panels, notice_panels):
        home_panels.register_all(panels.PANELS)
    notice_panels.register()  # the notice's parts of the ticket page and the help desk queue
    notice_bulk.register()  # "link to a notice" among the queue's bulk actions
    dashboard_sections.register_all(sections.SECTIONS)
    worker_schedules.register(WorkerSchedule("SLA sweep", "helpdesk.tickets.tasks.sla_sweep", 5))
    # The mailbox is open 24/7: every minute, the IMAP mailbox or the drop folder.
    worker_schedules.register(WorkerSchedule("Mail intake", "helpdesk.mail.tasks.poll_mail", 1))
    # Outgoing mail whose send task was lost (a killed worker) is queued again.
    worker_schedules.register(WorkerSchedule("Outgoing mail", "helpdesk.emails.deliver_overdue", 5))
    # The worker's heartbeat, which /readyz reads (docs/operations.md).
    worker_schedules.register(
        WorkerSchedule("Worker heartbeat", "helpdesk.lib.heartbeats.beat_worker", 1)
    )
    from helpdesk.audit_export import audit_scopes
    from helpdesk.audit_scopes import SCOPES

    audit_scopes.register_all(SCOPES)
    # The audit trail's chain head, kept outside the database once a day.
    worker_schedules.register(
        WorkerSchedule("Audit chain head", "helpdesk.audit.export_todays_head", 24 * 60)
    )
    for order, name in enumerate(["tickets", "history", "mail", "notices"], start=1):
        seed = f"helpdesk.demo.{name}.seed_demo_{name}"
        demo_seeders.register(DemoSeeder(name, seed, order=order * 10))


def _after_migrate(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from helpdesk.directory.services import ensure_role_groups
    from helpdesk.lib.schedules import ensure_schedules
    from helpdesk.tickets import fulltext as schema

    ensure_role_groups(using=using)
    ensure_schedules(using=using)
    # A SQLite migration that rebuilt the ticket or message table dropped its index triggers.
    schema.ensure(connections[using])


def _connect_passwords() -> None:
    """A password reset email's link is made when the email leaves (helpdesk.passwords)."""
    from helpdesk.emails import SecretMaker, secret_makers
    from helpdesk.passwords.services import RESET_LINK_MAKER, reset_url

    secret_makers.register(SecretMaker(RESET_LINK_MAKER, reset_url))


# --- The procedures library ---------------------------------------------------------------------


def _connect_procedures() -> None:
    """Newcomers get their welcome packet (the directory's services and the admin tell the
    registered hook; fixtures and imports that bypass them send none). Also the nav links,
    panels and demo data."""
    from helpdesk.demo.seed import DemoSeeder, demo_seeders
    from helpdesk.directory.roles import Role
    from helpdesk.directory.services import NewcomerHook, newcomer_hooks
    from helpdesk.emails import SecretMaker, secret_makers
    from helpdesk.home.panels import NavLink, home_panels, nav_links
    from helpdesk.procedures import panels as procedure_panels
    from helpdesk.procedures.onboarding import LINK_MAKER, link_url, welcome

    newcomer_hooks.register(NewcomerHook("welcome packet", welcome))
    secret_makers.register(SecretMaker(LINK_MAKER, link_url))
    home_panels.register_all(procedure_panels.PANELS)
    demo_seeders.register(
        DemoSeeder("procedures", "helpdesk.demo.procedures.seed_demo_procedures", order=50)
    )
    nav_links.register(
        NavLink(_("Procedures"), "procedure_list", frozenset(Role.values), "information")
    )
    nav_links.register(
        NavLink(
            _("Acknowledgements"),
            "acknowledgement_list",
            frozenset({Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT}),
            "information",
        )
    )


# --- Leavers ------------------------------------------------------------------------------------


def _connect_leavers() -> None:
    """A deactivated login's sockets close at once; a leaver's emailed links and API tokens stop
    working."""
    from helpdesk.api.tokens import revoke_tokens_of_leaver
    from helpdesk.directory.services import LeaverHook, leaver_hooks
    from helpdesk.procedures.onboarding import revoke_links_of_leaver
    from helpdesk.tickets.live import close_sockets_of_leaver

    leaver_hooks.register(LeaverHook("close websockets", close_sockets_of_leaver))
    leaver_hooks.register(LeaverHook("revoke acknowledgement links", revoke_links_of_leaver))
    leaver_hooks.register(LeaverHook("revoke API tokens", revoke_tokens_of_leaver))


# --- The agency's staff list -------------------------------------------------------------------


def _connect_staff_list() -> None:
    """The help desk's review of staff lists in its navigation (the local experts' page is
    the access app's, which registers its own link)."""
    from helpdesk.demo.seed import DemoSeeder, demo_seeders
    from helpdesk.directory.roles import Role
    from helpdesk.home.panels import NavLink, nav_links

    # Right after the directory, before the procedures library exists: the demo's newcomer is
    # sent no welcome packet (the demo emails nobody).
    demo_seeders.register(
        DemoSeeder("staff list", "helpdesk.demo.staff.seed_demo_staff_list", order=5)
    )
    desk = frozenset({Role.HELP_DESK, Role.ADMINISTRATOR})
    nav_links.register(NavLink(_("Staff list changes"), "staff_changes", desk, "information"))
    nav_links.register(
        NavLink(_("Designation requests"), "designation_requests", desk, "information")
    )


# --- Saved replies ------------------------------------------------------------------------------


def _connect_saved_replies() -> None:
    """The saved replies page in the navigation of the roles that keep them, and demo replies
    (after the demo tickets and notices)."""
    from helpdesk.demo.seed import DemoSeeder, demo_seeders
    from helpdesk.directory.roles import Role
    from helpdesk.home.panels import NavLink, nav_links

    staff = frozenset({Role.HELP_DESK, Role.MIS})
    nav_links.register(NavLink("Saved replies", "saved_reply_list", staff))
    demo_seeders.register(
        DemoSeeder("replies", "helpdesk.demo.replies.seed_demo_replies", order=45)
    )


# --- Retention ----------------------------------------------------------------------------------


def _connect_retention() -> None:
    """The help desk's kinds of record, the start-up check of the rules, and the daily run."""
    from django.core import checks

    from helpdesk.lib.schedules import WorkerSchedule, worker_schedules
    from helpdesk.retention.checks import check_retention
    from helpdesk.retention.kinds import record_kinds
    from helpdesk.retention.records import KINDS

    record_kinds.register_all(KINDS)
    checks.register(check_retention, "ccap_retention")
    worker_schedules.register(
        WorkerSchedule("Retention", "helpdesk.retention.tasks.apply_retention_daily", 24 * 60)
    )


# --- Webhooks -----------------------------------------------------------------------------------


def _connect_webhooks() -> None:
    """Every event (``helpdesk.events``) is recorded for the subscribed webhooks; their pages in
    the administrators' navigation; lost sends queued again; a demo subscription."""
    from helpdesk.demo.seed import DemoSeeder, demo_seeders
    from helpdesk.directory.roles import Role
    from helpdesk.events import Listener, listeners
    from helpdesk.home.panels import NavLink, nav_links
    from helpdesk.lib.schedules import WorkerSchedule, worker_schedules
    from helpdesk.webhooks.services import on_event, on_events

    listeners.register(Listener("webhooks", on_event, on_events))
    nav_links.register(
        NavLink(_("Webhooks"), "webhook_list", frozenset({Role.ADMINISTRATOR}), "information")
    )
    worker_schedules.register(
        WorkerSchedule("Webhooks", "helpdesk.webhooks.tasks.deliver_overdue", 5)
    )
    demo_seeders.register(DemoSeeder("webhooks", "helpdesk.webhooks.demo.seed_demo_webhooks", 90))
