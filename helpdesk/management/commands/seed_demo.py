import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.demo.directory import STATE_STAFF, DemoLogin
from helpdesk.demo.seed import seed_demo
from helpdesk.emails import sending_with
from helpdesk.lib.background import running_here

OUTBOX_BACKEND = "helpdesk.lib.outbox.OutboxEmailBackend"


class Command(BaseCommand):
    help = "Create demo agencies, offices, local experts and staff (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--json", action="store_true", help="Print the demo logins as JSON, for scripts."
        )
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even when CCAP_ENV=production (demo logins share one known password).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION and not options["allow_production"]:
            raise CommandError(
                "Refusing to create demo logins with a shared password in production."
            )
        # What the seeding queues (the history's notifications, the notices' batches, their
        # mail) runs here, before the command returns, and the mail (to demo addresses only)
        # is delivered into DEMO_OUTBOX_DIR: the outbox a new user watches starts empty, and
        # every row says truly that its message was sent (there).
        with running_here(), sending_with(OUTBOX_BACKEND, outbox_dir=settings.DEMO_OUTBOX_DIR):
            report = seed_demo()
        if options["json"]:
            self.stdout.write(json.dumps([login.as_dict() for login in report.logins], indent=2))
            return
        self.stdout.write(f"Demo data ready ({report.created} records created this run).")
        self.stdout.write(f"Demo logins, all with the password {settings.DEMO_PASSWORD!r}:")
        for login in printed_logins(report.logins):
            self.stdout.write(f"  {login.role:<14} {login.username:<24} {login.office}")
        self.stdout.write(f"The demo's own mail was delivered into {settings.DEMO_OUTBOX_DIR}/.")
        self.stdout.write("All demo logins: python manage.py seed_demo --json")


def printed_logins(logins: list[DemoLogin]) -> list[DemoLogin]:
    """The first login of each role, then every help desk, MIS and administrator login (the
    README's examples use them by name: `hd.rick` holds the help desk's demo tickets)."""
    named = {username for username, *_ in STATE_STAFF}
    chosen: dict[str, DemoLogin] = {}
    for login in logins:
        chosen.setdefault(login.role, login)
    shown = {login.username for login in chosen.values()}
    extra = [login for login in logins if login.username in named and login.username not in shown]
    roles = list(chosen)
    return sorted([*chosen.values(), *extra], key=lambda login: roles.index(login.role))
