"""Forms of reporting a problem: an agency user's report to their local expert, and the Problem
Report Form a local expert sends to the help desk. They validate only; the views hand
``cleaned_data`` to ``reports.services``."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet

from helpdesk.directory.forms import DateTimeLocalInput
from helpdesk.models import (
    REQUIRED_REPORT_FIELDS,
    Notice,
    Office,
    System,
    Ticket,
    WhoAffected,
    missing_report_fields,
)
from helpdesk.notices.selectors import join_refusal


class ReportForm(forms.Form):
    """An agency user's report to their local expert."""

    summary = forms.CharField(max_length=200, help_text="One line: what is wrong?")
    system = forms.ChoiceField(choices=System.choices)
    who_affected = forms.ChoiceField(
        choices=WhoAffected.choices, label="Who is experiencing the problem?"
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="What you were doing, what happened, any message on the screen.",
    )


class _KnownProblemField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Notice) -> str:
        return f"{obj.title} ({', '.join(obj.system_labels())})"


class ProblemReportForm(forms.ModelForm):
    """The Problem Report Form a local expert sends to the help desk."""

    occurred_at = forms.DateTimeField(
        label="Date and time the problem occurred", widget=DateTimeLocalInput()
    )
    can_duplicate = forms.TypedChoiceField(
        label="Can you duplicate the problem?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
    )

    class Meta:
        model = Ticket
        fields = [
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
        widgets = {
            "description": forms.Textarea(attrs={"rows": 6}),
            "steps_taken": forms.Textarea(attrs={"rows": 4}),
            "expected_result": forms.Textarea(attrs={"rows": 3}),
        }

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
        # The one rule of what a report needs (the mail reader applies it too).
        for name in self.Meta.fields:
            self.fields[name].required = name in REQUIRED_REPORT_FIELDS or name == "summary"
        if offices is not None:
            self.fields["office"] = forms.ModelChoiceField(queryset=offices, empty_label=None)
        # The office first; the known problems right after the system they are about.
        order = ["office", *self.Meta.fields]
        order.insert(order.index("system_other") + 1, "notice")
        self.order_fields(order)

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data
        if "system_other" in missing_report_fields(cleaned):
            self.add_error("system_other", "Name the system.")
        notice = cleaned.get("notice")
        if notice is not None and cleaned.get("system"):
            refusal = join_refusal(notice, system=cleaned["system"])
            if refusal:
                self.add_error("notice", refusal)
        return cleaned
