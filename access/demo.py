"""Demo accounts and one departure, through the real services, so the access pages and the
revocations list have something to show."""

from django.utils import timezone

from access import services
from access.models import Account, AccountState, CredentialGroup
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.models import Person, User


def seed_demo_access() -> int:
    if Account.objects.exists():
        return 0
    desk = User.objects.filter(username="hd.rick").first()
    people = list(
        Person.objects.filter(user__groups__name=Role.AGENCY_USER, active=True)
        .select_related("office")
        .order_by("pk")[:12]
    )
    if desk is None or len(people) < 12:
        return 0
    ccts, ccms = CredentialGroup.objects.get(code="ccts"), CredentialGroup.objects.get(code="ccms")
    created = 0
    for number, person in enumerate(people, start=1):
        Account.objects.create(
            person=person,
            credential_group=ccts,
            identifier=f"DHS{person.last_name[:2].upper()}{number:02d}",
            state=AccountState.ACTIVE,
            last_reviewed_at=timezone.now(),
        )
        Account.objects.create(
            person=person,
            credential_group=ccms,
            identifier=f"{person.first_name}.{person.last_name}".replace(" ", ""),
            state=AccountState.ACTIVE,
            ccms_role="CCAP caseworker",
        )
        created += 2
    # The last one left today: both accounts' revocations are open, due in 2 working days.
    services.report_departure(
        people[-1], by=Actor.of(desk), kind="left", effective_on=timezone.localdate(), note="Demo."
    )
    return created
