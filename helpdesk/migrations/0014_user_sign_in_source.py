from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import migrations, models


def mark_directory_logins(apps, schema_editor):
    """Logins made before the source was recorded: one with no usable password that has signed
    in can only have done so through LDAP (the only backend that signs in such an account).
    Superusers and staff-site accounts stay local whatever their password: LDAP must never
    reach a privileged account."""
    User = apps.get_model("helpdesk", "User")
    User.objects.filter(
        password__startswith=UNUSABLE_PASSWORD_PREFIX,
        last_login__isnull=False,
        is_superuser=False,
        is_staff=False,
    ).update(sign_in_source="ldap")


class Migration(migrations.Migration):
    dependencies = [
        ("helpdesk", "0013_outbound_secrets"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="sign_in_source",
            field=models.CharField(
                choices=[
                    ("local", "Local password"),
                    ("ldap", "LDAP directory"),
                    ("oidc", "Single sign-on (OpenID Connect)"),
                ],
                default="local",
                help_text="Set when the login is made; LDAP and single sign-on use only their own.",
                max_length=10,
                verbose_name="signs in with",
            ),
        ),
        migrations.RunPython(mark_directory_logins, migrations.RunPython.noop),
    ]
