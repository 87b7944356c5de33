"""Check the audit trail's hash chain (``helpdesk.audit.verify``): exit 0 when every row is as
written, 1 naming the first broken row when one was edited, deleted or put in afterwards, or
the chain no longer passes through a head exported earlier (``AUDIT_HEADS_DIR``). After a
retention purge the walk starts from the recorded anchor (docs/retention.md)."""

import sys
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from helpdesk import audit


class Command(BaseCommand):
    help = "Verify the audit trail's hash chain; exit 1 at the first broken row."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--heads",
            type=Path,
            default=None,
            help="folder of exported chain heads to check against (default: AUDIT_HEADS_DIR)",
        )
        parser.add_argument(
            "--no-heads", action="store_true", help="check the chain alone, not the heads"
        )

    def handle(self, *args: Any, heads: Path | None, no_heads: bool, **options: Any) -> None:
        folder = heads or Path(settings.AUDIT_HEADS_DIR)
        exported = [] if no_heads or not folder.is_dir() else audit.read_heads(folder)
        check = audit.verify(exported)
        if check.intact:
            purged = (
                f", rows up to {check.anchor_seq} purged by retention rule"
                if check.anchor_seq
                else ""
            )
            self.stdout.write(
                f"Audit chain intact: {check.rows} rows, head at {check.head_seq} "
                f"({check.head_hash[:16]}...){purged}, {len(exported)} exported heads matched."
            )
            return
        where = f"row {check.row_id}" if check.row_id is not None else "the end of the chain"
        self.stderr.write(f"Audit chain BROKEN at {where}: {check.problem}.")
        sys.exit(1)
