"""The send key is unique: the same email queued twice is one row, sent once. Apart from
0011 (which gave every row a key of its own), as PostgreSQL alters a table more safely in a
transaction that did not also update its rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0011_outbound_delivery"),
    ]

    operations = [
        migrations.AlterField(
            model_name="outboundemail",
            name="key",
            field=models.CharField(max_length=200, unique=True),
        ),
    ]
