"""The merge page's forms: which ticket to keep, and the confirmation. They validate only."""

from django import forms
from django.utils.translation import gettext_lazy as _


class MergeTargetForm(forms.Form):
    into = forms.CharField(
        max_length=30,
        label=_("Merge into (tracking number or report number)"),
        help_text=_("For example CCAP-2026-000042, or 73 for Report #73."),
    )


class MergeConfirmForm(forms.Form):
    into = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput)
    across_offices = forms.BooleanField(
        required=False, label=_("Yes, merge these reports from different offices")
    )
