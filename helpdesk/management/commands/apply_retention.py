"""Apply the retention rules (``settings.RETENTION``, docs/retention.md): purge each kind's due
rows in batches and anonymise the people no record names any more. Prints, per kind, how many
rows would be (``--dry-run``) or were purged or anonymised, and how many a legal hold kept. A
dry run writes nothing."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.actor import Actor
from helpdesk.retention.kinds import PEOPLE, record_kinds
from helpdesk.retention.services import apply_retention


class Command(BaseCommand):
    help = "Purge records older than their retention rule, and anonymise people who left."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="print what would be done; write nothing"
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=None,
            help="rows per transaction (default: RETENTION_BATCH_SIZE)",
        )
        parser.add_argument(
            "--kind",
            action="append",
            default=None,
            help="only this kind of record (repeatable): "
            + ", ".join([*record_kinds.keys(), PEOPLE]),
        )

    def handle(
        self,
        *args: Any,
        dry_run: bool,
        batch_size: int | None,
        kind: list[str] | None,
        **options: Any,
    ) -> None:
        size = settings.RETENTION_BATCH_SIZE if batch_size is None else batch_size
        if size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            reports = apply_retention(
                by=Actor.system("manage.py apply_retention"),
                dry_run=dry_run,
                batch_size=size,
                kinds=kind,
            )
        except ValueError as error:
            raise CommandError(str(error)) from None
        mode = "DRY RUN, nothing written" if dry_run else "applied"
        self.stdout.write(f"Retention ({mode}):")
        for report in reports:
            count = report.due if dry_run else report.done
            verb = f"would be {report.verb}" if dry_run else report.verb
            batches = "" if dry_run else f" in {report.batches} batches"
            self.stdout.write(
                f"  {report.key}: {count} {verb}{batches}, {report.kept_by_hold} kept by a hold"
            )
