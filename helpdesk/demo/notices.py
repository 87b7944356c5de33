"""Demo notices: an open one about the provider IVR with the IVR ticket linked to it, and a
resolved planned CCMS maintenance. Made through the real services, once (keyed on the title)."""

from datetime import timedelta

from django.utils import timezone

from escalation.workflow import OPEN_STATES
from helpdesk.actor import Actor
from helpdesk.models import Notice, Severity, System, Ticket, User
from helpdesk.notices import services as svc

IVR_TITLE = "Provider IVR billing line rejects provider numbers"
CCMS_TITLE = "CCMS unavailable Saturday morning for maintenance"


def seed_demo_notices() -> int:
    desk = User.objects.get(username="hd.rick")
    created = 0
    if not Notice.objects.filter(title=IVR_TITLE).exists():
        notice = svc.publish_notice(
            svc.NoticeDraft(
                title=IVR_TITLE,
                systems=[System.IVR],
                severity=Severity.DEGRADED,
                text="Since this morning the IVR refuses some valid provider numbers. MIS is "
                "working on it. Providers may bill on paper (form 3008) meanwhile; there is no "
                "need to send a Problem Report Form for this.",
                expected_end_at=timezone.now() + timedelta(hours=6),
            ),
            by=Actor.of(desk),
            link_reported=True,
        )
        still_open = Ticket.objects.filter(
            system=System.IVR, notice__isnull=True, state__in=OPEN_STATES
        )
        for ticket in still_open:
            svc.link_ticket(ticket, notice, by=Actor.of(desk))
        svc.post_update(
            notice,
            by=Actor.of(desk),
            text="MIS found the cause (a table load) and is reloading it.",
        )
        created += 1
    if not Notice.objects.filter(title=CCMS_TITLE).exists():
        starts = timezone.now() - timedelta(days=3)
        notice = svc.publish_notice(
            svc.NoticeDraft(
                title=CCMS_TITLE,
                systems=[System.CCMS, System.INFOVIEW],
                severity=Severity.PLANNED,
                text="CCMS and InfoView are down for maintenance from 6:00 to 10:00 a.m.",
                starts_at=starts,
                expected_end_at=starts + timedelta(hours=4),
            ),
            by=Actor.of(desk),
        )
        svc.resolve_notice(notice, by=Actor.of(desk), text="Maintenance finished; CCMS is back.")
        created += 1
    return created
