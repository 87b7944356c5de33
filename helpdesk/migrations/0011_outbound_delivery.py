"""Outgoing mail kept to be sent (and retried) by ``helpdesk.emails``: the rendered message,
its status, attempts and last error. Rows recorded before this had no status: those sent are
``sent``; those never marked sent (a send that failed or crashed) are ``failed``, since their
text was not kept and cannot be sent now. Every row gets a key of its own, for 0012 to make
the key unique: an empty key becomes ``legacy:<id>``, and a key two rows shared (a batch
retried after a crash, before the path was idempotent) stays on one, the sent one first."""

from django.db import migrations, models

NOT_KEPT = (
    "Recorded before outgoing mail was kept for retries: not sent, and its text was not kept."
)


def give_every_row_a_key_and_a_status(apps, schema_editor) -> None:
    OutboundEmail = apps.get_model("helpdesk", "OutboundEmail")
    rows = OutboundEmail.objects.using(schema_editor.connection.alias)
    rows.filter(sent_at__isnull=False).update(status="sent", attempts=1)
    rows.filter(sent_at__isnull=True).update(status="failed", last_error=NOT_KEPT)
    seen = set()
    # Sent rows first, so that of two rows sharing a key the one that left keeps it.
    for row in rows.order_by(models.F("sent_at").asc(nulls_last=True), "pk").only("pk", "key"):
        key = row.key or f"legacy:{row.pk}"
        if key in seen:
            key = f"{row.key[:180]}:duplicate:{row.pk}"
        seen.add(key)
        if key != row.key:
            rows.filter(pk=row.pk).update(key=key)


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0010_notice_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="body",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="headers",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="attachments",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "Waiting to be sent"),
                    ("sent", "Sent"),
                    ("failed", "Failed (no more attempts)"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="attempts",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="last_error",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="outboundemail",
            name="next_attempt_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="subject",
            field=models.CharField(max_length=998),
        ),
        migrations.AlterField(
            model_name="outboundemail",
            name="key",
            field=models.CharField(blank=True, db_index=True, max_length=200),
        ),
        migrations.AddIndex(
            model_name="outboundemail",
            index=models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
        ),
        migrations.RunPython(give_every_row_a_key_and_a_status, migrations.RunPython.noop),
    ]
