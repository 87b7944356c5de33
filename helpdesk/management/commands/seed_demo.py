import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.demo.directory import DemoLogin
from helpdesk.demo.seed import seed_demo


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
        report = seed_demo()
        if options["json"]:
            self.stdout.write(json.dumps([login.as_dict() for login in report.logins], indent=2))
            return
        self.stdout.write(f"Demo data ready ({report.created} records created this run).")
        self.stdout.write(f"Demo logins, all with the password {settings.DEMO_PASSWORD!r}:")
        first_of_each_role: dict[str, DemoLogin] = {}
        for login in report.logins:
            first_of_each_role.setdefault(login.role, login)
        for login in first_of_each_role.values():
            self.stdout.write(f"  {login.role:<14} {login.username:<24} {login.office}")
        self.stdout.write("All demo logins: python manage.py seed_demo --json")
