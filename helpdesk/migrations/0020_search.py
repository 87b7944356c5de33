"""One reference from creation and the full-text search (issue 16).

Tickets made before this migration without a tracking number (reports still with, or
resolved by, the local expert) take one now, in the year they were created and in the order
they were created, from the same yearly sequence. The full-text indexes are
``helpdesk.tickets.fulltext``'s: GIN indexes on PostgreSQL, FTS5 tables and triggers on SQLite.
"""

from zoneinfo import ZoneInfo

import django.db.models.functions.text
from django.db import migrations, models

from helpdesk.tickets import fulltext as schema

CHICAGO = ZoneInfo("America/Chicago")


def number_old_reports(apps, schema_editor):
    Ticket = apps.get_model("helpdesk", "Ticket")
    TrackingSequence = apps.get_model("helpdesk", "TrackingSequence")
    unnumbered = Ticket.objects.filter(tracking_number__isnull=True).order_by("created_at", "id")
    for ticket in unnumbered.iterator():
        year = ticket.created_at.astimezone(CHICAGO).year
        sequence, _ = TrackingSequence.objects.select_for_update().get_or_create(
            year=year, defaults={"last_value": 0}
        )
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        Ticket.objects.filter(pk=ticket.pk).update(
            tracking_number=f"CCAP-{year}-{sequence.last_value:06d}"
        )


def create_indexes(apps, schema_editor):
    schema.ensure(schema_editor.connection)


def drop_indexes(apps, schema_editor):
    schema.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0019_inbound_handler"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ticketevent",
            index=models.Index(
                condition=models.Q(("kind", "mis_reference")),
                fields=["ticket"],
                name="ticketevent_mis_reference",
            ),
        ),
        migrations.AddIndex(
            model_name="ticket",
            index=models.Index(
                django.db.models.functions.text.Upper("mis_reference"),
                name="ticket_mis_reference_upper",
            ),
        ),
        migrations.RunPython(number_old_reports, migrations.RunPython.noop),
        migrations.RunPython(create_indexes, drop_indexes),
    ]
