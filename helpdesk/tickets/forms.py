"""Ticket forms. They validate only; views hand ``cleaned_data`` to the services."""

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from escalation.workflow import Action, Priority, TicketKind, TicketState
from helpdesk.directory.forms import AgencyChoiceField
from helpdesk.directory.roles import Role
from helpdesk.lib.inputs import MESSAGE_MAX, NOTE_MAX, LimitedTextField
from helpdesk.models import Agency, System, User
from helpdesk.tickets import selectors
from helpdesk.tickets.aging import BUCKETS


class _VersionedForm(forms.Form):
    """Every action carries the version of the ticket the user was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteForm(_VersionedForm):
    note = LimitedTextField(NOTE_MAX, required=False, label=_("Note"))


class ResolutionForm(_VersionedForm):
    resolution = LimitedTextField(
        NOTE_MAX,
        rows=4,
        label=_("Resolution"),
        error_messages={"required": _("Say how the problem was solved.")},
    )


class ReasonForm(_VersionedForm):
    reason = LimitedTextField(
        NOTE_MAX, label=_("Reason"), error_messages={"required": _("Give the reason.")}
    )


class QuestionForm(_VersionedForm):
    question = LimitedTextField(
        NOTE_MAX,
        label=_("Question"),
        help_text=_("Sent to the local expert."),
        error_messages={"required": _("Write the question for the local expert.")},
    )


class AnswerForm(_VersionedForm):
    answer = LimitedTextField(
        NOTE_MAX, label=_("Answer"), error_messages={"required": _("Write your answer.")}
    )


class EscalateToMisForm(_VersionedForm):
    note = LimitedTextField(
        NOTE_MAX,
        label=_("Note"),
        help_text=_("What the help desk found and tried."),
        error_messages={"required": _("Say what the help desk found and tried.")},
    )
    mis_reference = forms.CharField(max_length=50, required=False, label=_("MIS ticket number"))


class AssignForm(_VersionedForm):
    assignee = forms.ModelChoiceField(queryset=User.objects.none())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(
            "forms.ModelChoiceField[User]", self.fields["assignee"]
        ).queryset = User.objects.filter(groups__name=Role.HELP_DESK, is_active=True).order_by(
            "first_name", "last_name"
        )


class AssignToMeForm(_VersionedForm):
    """ "Assign to me" on the ticket page and a queue's rows: nothing to choose but oneself."""

    next = forms.CharField(required=False, widget=forms.HiddenInput)


# Which form each action takes (the ticket page shows only the actions the user may take).
ACTION_FORMS: dict[Action, type[forms.Form]] = {
    Action.RESOLVE_LOCALLY: ResolutionForm,
    Action.ASSIGN: AssignForm,
    Action.ESCALATE_TO_MIS: EscalateToMisForm,
    Action.REQUEST_INFO: QuestionForm,
    Action.PROVIDE_INFO: AnswerForm,
    Action.REPORT_MIS_RESOLUTION: ResolutionForm,
    Action.RESOLVE: ResolutionForm,
    Action.REOPEN: NoteForm,
    Action.CLOSE: NoteForm,
    Action.REJECT: ReasonForm,
    Action.WITHDRAW: ReasonForm,
}


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class MessageForm(forms.Form):
    body = LimitedTextField(
        MESSAGE_MAX,
        rows=4,
        label=_("Message"),
        error_messages={"required": _("Write a message before sending it.")},
    )
    internal = forms.BooleanField(required=False, label=_("Internal note (help desk and MIS only)"))
    # Django's metaclass moves declared fields into base_fields, so this never shadows the
    # form's uploaded ``files``; django-stubs sees only the class attribute.
    files = MultipleFileField(required=False, label=_("Attach files"))  # type: ignore[assignment]
    # The saved reply the text came from (helpdesk.tickets.saved_replies), whose action, if it
    # has one, is taken with the message.
    saved_reply = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, staff: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not staff:
            # Only help desk and MIS may write internal notes: nobody else is offered a box
            # whose use would be refused (and their message lost with it).
            del self.fields["internal"]


class PriorityForm(_VersionedForm):
    priority = forms.ChoiceField(choices=Priority.choices, label=_("Priority"))


class MisReferenceForm(forms.Form):
    mis_reference = forms.CharField(
        max_length=50,
        label=_("MIS ticket number"),
        error_messages={"required": _("Enter MIS's ticket number.")},
    )


class LinkForm(forms.Form):
    tracking_number = forms.CharField(
        max_length=16,
        label=_("Related ticket (CCAP-YYYY-NNNNNN)"),
        error_messages={"required": _("Enter the tracking number of the related ticket.")},
    )


_DATE = forms.DateInput(attrs={"type": "date"})
_AGES = [(b.key, b.label) for b in BUCKETS]


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, label=_("Search"), max_length=100)
    state = forms.ChoiceField(choices=[("", "Any state"), *TicketState.choices], required=False)
    system = forms.ChoiceField(choices=[("", "Any system"), *System.choices], required=False)
    priority = forms.ChoiceField(choices=[("", "Any priority"), *Priority.choices], required=False)
    kind = forms.ChoiceField(
        choices=[("", _("Any kind")), *TicketKind.choices], required=False, label=_("Kind")
    )
    # Every agency, inactive ones last: a closed agency's old tickets are still looked up, and
    # the dashboard links to them (an unknown value would drop the whole filter).
    agency = AgencyChoiceField(
        queryset=Agency.objects.order_by("-active", "name"),
        required=False,
        empty_label="Any agency",
    )
    assignee = forms.ChoiceField(required=False, choices=[("", "Anyone")])
    overdue = forms.BooleanField(required=False, label="Overdue only")
    mine = forms.BooleanField(required=False, label=_("My tickets only"))
    sort = forms.ChoiceField(
        choices=list(selectors.SORT_LABELS.items()), required=False, initial="newest"
    )
    # Empty means open work (selectors.status_q); the dashboard's figures say "all" or "open".
    status = forms.ChoiceField(
        choices=list(selectors.STATUSES.items()), required=False, label=_("Show")
    )
    # The slices the dashboard's figures link to (helpdesk.tickets.rules).
    tier = forms.TypedChoiceField(
        choices=[("", "Any tier"), (3, "Tier 3 (help desk)"), (4, "Tier 4 (MIS)")],
        coerce=int,
        empty_value=None,
        required=False,
    )
    created_from = forms.DateField(required=False, label="Opened from", widget=_DATE)
    created_to = forms.DateField(required=False, label="Opened to", widget=_DATE)
    resolved_from = forms.DateField(required=False, label="Resolved from", widget=_DATE)
    resolved_to = forms.DateField(required=False, label="Resolved to", widget=_DATE)
    age = forms.ChoiceField(
        choices=[("", "Any"), *_AGES], required=False, label="Age at the help desk"
    )
    mis_age = forms.ChoiceField(
        choices=[("", "Any"), *_AGES], required=False, label="Time with MIS"
    )
    reached_mis = forms.ChoiceField(
        choices=[("", "Either"), ("yes", "Yes"), ("no", "No")], required=False, label="Reached MIS"
    )
    sla = forms.ChoiceField(
        choices=[("", "Either"), ("met", "Targets met"), ("breached", "A target missed")],
        required=False,
        label="SLA",
    )
    mis_update_overdue = forms.BooleanField(required=False, label="MIS update overdue")
    MORE = (
        "tier",
        "created_from",
        "created_to",
        "resolved_from",
        "resolved_to",
        "age",
        "mis_age",
        "reached_mis",
        "sla",
        "mis_update_overdue",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = User.objects.filter(groups__name=Role.HELP_DESK, is_active=True).order_by(
            "first_name"
        )
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", "Anyone"),
            ("none", "Unassigned"),
            *((str(u.pk), u.get_full_name() or u.username) for u in staff),
        ]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        for first, last in (("created_from", "created_to"), ("resolved_from", "resolved_to")):
            if data.get(first) and data.get(last) and data[first] > data[last]:
                self.add_error(last, "The end date must be on or after the start date.")
        return data

    def more_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.MORE]

    def more_in_use(self) -> bool:
        return any(self.data.get(name) for name in self.MORE)


class QueueStatusForm(forms.Form):
    """The one filter of the queues that have no others: open work, or the finished too."""

    status = forms.ChoiceField(
        choices=list(selectors.STATUSES.items()), required=False, label=_("Show")
    )


# --- Saved filters ---------------------------------------------------------------------------


class SavedFilterForm(forms.Form):
    name = forms.CharField(max_length=80, label=_("Name of this filter"))
    shared_with = forms.ChoiceField(required=False, label=_("Share with"))
    # The queue's current filters, as the page's query string.
    query = forms.CharField(max_length=1000, required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, roles: list[tuple[str, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("", _("Only me")), *(roles or [])]
        cast(forms.ChoiceField, self.fields["shared_with"]).choices = choices


# --- Bulk actions ----------------------------------------------------------------------------


_PICK = re.compile(r"^\d{1,12}:\d{1,9}$")


class _Picks(forms.MultipleChoiceField):
    """Any ``pk:version`` is valid here; which tickets the person may touch is the queue's
    question (the view reads them through it)."""

    def valid_value(self, value: Any) -> bool:
        return bool(_PICK.match(str(value)))


class BulkSelectionForm(forms.Form):
    """The tickets ticked on a queue, each as ``pk:version``: the version the person saw, so a
    ticket changed since then is refused, not overwritten."""

    tickets = _Picks(
        label=_("Tickets"), error_messages={"required": _("Select at least one ticket.")}
    )
    action = forms.ChoiceField(choices=[], label=_("Action"))

    def __init__(self, *args: Any, actions: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["action"]).choices = actions

    def picked(self) -> dict[int, int]:
        """Ticket id to the version the person saw."""
        pairs = (value.split(":") for value in self.cleaned_data["tickets"])
        return {int(pk): int(version) for pk, version in pairs}


class BulkAssignForm(AssignForm):
    version = None  # type: ignore[assignment]  # each ticket carries its own


class BulkPriorityForm(forms.Form):
    priority = forms.ChoiceField(choices=Priority.choices, label=_("New priority"))


class BulkResolveForm(forms.Form):
    resolution = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        label=_("Resolution"),
        help_text=_("Sent to each ticket's local expert."),
    )


class BulkCloseForm(forms.Form):
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), required=False, label=_("Note")
    )
