"""Run failed inbound messages through the intake again, from their raw copies."""

import json
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from helpdesk.actor import Actor
from helpdesk.mail import intake
from helpdesk.models import InboundMessage, InboundStatus

COMMAND = Actor.system("the reprocess_mail command")


class Command(BaseCommand):
    help = "Reprocess failed inbound messages: the ids given, or --failed for all of them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int)
        parser.add_argument("--failed", action="store_true", help="every failed message")

    def handle(self, *args: Any, ids: list[int], failed: bool, **options: Any) -> None:
        if not ids and not failed:
            raise CommandError("Give inbound message ids, or --failed.")
        messages = InboundMessage.objects.without_raw()
        messages = (
            messages.filter(status=InboundStatus.FAILED) if failed else messages.filter(pk__in=ids)
        )
        found = 0
        for message in messages.order_by("pk"):
            found += 1
            try:
                result = intake.reprocess(message, by=COMMAND)
            except ValidationError as error:
                self.stderr.write(f"#{message.pk}: {' '.join(error.messages)}")
                continue
            self.stdout.write(json.dumps({"id": message.pk, **result.as_json()}))
        if ids and found < len(set(ids)):
            raise CommandError("Some ids are not inbound messages.")
