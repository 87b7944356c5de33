import django_fsm
from django.db import migrations, models


def state_from_resolved_at(apps, schema_editor):
    Notice = apps.get_model("helpdesk", "Notice")
    Notice.objects.filter(resolved_at__isnull=False).update(state="resolved")


class Migration(migrations.Migration):
    dependencies = [("helpdesk", "0009_procedures")]

    operations = [
        migrations.AddField(
            model_name="notice",
            name="state",
            field=django_fsm.FSMField(
                choices=[("open", "Open"), ("resolved", "Resolved")],
                default="open",
                max_length=10,
                protected=True,
            ),
        ),
        migrations.RunPython(state_from_resolved_at, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(fields=["state", "published_at"], name="notice_state_published"),
        ),
    ]
