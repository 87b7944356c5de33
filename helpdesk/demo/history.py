"""Twelve weeks of demo history, so the dashboards have something to show on a fresh install:
problem reports made through the real services (tracking numbers, clocks, timeline, audit),
resolved or closed, some through MIS, then moved back in time with their timeline, audit trail
and emails by the same amount. Demo data only: nothing else ever rewrites a ticket's times.

Deterministic (a seeded random generator) and made once: each ticket is keyed on its summary.
"""

import random
from datetime import timedelta

from django.db.models import F

from helpdesk.actor import Actor
from helpdesk.models import (
    DesignationRole,
    Office,
    OutboundEmail,
    Source,
    System,
    Ticket,
    TicketEvent,
    User,
    WhoAffected,
)
from helpdesk.tickets import services as svc

WEEKS = 12
PROBLEMS = [
    (System.CCMS, "CCMS times out when saving a case note"),
    (System.CCMS, "CCMS eligibility screen shows the wrong co-pay"),
    (System.CCTS, "CCTS session drops in BlueZone after ten minutes"),
    (System.CCTS, "RACF password expired and the reset screen loops"),
    (System.INFOVIEW, "InfoView provider payment report is blank"),
    (System.INFOVIEW, "InfoView cannot export to Excel"),
    (System.IVR, "Provider IVR line hangs up after the provider number"),
    (System.OTHER, "WEB3270 certificate warning on every start"),
]
# Time fields of a ticket that move with it.
TIME_FIELDS = [
    "created_at",
    "state_changed_at",
    "submitted_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "response_due_at",
    "resolution_due_at",
    "mis_update_due_at",
    "mis_escalated_at",
    "response_breached_at",
    "resolution_breached_at",
    "auto_close_at",
    "auto_close_reminder_at",
]


def seed_demo_history() -> int:
    desk = User.objects.get(username="hd.rick")
    offices = list(
        Office.objects.exclude(agency__kind="state_unit")
        .filter(designations__role=DesignationRole.PRIMARY)
        .select_related("agency")
        .order_by("pk")
    )
    created = 0
    for weeks_ago in range(WEEKS, 0, -1):
        # One generator per week and per ticket, so a ticket made already (skipped) does not
        # change what the others draw: seeding twice makes nothing new.
        week = random.Random(f"week {weeks_ago}")  # noqa: S311 - demo data, not security
        for n in range(week.randint(3, 8)):
            rng = random.Random(f"week {weeks_ago} ticket {n}")  # noqa: S311
            system, problem = rng.choice(PROBLEMS)
            summary = f"{problem} (week -{weeks_ago}, #{n + 1})"
            office = rng.choice(offices)
            if Ticket.objects.filter(summary=summary).exists():
                continue
            ticket = _resolved_ticket(summary, system, office, desk, rng)
            _move_back(ticket, timedelta(weeks=weeks_ago, hours=rng.randint(0, 96)))
            created += 1
    return created


def _resolved_ticket(
    summary: str, system: str, office: Office, desk: User, rng: random.Random
) -> Ticket:
    expert = office.designations.get(role=DesignationRole.PRIMARY).person
    assert expert.user is not None, "every demo local expert has a login"
    expert_login = expert.user
    report = svc.ProblemReport(
        summary=summary,
        system=system,
        description=f"{summary}. Seen on two workstations; restarting did not help.",
        who_affected=rng.choice(WhoAffected.values),
        contact_name=expert.full_name,
        contact_email=expert.primary_email,
        contact_phone=expert.phone or "217-555-0142",
        steps_taken="Signed out and in again; cleared the browser cache.",
        expected_result="It works as it did last week.",
        can_duplicate=True,
    )
    # Filed through the core, not a report use case: history sends no acknowledgements.
    ticket = svc.file_problem_report(
        report,
        by=Actor.of(expert_login),
        office=office,
        local_expert=expert,
        source=Source.WEB,
        note="Escalated to the help desk.",
    )
    ticket = svc.assign(ticket, by=Actor.of(desk), assignee=desk)
    if rng.random() < 0.25:
        ticket = svc.escalate_to_mis(
            ticket, by=Actor.of(desk), note="Needs a change on the MIS side."
        )
        mis = User.objects.get(username="mis.joan")
        ticket = svc.report_mis_resolution(
            ticket, by=Actor.of(mis), resolution="Fixed in the nightly run."
        )
    ticket = svc.resolve(
        ticket, by=Actor.of(desk), resolution="Fixed; confirmed with the local expert."
    )
    if rng.random() < 0.8:
        ticket = svc.close(ticket, by=Actor.of(expert_login), note="Confirmed fixed.")
    if rng.random() < 0.15:  # some missed their target on the way
        Ticket.objects.filter(pk=ticket.pk).update(resolution_breached_at=F("resolved_at"))
    return ticket


def _move_back(ticket: Ticket, delta: timedelta) -> None:
    """Shift the ticket and everything stamped with its times by ``delta``: what the help desk
    would have seen had it happened then. Not the audit trail: it says truly when each row was
    written (and its hash chain breaks if a row is changed afterwards)."""
    ticket.refresh_from_db()
    changes = {f: getattr(ticket, f) - delta for f in TIME_FIELDS if getattr(ticket, f)}
    Ticket.objects.filter(pk=ticket.pk).update(**changes)
    TicketEvent.objects.filter(ticket=ticket).update(at=F("at") - delta)
    OutboundEmail.objects.filter(ticket=ticket).update(
        created_at=F("created_at") - delta, sent_at=F("sent_at") - delta
    )
