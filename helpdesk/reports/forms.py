"""Forms of reporting a problem: an agency user's report to their local expert, and the Problem
Report Form a local expert sends to the help desk. They validate only; the views hand
``cleaned_data`` to ``reports.services``."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from escalation.workflow import TicketKind
from helpdesk.directory.forms import DateTimeLocalInput
from helpdesk.lib.inputs import (
    DESCRIPTION_MAX,
    SUMMARY_MAX,
    LimitedTextField,
    PhoneField,
    check_in_past_window,
)
from helpdesk.models import (
    PROBLEM_ONLY_FIELDS,
    REQUIRED_REPORT_FIELDS,
    Notice,
    Office,
    System,
    Ticket,
    WhoAffected,
    missing_report_fields,
)
from helpdesk.notices.selectors import join_refusal

# No system is chosen for the reporter: a default would be sent unread and counted by the
# outage detector (helpdesk.notices.selectors.possible_outages) as a report about that system.
SYSTEM_CHOICES = [("", _("Choose the system")), *System.choices]


def _summary() -> LimitedTextField:
    return LimitedTextField(
        SUMMARY_MAX,
        widget=forms.TextInput(),
        label=_("Summary"),
        help_text=_("One line: what is wrong?"),
        error_messages={"required": _("Say in one line what is wrong.")},
    )


def _description(help_text: str | Promise) -> LimitedTextField:
    return LimitedTextField(
        DESCRIPTION_MAX,
        rows=6,
        label=_("Description"),
        help_text=help_text,
        error_messages={"required": _("Describe the problem.")},
    )


class ReportForm(forms.Form):
    """An agency user's report to their local expert."""

    summary = _summary()
    system = forms.ChoiceField(
        choices=SYSTEM_CHOICES,
        label=_("System"),
        error_messages={"required": _("Choose the system the problem is in.")},
    )
    who_affected = forms.ChoiceField(
        choices=WhoAffected.choices, label=_("Who is experiencing the problem?")
    )
    description = _description(_("What you were doing, what happened, any message on the screen."))


class _KnownProblemField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Notice) -> str:
        return f"{obj.title} ({', '.join(obj.system_labels())})"


class ProblemReportForm(forms.ModelForm):
    """The Problem Report Form a local expert sends to the help desk."""

    summary = _summary()
    contact_phone = PhoneField(label=_("Phone"))
    secondary_phone = PhoneField(label=_("Secondary phone"))
    occurred_at = forms.DateTimeField(
        label=_("Date and time the problem occurred"),
        widget=DateTimeLocalInput(),
        validators=[check_in_past_window],
    )
    description = _description(
        _("A full description: what happened, the steps taken, the expected result.")
    )
    steps_taken = LimitedTextField(DESCRIPTION_MAX, rows=4, label=_("Steps taken"))
    expected_result = LimitedTextField(DESCRIPTION_MAX, rows=3, label=_("Expected result"))
    can_duplicate = forms.TypedChoiceField(
        label="Can you duplicate the problem?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Ticket
        fields = [
            "kind",
            "summary",
            "contact_name",
            "contact_phone",
            "contact_email",
            "secondary_name",
            "secondary_phone",
            "secondary_email",
            "occurred_at",
            "can_duplicate",
            "who_affected",
            "security_group",
            "ccms_screen",
            "system",
            "system_other",
            "description",
            "steps_taken",
            "expected_result",
        ]

    def __init__(
        self,
        *args: Any,
        offices: QuerySet[Office] | None = None,
        notices: Sequence[Notice] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if notices:
            # While a notice is open, a report of the same problem is offered to join it.
            self.fields["notice"] = _KnownProblemField(
                queryset=Notice.objects.filter(pk__in=[n.pk for n in notices]),
                required=False,
                blank=True,  # a radio list shows the "different problem" choice only then
                empty_label="No, this is a different problem",
                widget=forms.RadioSelect,
                label="Is this a known problem?",
                help_text="The help desk has published a notice about these problems.",
            )
        system = self.fields["system"]
        assert isinstance(system, forms.ChoiceField)
        system.choices = SYSTEM_CHOICES
        # The one rule of what a report needs (the mail reader applies it too).
        for name in self.Meta.fields:
            self.fields[name].required = (
                name in REQUIRED_REPORT_FIELDS and name not in PROBLEM_ONLY_FIELDS
            ) or name == "summary"
        kind = self.fields["kind"]
        kind.widget = forms.RadioSelect(choices=TicketKind.choices)
        kind.label = _("What is this about?")
        kind.initial = TicketKind.PROBLEM
        if offices is not None:
            self.fields["office"] = forms.ModelChoiceField(queryset=offices, empty_label=None)
        # The office first; the known problems right after the system they are about.
        order = ["office", *self.Meta.fields]
        order.insert(order.index("system_other") + 1, "notice")
        self.order_fields(order)

    def clean_kind(self) -> str:
        return self.cleaned_data.get("kind") or TicketKind.PROBLEM  # not said: a problem

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        missing = missing_report_fields(cleaned)
        if "system_other" in missing:
            self.add_error("system_other", "Name the system.")
        for name in PROBLEM_ONLY_FIELDS:  # required of a problem only (missing_report_fields)
            if name in missing and name not in self.errors:
                self.add_error(name, _("Answer this for a problem with a system."))
        notice = cleaned.get("notice")
        if notice is not None and cleaned.get("system"):
            refusal = join_refusal(notice, system=cleaned["system"])
            if refusal:
                self.add_error("notice", refusal)
        return cleaned
