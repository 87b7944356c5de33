"""Write an agency's quarterly reports for a monitor, beside ``export_audit``'s files:
``agency-<code>-<quarter>-access-reviews.<csv|jsonl>`` and ``...-departures.<csv|jsonl>``,
the same rows as the pages' CSV downloads (``access.agency_reports.selectors``)."""

import csv
import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from access.agency_reports import periods, selectors
from helpdesk.lib.csv_export import safe_cell
from helpdesk.models import Agency


class Command(BaseCommand):
    help = "Write an agency's quarterly access-review and departure reports (CSV or JSON Lines)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=["quarterly"], help="which reports")
        parser.add_argument("--agency", required=True, help="the agency's code")
        parser.add_argument("--quarter", required=True, help="e.g. 2026Q4")
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")
        parser.add_argument("--out", type=Path, required=True, help="folder to write into")

    def handle(self, *args: Any, **options: Any) -> None:
        agency = Agency.objects.filter(code__iexact=options["agency"].strip()).first()
        if agency is None:
            raise CommandError(f"No agency with the code {options['agency']!r}.")
        try:
            quarter = periods.parse_quarter(options["quarter"])
        except ValueError as error:
            raise CommandError(str(error)) from None
        scope = selectors.ReportScope(agency)  # the system's: every record of the agency
        tables = {
            "access-reviews": (
                selectors.REVIEWS_HEADER,
                selectors.review_rows(selectors.review_report(scope, quarter)),
            ),
            "departures": (
                selectors.DEPARTURES_HEADER,
                selectors.departure_rows(selectors.departures(scope, quarter)),
            ),
        }
        out: Path = options["out"]
        out.mkdir(parents=True, exist_ok=True)
        for name, (header, rows) in tables.items():
            path = out / f"agency-{agency.code}-{quarter.slug}-{name}.{options['format']}"
            _write(path, options["format"], header, rows)
            self.stdout.write(f"{path} ({len(rows)} rows)")


def _write(path: Path, form: str, header: tuple[str, ...], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        if form == "csv":
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        else:
            for row in rows:
                handle.write(json.dumps(dict(zip(header, row, strict=True))) + "\n")
