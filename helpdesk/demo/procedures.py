"""Demo procedures through the real services: one for each audience, one edited once (two
versions), and the Rockford-area CCR&R's staff asked to acknowledge them, some having done so.

No email leaves: the acknowledgement rows are written as already sent, which is what the demo
needs to show on the acknowledgements page (sending is exercised by the tests)."""

from datetime import datetime, timedelta

from django.utils import timezone

from helpdesk.actor import Actor
from helpdesk.models import (
    AcknowledgedHow,
    Person,
    Procedure,
    ProcedureAcknowledgement,
    ProcedureAudience,
    User,
)
from helpdesk.procedures import services as ps
from helpdesk.procedures.onboarding import audiences_of

DEMO_AGENCY_CODE = "ccrr-01"

RACF_V1 = """\
New staff need a **RACF ID** and a CCTS password before they can work cases in the Child Care
Tracking System (CCTS).

1. Your local expert gives you the **4052** and **4055** security forms.
2. Complete and sign both forms, and return them to the CCAP Help Desk.
3. The help desk checks the forms and requests your RACF ID.
4. The help desk sends your ID and a temporary password; change it at first sign-on.

The help desk also creates, resets and deletes CCTS passwords.
"""

RACF_V2 = """\
New staff need a **RACF ID** and a CCTS password before they can work cases in the Child Care
Tracking System (CCTS). The same forms cover **CCMS** and **InfoView** access.

1. Your local expert gives you the **4052** and **4055** security forms (or issues them from
   the help desk site, pre-filled).
2. Complete and sign both forms, and return them to the CCAP Help Desk, by email or upload.
3. The help desk checks the forms against its checklist and requests your RACF ID. Forms with
   a missing signature or date are returned with the reasons.
4. The help desk sends your ID and a temporary password; change it at first sign-on.

| System | Who creates the ID | Who resets the password |
| --- | --- | --- |
| CCTS | CCAP Help Desk | CCAP Help Desk |
| CCMS and InfoView | CCAP Help Desk requests it | Central Management Services (CMS) |
"""

CCMS_RESET = """\
CCMS and **InfoView** use the same ID and password. The help desk does **not** reset them.

- Use the CMS self-service portal, or
- call Central Management Services (CMS).

If the portal says your ID is revoked, tell your local expert: the ID may have been removed
when your access was reviewed.
"""

WEB3270 = """\
CCTS is a mainframe system: you reach it through **WEB3270** or **BlueZone**.

1. Your agency's IT contact installs BlueZone, or gives you the WEB3270 address.
2. Sign on with your RACF ID and CCTS password.
3. If the session does not open, note the exact message and tell your local expert.

Certificates and settings must be set up on each computer; do not copy them from a colleague's.
"""

ESCALATION = """\
Only a designated local expert (the office's **primary**, or the **alternate** while the primary
is away) may advance a problem to the CCAP Help Desk.

## Before escalating

- Try to reproduce the problem, and note the CCMS screen name and security group.
- Check the system problem notices: it may already be known.

## Escalating

Complete the **Problem Report Form**, on the help desk site or by email to the help desk
mailbox (open 24 hours a day, 7 days a week). Say who is affected (just you, some coworkers,
your team, or your whole agency): it sets the priority.

The help desk answers with a **tracking number** (e.g. `CCAP-2026-000042`); quote it in every
reply. If the help desk cannot resolve it, it goes to IDHS/MIS and you are told.
"""

DEPARTURE = """\
When someone leaves or changes job function, **all** their access (CCTS, CCMS, InfoView and the
other systems) must be revoked within **2 working days** of the help desk being told.

1. Tell your local expert on the day you learn of it.
2. The local expert reports the departure to the help desk (on the site or by email), with the
   last working day.
3. The help desk revokes every account and confirms.
"""

SITE_START = """\
Welcome to CCAP at your Site. You work your own cases in CCTS and CCMS.

- Problems with CCTS, CCMS, InfoView or the provider IVR line go to your **local expert** first.
- Keep the Monthly Enrollment Reports moving: late reports hold up provider payments.
- Security forms (4052, 4055) must be on file before any access is requested.
"""

PROCEDURES = [
    ("Requesting a CCTS RACF ID with the 4052 and 4055 forms", RACF_V1, ProcedureAudience.ALL),
    ("Resetting a CCMS or InfoView password", CCMS_RESET, ProcedureAudience.ALL),
    ("Connecting to CCTS with WEB3270 or BlueZone", WEB3270, ProcedureAudience.NEW_CCRR_STAFF),
    ("Getting started at a Site", SITE_START, ProcedureAudience.NEW_SITE_STAFF),
    (
        "When and how a local expert escalates a problem",
        ESCALATION,
        ProcedureAudience.LOCAL_EXPERTS,
    ),
    ("Reporting a departing user", DEPARTURE, ProcedureAudience.ALL),
]


def seed_demo_procedures() -> int:
    if Procedure.objects.exists():
        return 0
    author = User.objects.get(username="hd.supervisor")
    now = timezone.now()
    created = 0
    for title, body, audience in PROCEDURES:
        ps.create_procedure(by=Actor.of(author), title=title, body=body, audience=audience)
        created += 1
    racf = Procedure.objects.get(current_version__title=PROCEDURES[0][0])
    racf.versions.update(created_at=now - timedelta(days=40))
    ps.edit_procedure(
        racf,
        by=Actor.of(author),
        title=PROCEDURES[0][0],
        body=RACF_V2,
        audience=ProcedureAudience.ALL,
        change_note="The same forms cover CCMS and InfoView; who resets which password.",
    )
    return created + 1 + _demo_acknowledgements(racf, now)


def _demo_acknowledgements(racf: Procedure, now: datetime) -> int:
    """The first CCR&R's staff were sent their procedures ten days ago (the RACF one in its
    first version, since edited); the local experts and every other caseworker acknowledged."""
    people = (
        Person.objects.filter(office__agency__code=DEMO_AGENCY_CODE)
        .select_related("office__agency")
        .prefetch_related("designations")
        .order_by("pk")
    )
    first_racf = racf.versions.get(number=1)
    rows = []
    for index, person in enumerate(people):
        versions = [
            first_racf.pk if p.pk == racf.pk else p.current_version_id
            for p in Procedure.objects.live().for_audiences(audiences_of(person))
        ]
        done = bool(person.designations.all()) or index % 2 == 0
        rows += [
            ProcedureAcknowledgement(
                person=person,
                version_id=version_id,
                created_at=now - timedelta(days=10),
                sent_at=now - timedelta(days=10),
                acknowledged_at=now - timedelta(days=9) if done else None,
                how=AcknowledgedHow.LINK if done else "",
            )
            for version_id in versions
            if version_id is not None  # a live procedure always has its current version
        ]
    ProcedureAcknowledgement.objects.bulk_create(rows)
    return len(rows)
