from django.contrib.admin.apps import AdminConfig


class CcapAdminConfig(AdminConfig):
    """The Django admin, on a site that only administrators may use."""

    default_site = "config.admin_site.CcapAdminSite"
