"""Forms of the notices pages: they validate input; the rules are in notices/services.py."""

from collections.abc import Iterable
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from helpdesk.directory.forms import DateTimeLocalInput
from helpdesk.lib.inputs import DESCRIPTION_MAX, NOTE_MAX, LimitedTextField
from helpdesk.models import (
    Agency,
    AgencyKind,
    Notice,
    NoticeAudience,
    Region,
    Severity,
    System,
    Ticket,
)


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
    text = LimitedTextField(
        DESCRIPTION_MAX,
        rows=6,
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
    text = LimitedTextField(NOTE_MAX, rows=4, label="Update")
    severity = forms.ChoiceField(choices=[("", "Unchanged")] + Severity.choices, required=False)
    expected_end_at = forms.DateTimeField(
        label="Expected back",
        widget=DateTimeLocalInput(),
        required=False,
        help_text="Empty: unchanged.",
    )


class NoticeResolveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    text = LimitedTextField(NOTE_MAX, rows=4, label="Resolution")
    resolve_tickets = forms.BooleanField(
        required=False,
        initial=True,
        label="Resolve the linked tickets the help desk holds with this message",
        help_text="Each local expert gets one message listing their tickets. "
        "Tickets with MIS stay open.",
    )


class _TicketChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Ticket) -> str:
        return f"{obj.reference} · {obj.office.agency.name} · {obj.summary}"


class LinkTicketsForm(forms.Form):
    tickets = _TicketChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, label="Tickets to link"
    )

    def __init__(self, *args: Any, candidates: QuerySet[Ticket], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(_TicketChoiceField, self.fields["tickets"]).queryset = candidates


class _NoticeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Notice) -> str:
        return f"{obj.reference}: {obj.title}"


class TicketNoticeForm(forms.Form):
    """On a ticket page: link it to one of the open notices about its system."""

    notice = _NoticeChoiceField(queryset=Notice.objects.none(), empty_label=None)

    def __init__(self, *args: Any, notices: Iterable[Notice], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(_NoticeChoiceField, self.fields["notice"]).queryset = Notice.objects.filter(
            pk__in=[n.pk for n in notices]
        )


class BulkNoticeForm(forms.Form):
    """On a queue's bulk action: the open notice the chosen tickets are reports of."""

    notice = _NoticeChoiceField(
        queryset=Notice.objects.open().order_by("-published_at"), label=_("Notice")
    )


class NoticeFilterForm(forms.Form):
    STATUS = [("open", "Open"), ("resolved", "Resolved"), ("all", "All")]
    status = forms.ChoiceField(choices=STATUS, required=False)
    system = forms.ChoiceField(choices=[("", "Any system")] + System.choices, required=False)
