from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from helpdesk.auth.tokens import password_reset_tokens

urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    # Password reset links are made and checked by the generator a deactivation revokes
    # (helpdesk.auth.tokens); these two come before Django's own URLs of the same names.
    path(
        "accounts/password_reset/",
        auth_views.PasswordResetView.as_view(token_generator=password_reset_tokens),
        name="password_reset",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(token_generator=password_reset_tokens),
        name="password_reset_confirm",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("forms/", include("forms_4052_4055.urls")),
    path("access/", include("access.urls")),
    path("", include("helpdesk.urls")),
]
