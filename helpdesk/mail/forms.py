"""Forms of the inbound mail pages (help desk staff)."""

from django import forms

from helpdesk.lib.inputs import LimitedTextField
from helpdesk.models import Office, Outcome


class InboundFilterForm(forms.Form):
    VIEWS = [
        ("quarantine", "Quarantine"),
        ("failed", "Failed"),
        ("pending", "Waiting"),
        ("all", "All messages"),
    ]
    view = forms.ChoiceField(choices=VIEWS, required=False)
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *Outcome.choices], required=False)
    q = forms.CharField(required=False, max_length=100, label="Sender or subject")


class ReleaseForm(forms.Form):
    office = forms.ModelChoiceField(
        queryset=Office.objects.select_related("agency").order_by("agency__name", "name"),
        required=False,
        empty_label="The sender's own office",
        help_text="For a new report: the office it is about. A reply is added to its ticket.",
    )
    note = forms.CharField(
        required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}), label="Note"
    )


class DiscardForm(forms.Form):
    reason = LimitedTextField(500, rows=2, label="Why discard it?")
