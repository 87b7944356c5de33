"""Demo agreements, accounts and one departure, through the real services, so the access
pages and the revocations list have something to show."""

from datetime import timedelta

from django.utils import timezone

from access import services
from access.models import (
    Account,
    AccountState,
    CredentialGroup,
    DataSharingAgreement,
    TargetSystem,
)
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.models import Agency, AgencyKind, Person, User


def seed_demo_access() -> int:
    if Account.objects.exists():
        return 0
    _seed_agreements()
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


def _seed_agreements() -> None:
    """Every demo agency has signed its Data Sharing Agreement, covering every system, but the
    first one's expires next month (the sweep reminds it)."""
    today = timezone.localdate()
    systems = list(TargetSystem.objects.all())
    agencies = Agency.objects.exclude(kind=AgencyKind.STATE_UNIT).order_by("pk")
    for number, agency in enumerate(agencies):
        expires = today + timedelta(days=30 if number == 0 else 2 * 365)
        agreement = DataSharingAgreement.objects.create(
            agency=agency, signed_on=today - timedelta(days=365), expires_on=expires
        )
        agreement.systems.set(systems)
