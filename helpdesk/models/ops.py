"""Operations: the last time each background duty was seen doing its work, for ``/readyz``
and ``/metrics`` (``helpdesk.lib.heartbeats`` writes these rows; nothing else does)."""

from django.db import models


class Heartbeat(models.Model):
    """One row per duty: ``worker`` (a task the worker's schedule runs every minute) and
    ``mail_poll`` (the last intake pass that fetched without an error)."""

    name = models.CharField(max_length=40, unique=True)
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.at:%Y-%m-%d %H:%M:%S}"
