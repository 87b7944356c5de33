from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0012_outbound_key_unique")]

    operations = [
        migrations.AddField(
            model_name="outboundemail",
            name="secrets",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
