"""Seed the systems and credential groups (the data lives in ``access.seed_data``)."""

from django.db import migrations

from access.seed_data import seed_systems


def seed(apps, schema_editor):
    seed_systems(
        apps.get_model("access", "CredentialGroup"),
        apps.get_model("access", "TargetSystem"),
        schema_editor.connection.alias,
    )


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
