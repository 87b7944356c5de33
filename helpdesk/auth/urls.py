from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import views as webauthn

from helpdesk.auth import views

# django-otp-webauthn's own URLs (its script calls them by these names), with registration
# completed by our subclass so that every new passkey is audited.
_webauthn = [
    path(
        "registration/begin/",
        webauthn.BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        views.RegisterPasskeyComplete.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        webauthn.BeginCredentialAuthenticationView.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        webauthn.CompleteCredentialAuthenticationView.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        JavaScriptCatalog.as_view(packages=["django_otp_webauthn"]),
        name="js-i18n-catalog",
    ),
]

urlpatterns = [
    path("account/security/", views.security, name="mfa_security"),
    path("account/security/totp/", views.totp_enrol, name="mfa_totp"),
    path("account/security/recovery-codes/", views.recovery_codes, name="mfa_recovery_codes"),
    path("account/security/verify/", views.verify, name="mfa_verify"),
    path("account/security/people/<int:pk>/reset/", views.reset_factors, name="mfa_reset"),
    path("account/webauthn/", include((_webauthn, "otp_webauthn"))),
]
