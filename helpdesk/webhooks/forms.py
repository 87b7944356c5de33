"""The subscription form (the services check the URL rule and the event types again)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from helpdesk.events import EVENT_TYPES


class SubscriptionForm(forms.Form):
    url = forms.URLField(
        label=_("Address (URL)"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the events are posted: an https address on the internet."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        help_text=_("Who receives it and why (optional)."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=list(EVENT_TYPES.items()),
        widget=forms.CheckboxSelectMultiple,
    )
