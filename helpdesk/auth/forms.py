"""Forms of the sign-in's second step and of the second-factor pages. They only validate."""

from django import forms
from django.utils.translation import gettext_lazy as _


class CodeForm(forms.Form):
    """A six-digit code from an authenticator app, or a recovery code."""

    code = forms.CharField(
        label=_("Code"),
        max_length=24,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autocapitalize": "off", "spellcheck": "false"}
        ),
    )


class TotpConfirmForm(forms.Form):
    code = forms.RegexField(
        label=_("Six-digit code from the app"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("Enter the six digits the app shows.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": "6"}
        ),
    )


class ResetForm(forms.Form):
    reason = forms.CharField(
        label=_("Why are the second factors being reset?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
