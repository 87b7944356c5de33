"""Seed the form types (the data lives in ``forms_4052_4055.seed_data``)."""

from django.db import migrations

from forms_4052_4055.seed_data import seed_form_types


def seed(apps, schema_editor):
    seed_form_types(apps.get_model("forms_4052_4055", "FormType"), schema_editor.connection.alias)


class Migration(migrations.Migration):
    dependencies = [("forms_4052_4055", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
