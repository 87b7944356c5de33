"""Web forms of the security forms pages."""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat

from forms_4052_4055.models import FormState, FormType
from helpdesk.models import Agency, Office, Person

SYSTEM_CHOICES = [("ccts", "CCTS"), ("ccms", "CCMS"), ("infoview", "InfoView")]


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        # Namesakes are told apart by their office.
        return f"{obj.full_name} ({obj.office})"


class IssueForm(forms.Form):
    person = PersonChoiceField(queryset=Person.objects.none(), label="Staff member")
    systems = forms.MultipleChoiceField(
        choices=SYSTEM_CHOICES, widget=forms.CheckboxSelectMultiple, label="Systems needed"
    )
    ccms_role = forms.CharField(
        max_length=100,
        required=False,
        label="CCMS security role requested",
        help_text='Left blank, it is "CCAP caseworker".',
    )

    def __init__(self, *args: Any, people: QuerySet[Person] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "person").queryset = people if people is not None else Person.objects.none()


class UploadForm(forms.Form):
    document = forms.FileField(
        label="Signed copy (PDF or image)",
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,image/*"}),
        error_messages={"required": "Choose the signed copy to upload."},
    )

    def clean_document(self) -> UploadedFile:
        """The size is checked before the file is read: an oversized upload is never loaded
        into memory. Its content is checked by ``services.check_document``."""
        document = self.cleaned_data["document"]
        limit = settings.SECURITY_FORM_MAX_BYTES
        if document.size > limit:
            raise forms.ValidationError(
                f"{document.name} is larger than the {filesizeformat(limit)} limit."
            )
        return document


class VoidForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def verify_form_for(form_type: FormType, data: QueryDict | None = None) -> forms.Form:
    """One yes/no per checklist item of the form's type, and a note for the sender."""
    fields: dict[str, forms.Field] = {
        f"item_{index}": forms.TypedChoiceField(
            label=item,
            choices=[("yes", "Yes"), ("no", "No")],
            coerce=lambda value: value == "yes",
            widget=forms.RadioSelect,
        )
        for index, item in enumerate(form_type.checklist)
    }
    fields["note"] = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Note for the sender (when returning it)",
    )
    return type("VerifyForm", (forms.Form,), fields)(data)


class TrackingFilterForm(forms.Form):
    agency = forms.ModelChoiceField(
        queryset=Agency.objects.none(), required=False, empty_label="Any agency"
    )
    office = forms.ModelChoiceField(
        queryset=Office.objects.none(), required=False, empty_label="Any office"
    )
    form_type = forms.ModelChoiceField(
        queryset=FormType.objects.all(), required=False, empty_label="Any form", label="Form"
    )
    state = forms.ChoiceField(
        choices=[("", "Outstanding"), *[(s.value, s.label) for s in FormState]],
        required=False,
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args: Any, offices: QuerySet[Office] | None = None, **kwargs: Any) -> None:
        """``offices``: those the user may filter by (a local expert: their agency's only)."""
        super().__init__(*args, **kwargs)
        offices = offices if offices is not None else Office.objects.none()
        _choices(self, "office").queryset = offices.select_related("agency")
        _choices(self, "agency").queryset = Agency.objects.active().filter(
            pk__in=offices.values("agency_id")
        )


def _choices(form: forms.Form, name: str) -> forms.ModelChoiceField:
    return cast(forms.ModelChoiceField, form.fields[name])
