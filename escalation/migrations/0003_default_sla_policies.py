"""Starting SLA targets, in business hours; administrators change them in the admin."""

from decimal import Decimal

from django.db import migrations

# priority: (first response, resolve or escalate) at the help desk; (resolve, update every) at MIS
HELP_DESK = {"p1": (1, 4), "p2": (2, 9), "p3": (4, 18), "p4": (9, 45)}
MIS = {"p1": (9, 2), "p2": (18, 4), "p3": (45, 9), "p4": (90, 18)}


def add_policies(apps, schema_editor):
    SlaPolicy = apps.get_model("escalation", "SlaPolicy")
    for priority, (response, resolve) in HELP_DESK.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            tier=3,
            defaults={"first_response_hours": Decimal(response), "resolve_hours": Decimal(resolve)},
        )
    for priority, (resolve, update) in MIS.items():
        SlaPolicy.objects.get_or_create(
            priority=priority,
            tier=4,
            defaults={"resolve_hours": Decimal(resolve), "update_interval_hours": Decimal(update)},
        )


class Migration(migrations.Migration):
    dependencies = [("escalation", "0002_slapolicy")]
    operations = [migrations.RunPython(add_policies, migrations.RunPython.noop)]
