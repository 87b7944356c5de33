"""Read one raw message (a file, or standard input from an MTA pipe), store it, process it.

Prints one JSON line {"message_id", "outcome", "ticket"}. Exit 0 once the message is stored,
whatever the outcome (the MTA must not retry: the message is safe). Exit 75 (EX_TEMPFAIL) only
when it could not be stored, so the MTA keeps it and tries again."""

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from helpdesk.mail import intake
from helpdesk.models import InboundSource

EX_TEMPFAIL = 75


class Command(BaseCommand):
    help = "Ingest one raw RFC 5322 message from PATH or standard input (-)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", default="-", help="a .eml file, or - for stdin")

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
            stored = intake.store(raw, source=InboundSource.PIPE)
        except Exception as error:  # noqa: BLE001 - anything here means "not stored": retry
            self._line(
                {
                    "message_id": None,
                    "outcome": "not_stored",
                    "ticket": None,
                    "error": f"{type(error).__name__}: {error}"[:500],
                }
            )
            sys.exit(EX_TEMPFAIL)
        result = intake.process(stored)
        self._line(result.as_json())

    def _line(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data))
