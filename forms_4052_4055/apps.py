from django.apps import AppConfig


class SecurityFormsConfig(AppConfig):
    name = "forms_4052_4055"
    verbose_name = "Security forms"
