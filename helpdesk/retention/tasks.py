"""The daily retention run (django-q2): every rule applied, in batches, as the system."""

from django.conf import settings

from helpdesk.actor import Actor
from helpdesk.retention.services import apply_retention


def apply_retention_daily() -> dict[str, int]:
    reports = apply_retention(
        by=Actor.system("daily retention run"), batch_size=settings.RETENTION_BATCH_SIZE
    )
    return {report.key: report.done for report in reports}
