"""Forms of the notices pages: they validate input; the rules are in notices/services.py."""

from django import forms

from helpdesk.directory.forms import DateTimeLocalInput
from helpdesk.models import Agency, AgencyKind, Notice, NoticeAudience, Region, Severity, System


class NoticeForm(forms.Form):
    title = forms.CharField(
        max_length=200, help_text="What is wrong, in a few words: “CCMS does not load”."
    )
    systems = forms.MultipleChoiceField(
        choices=System.choices, widget=forms.CheckboxSelectMultiple, label="Systems affected"
    )
    severity = forms.ChoiceField(choices=Severity.choices, widget=forms.RadioSelect)
    audience = forms.ChoiceField(
        choices=NoticeAudience.choices, widget=forms.RadioSelect, initial=NoticeAudience.ALL
    )
    agency_kind = forms.ChoiceField(
        choices=[("", "-")] + AgencyKind.choices[:2],
        required=False,
        label="Kind of agency",
        help_text="When the audience is one kind of agency.",
    )
    regions = forms.ModelMultipleChoiceField(
        Region.objects.all(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
        help_text="When the audience is some regions.",
    )
    agencies = forms.ModelMultipleChoiceField(
        Agency.objects.active(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text="When the audience is some agencies.",
    )
    starts_at = forms.DateTimeField(
        label="Since", widget=DateTimeLocalInput(), required=False, help_text="Empty: now."
    )
    expected_end_at = forms.DateTimeField(
        label="Expected back", widget=DateTimeLocalInput(), required=False
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        label="Message",
        help_text="What is affected, what staff should do meanwhile. Sent as plain text.",
    )
    link_reported = forms.BooleanField(
        required=False,
        initial=True,
        label="Link the open tickets already reported about these systems",
    )


class NoticeUpdateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Update")
    severity = forms.ChoiceField(choices=[("", "Unchanged")] + Severity.choices, required=False)
    expected_end_at = forms.DateTimeField(
        label="Expected back",
        widget=DateTimeLocalInput(),
        required=False,
        help_text="Empty: unchanged.",
    )


class NoticeResolveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), label="Resolution")
    resolve_tickets = forms.BooleanField(
        required=False,
        initial=True,
        label="Resolve the linked tickets the help desk holds with this message",
        help_text="Each local expert gets one message listing their tickets. "
        "Tickets with MIS stay open.",
    )


class LinkTicketsForm(forms.Form):
    tickets = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Tickets to link"
    )

    def __init__(self, *args, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tickets"].queryset = candidates
        self.fields["tickets"].label_from_instance = lambda t: (
            f"{t.reference} · {t.office.agency.name} · {t.summary}"
        )


class TicketNoticeForm(forms.Form):
    """On a ticket page: link it to one of the open notices about its system."""

    notice = forms.ModelChoiceField(queryset=Notice.objects.none(), empty_label=None)

    def __init__(self, *args, notices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["notice"].queryset = Notice.objects.filter(pk__in=[n.pk for n in notices])
        self.fields["notice"].label_from_instance = lambda n: f"{n.reference}: {n.title}"


class NoticeFilterForm(forms.Form):
    STATUS = [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]
    status = forms.ChoiceField(choices=STATUS, required=False)
    system = forms.ChoiceField(choices=[("", "Any system")] + System.choices, required=False)
