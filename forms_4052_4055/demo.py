"""Demo security forms through the real services: one staff member's forms in each state, so
the tracking page and a person's page have something to show."""

from datetime import timedelta

from django.utils import timezone

from forms_4052_4055 import services
from forms_4052_4055.models import SecurityForm
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.models import Person, User

SIGNED = b"%PDF-1.4\n% demo signed copy\n%%EOF\n"


def seed_demo_forms() -> int:
    if SecurityForm.objects.exists():
        return 0
    desk = User.objects.filter(username="hd.rick").first()
    people = list(
        Person.objects.filter(
            user__groups__name=Role.AGENCY_USER, office__agency__code__startswith="ccrr-"
        )
        .select_related("office")
        .order_by("pk")[:5]
    )
    if desk is None or len(people) < 5:
        return 0
    issued = [services.issue_forms(p, ["ccms", "ccts"], by=Actor.of(desk)).issued for p in people]
    created = sum(len(forms) for forms in issued)
    # people[0]: left as issued. people[1]: received. people[2]: returned. people[3]: filed.
    for form in issued[1]:
        services.receive(form, by=Actor.of(desk), name="signed.pdf", data=SIGNED)
    for form in issued[2]:
        services.receive(form, by=Actor.of(desk), name="signed.pdf", data=SIGNED)
        results = dict.fromkeys(form.form_type.checklist, True)
        results[form.form_type.checklist[1]] = False
        services.verify(form, by=Actor.of(desk), results=results)
    for form in issued[3]:
        services.receive(form, by=Actor.of(desk), name="signed.pdf", data=SIGNED)
        services.verify(
            form, by=Actor.of(desk), results=dict.fromkeys(form.form_type.checklist, True)
        )
        services.file_form(form, by=Actor.of(desk))
    # people[4]: issued long ago and never returned: overdue on the tracking page.
    SecurityForm.objects.filter(pk__in=[f.pk for f in issued[4]]).update(
        issued_at=timezone.now() - timedelta(days=35), due_at=timezone.now() - timedelta(days=5)
    )
    return created
