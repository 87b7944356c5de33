from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpdesk.auth.tokens import password_reset_tokens
from helpdesk.auth.views import SignInView
from helpdesk.lib.throttle import Limit, counting_failures, limited, posted
from helpdesk.passwords.views import password_reset

# Failed sign-ins are limited per address and per username (django-axes locks the pair first).
sign_in = counting_failures(
    Limit("sign_in_failures_per_address"),
    Limit("sign_in_failures_per_account", key=posted("username")),
)(SignInView.as_view())
# Django's one reset path; its token moves from the URL to the session at the first request.
# Links are made and checked by the generator a deactivation revokes (helpdesk.auth.tokens).
reset_confirm = limited(Limit("token_links_per_address"), methods=("GET", "POST"))(
    auth_views.PasswordResetConfirmView.as_view(token_generator=password_reset_tokens)
)

urlpatterns = [
    path("accounts/login/", sign_in, name="login"),
    path("accounts/password_reset/", password_reset, name="password_reset"),
    path("accounts/reset/<uidb64>/<token>/", reset_confirm, name="password_reset_confirm"),
    path("accounts/", include("django.contrib.auth.urls")),
    # Single sign-on (OpenID Connect); its views answer 404 unless OIDC_RP_CLIENT_ID is set.
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("helpdesk.auth.urls")),
    path("admin/", admin.site.urls),
    path("forms/", include("forms_4052_4055.urls")),
    path("access/", include("access.urls")),
    # The REST API (docs/api.md) and the account's API token pages.
    path("api/v1/", include("helpdesk.api.urls")),
    path("", include("helpdesk.api.page_urls")),
    path("", include("helpdesk.urls")),
]
