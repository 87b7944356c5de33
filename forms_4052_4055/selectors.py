"""Reads of the security forms: which form types some systems require, and
``forms_on_file``, the gate the access app asks before it requests access."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from forms_4052_4055.models import FormType, SecurityForm
from helpdesk.models import Person


def required_form_types(systems: list[str]) -> list[FormType]:
    wanted = set(systems)
    return [t for t in FormType.objects.filter(active=True) if wanted & set(t.systems)]


@dataclass(frozen=True)
class FormsOnFile:
    system: str
    filed: list[SecurityForm]
    missing: list[FormType]

    @property
    def complete(self) -> bool:
        return not self.missing


def forms_on_file(person: Person, system: str, when: datetime | None = None) -> FormsOnFile:
    """Which forms ``system`` requires that the person has filed and valid now, and which are
    missing (never issued, outstanding, expired, superseded without a newer one, void)."""
    when = when or timezone.now()
    required = [t for t in FormType.objects.filter(active=True) if t.covers(system)]
    valid = {
        f.form_type_id: f
        for f in SecurityForm.objects.valid_on(when)
        .filter(person=person, form_type__in=required)
        .select_related("form_type")
        .order_by("filed_at")
    }
    return FormsOnFile(
        system=system,
        filed=[valid[t.pk] for t in required if t.pk in valid],
        missing=[t for t in required if t.pk not in valid],
    )
