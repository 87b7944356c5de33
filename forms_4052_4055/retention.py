"""Security forms for the retention rules (``helpdesk.retention.kinds``): a form is over once
it expired unreturned, was superseded or voided, or its filing stopped being valid; its clock
counts from the end of its validity, else its filing, else its due date. The signed copies
and the blank PDF leave the disk with it."""

from typing import Any

from django.db import models
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from forms_4052_4055.models import FormState, SecurityForm, SignedDocument
from helpdesk.retention.kinds import RecordKind


def _finished() -> Q:
    over = Q(state__in=[FormState.EXPIRED, FormState.SUPERSEDED, FormState.VOID])
    return over | Q(state=FormState.FILED, valid_until__lt=timezone.now())


def _files(forms: models.QuerySet[Any]) -> list[str]:
    signed = SignedDocument.objects.filter(form__in=forms).values_list("file", flat=True)
    blank = forms.exclude(blank_pdf="").values_list("blank_pdf", flat=True)
    return [name for name in [*signed, *blank] if name]


SECURITY_FORMS = RecordKind(
    key="security_forms",
    model=SecurityForm,
    clocks={"filed_or_expired": lambda: Coalesce("valid_until", "filed_at", "due_at")},
    finished=_finished,
    person_paths=("person",),
    files=_files,
    order=30,
    label="security forms",
)
