# Leavers: a session generation per login (raised to end every session at once) and the audit
# kinds of deactivation, reactivation, ended sessions and revoked tokens.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0014_user_sign_in_source"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_generation",
            field=models.PositiveIntegerField(default=0, verbose_name="session generation"),
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
                    ("notice_published", "Notice published"),
                    ("notice_updated", "Notice updated"),
                    ("notice_resolved", "Notice resolved"),
                    ("archived", "Archived"),
                    ("restored", "Restored"),
                    ("procedures_sent", "Procedures sent for acknowledgement"),
                    ("procedure_acknowledged", "Procedure acknowledged"),
                ],
                db_index=True,
                max_length=40,
            ),
        ),
    ]
