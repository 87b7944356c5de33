"""The account's API token pages (config.urls includes them at the site's root)."""

from django.urls import path

from helpdesk.api import pages

urlpatterns = [
    path("account/security/tokens/", pages.token_list, name="api_tokens"),
    path("account/security/tokens/<int:pk>/revoke/", pages.token_revoke, name="api_token_revoke"),
]
