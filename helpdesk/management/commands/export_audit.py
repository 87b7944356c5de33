"""Export the audit trail for a monitor (``helpdesk.audit_export``): ``audit.csv``,
``audit.jsonl`` and ``manifest.json`` (row counts, the chain's head and whether it verified,
the SHA-256 of each file) into a folder."""

from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.actor import Actor
from helpdesk.audit_export import ExportFilter, export
from helpdesk.models import Agency, Person


class Command(BaseCommand):
    help = "Export audit rows (filtered by agency, person, system, dates) with a manifest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="folder to write into")
        parser.add_argument("--agency", default="", help="the agency's code")
        parser.add_argument("--person", default="", help="a person's email address")
        parser.add_argument("--system", default="", help="a target system's code, e.g. ccts")
        parser.add_argument("--since", type=date.fromisoformat, default=None, help="YYYY-MM-DD")
        parser.add_argument("--until", type=date.fromisoformat, default=None, help="YYYY-MM-DD")

    def handle(self, *args: Any, **options: Any) -> None:
        chosen = ExportFilter(
            agency=_agency(options["agency"]),
            person=_person(options["person"]),
            system=options["system"].strip().lower(),
            since=options["since"],
            until=options["until"],
        )
        if chosen.since and chosen.until and chosen.until < chosen.since:
            raise CommandError("--until is before --since.")
        made = export(chosen, by=Actor.system("export_audit command"))
        for path in made.write(options["out"]):
            self.stdout.write(str(path))
        chain = made.manifest["chain"]
        verdict = "verified" if chain["verified"] else f"BROKEN: {chain['problem']}"
        self.stdout.write(
            f"{made.manifest['rows']} rows; chain head {chain['head_seq']} ({verdict})."
        )


def _agency(code: str) -> Agency | None:
    if not code:
        return None
    agency = Agency.objects.filter(code__iexact=code.strip()).first()
    if agency is None:
        raise CommandError(f"No agency with the code {code!r}.")
    return agency


def _person(address: str) -> Person | None:
    if not address:
        return None
    person = Person.objects.with_email(address.strip()).first()
    if person is None:
        raise CommandError(f"No person with the address {address!r}.")
    return person
