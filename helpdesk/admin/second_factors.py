"""Second factors are not edited in the admin: django-otp and django-otp-webauthn register
their devices there (the TOTP one with its key and QR code); adding, viewing or deleting them
would bypass the audited paths of ``helpdesk.auth.services`` (enrolment, the reset page)."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

for model in (TOTPDevice, WebAuthnCredential):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
