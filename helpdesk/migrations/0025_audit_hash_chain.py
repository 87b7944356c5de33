from django.db import migrations, models


def chain_existing_rows(apps, schema_editor):
    """Rows written before the chain join it in the order they were written, so the whole
    trail is covered from the start."""
    from helpdesk.audit import GENESIS, row_hash

    AuditEvent = apps.get_model("helpdesk", "AuditEvent")
    AuditChainHead = apps.get_model("helpdesk", "AuditChainHead")
    previous, place = GENESIS, 0
    for event in AuditEvent.objects.order_by("at", "id").iterator(chunk_size=2000):
        place += 1
        event.seq, event.prev_hash = place, previous
        event.row_hash = row_hash(event)
        event.save(update_fields=["seq", "prev_hash", "row_hash"])
        previous = event.row_hash
    AuditChainHead.objects.update_or_create(pk=1, defaults={"seq": place, "head_hash": previous})


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0023_ticket_notify_owner"),
    ]

    operations = [
        migrations.CreateModel(
            name="AuditChainHead",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.PositiveBigIntegerField(default=0)),
                ("head_hash", models.CharField(max_length=64)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="row_hash",
            field=models.CharField(blank=True, editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(editable=False, null=True, unique=True),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("created", "Created"),
                    ("changed", "Changed"),
                    ("deleted", "Deleted"),
                    ("designated", "Local expert designated"),
                    ("undesignated", "Local expert designation removed"),
                    ("absence_recorded", "Absence recorded"),
                    ("absence_cancelled", "Absence cancelled"),
                    ("roles_changed", "Roles changed"),
                    ("deactivated", "Deactivated"),
                    ("sessions_ended", "Sessions ended"),
                    ("reactivated", "Reactivated"),
                    ("token_revoked", "Token revoked"),
                    ("transition", "State changed"),
                    ("mail_released", "Inbound message released from quarantine"),
                    ("mail_discarded", "Inbound message discarded"),
                    ("mail_reprocessed", "Inbound message reprocessed"),
                    ("downloaded", "Downloaded"),
                    ("exported", "Exported for monitoring"),
                    ("notice_published", "Notice published"),
                    ("notice_updated", "Notice updated"),
                    ("notice_resolved", "Notice resolved"),
                    ("archived", "Archived"),
                    ("restored", "Restored"),
                    ("procedures_sent", "Procedures sent for acknowledgement"),
                    ("procedure_acknowledged", "Procedure acknowledged"),
                    ("second_factor_added", "Second factor added"),
                    ("recovery_codes_issued", "Recovery codes issued"),
                    ("second_factors_reset", "Second factors reset"),
                ],
                db_index=True,
                max_length=40,
            ),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=True),
    ]
