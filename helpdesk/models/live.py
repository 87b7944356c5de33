"""The live-update relay's table: "these pages should look again", written by any process,
read by the web processes (helpdesk.tickets.relay). Rows live a few minutes."""

from django.db import models


class LiveSignal(models.Model):
    # The channel layer groups the signal is for, and what they are sent (an id and a
    # version, or "session ended": never a ticket's content).
    groups = models.JSONField()
    payload = models.JSONField()
    # The process that wrote it (it has already told its own sockets).
    origin = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "live-update signal"

    def __str__(self) -> str:
        return f"{self.payload.get('type')} to {len(self.groups)} groups"
