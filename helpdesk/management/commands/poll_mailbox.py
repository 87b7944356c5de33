"""One intake pass: the IMAP mailbox when IMAP_HOST is set, else the drop folder
(MAIL_DROP_DIR); then any message stored but not yet processed. The worker runs the same pass
every minute; this command is for cron, or to try the intake by hand."""

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from helpdesk.mail import mailbox


class Command(BaseCommand):
    help = "Fetch and process new mail once (IMAP, or the drop folder when IMAP is not set)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = mailbox.poll()
        self.stdout.write(json.dumps(report.as_json()))
        if report.errors:
            raise CommandError("Some messages could not be stored and were left in place.")
