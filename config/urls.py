from django.contrib import admin
from django.urls import include, path

from helpdesk.auth.views import SignInView

urlpatterns = [
    path(
        "accounts/login/",
        SignInView.as_view(),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    # Single sign-on (OpenID Connect); its views answer 404 unless OIDC_RP_CLIENT_ID is set.
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("", include("helpdesk.auth.urls")),
    path("admin/", admin.site.urls),
    path("forms/", include("forms_4052_4055.urls")),
    path("access/", include("access.urls")),
    path("", include("helpdesk.urls")),
]
