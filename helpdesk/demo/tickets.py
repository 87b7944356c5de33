"""Demo tickets in every state, made through the real services so they carry real tracking
numbers, clocks, timelines and audit events. Each is keyed on its summary: made once."""

from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.models import DesignationRole, Office, Person, System, Ticket, User, WhoAffected
from helpdesk.reports import services as reports
from helpdesk.tickets import services as svc

DEMO = [
    # (summary, system, who is affected, the state to bring it to, agency code)
    (
        "CCMS case screen freezes when saving a redetermination",
        System.CCMS,
        WhoAffected.JUST_ME,
        S.WITH_LOCAL_EXPERT,
        "ccrr-01",
    ),
    (
        "InfoView payment report shows last month's totals",
        System.INFOVIEW,
        WhoAffected.SOME_COWORKERS,
        S.SUBMITTED,
        "ccrr-02",
    ),
    (
        "CCTS: RACF ID revoked after password change",
        System.CCTS,
        WhoAffected.JUST_ME,
        S.IN_PROGRESS,
        "ccrr-03",
    ),
    (
        "Provider IVR billing line rejects valid provider numbers",
        System.IVR,
        WhoAffected.ENTIRE_AGENCY,
        S.ESCALATED_TO_MIS,
        "ccrr-06",
    ),
    (
        "CCMS approval notices not generated for the whole team",
        System.CCMS,
        WhoAffected.ENTIRE_TEAM,
        S.AWAITING_INFO,
        "ccrr-09",
    ),
    (
        "BlueZone session drops every few minutes",
        System.CCTS,
        WhoAffected.SOME_COWORKERS,
        S.RESOLVED,
        "ccrr-12",
    ),
    (
        "Cannot print CCTS screens to the new office printer",
        System.CCTS,
        WhoAffected.JUST_ME,
        S.CLOSED,
        "site-01",
    ),
    (
        "InfoView asks for a password again after sign-in",
        System.INFOVIEW,
        WhoAffected.JUST_ME,
        S.RESOLVED_LOCALLY,
        "site-02",
    ),
    (
        "CCTS RACF ID revoked (sent twice)",
        System.CCTS,
        WhoAffected.JUST_ME,
        S.REJECTED,
        "ccrr-03",
    ),
]


def seed_demo_tickets() -> int:
    desk = User.objects.get(username="hd.rick")
    created = 0
    for summary, system, affected, target, agency_code in DEMO:
        if Ticket.objects.filter(summary=summary).exists():
            continue
        office = Office.objects.filter(agency__code=agency_code).order_by("pk").first()
        assert office is not None, f"the demo directory has agency {agency_code}"
        expert = office.designations.get(role=DesignationRole.PRIMARY).person.user
        reporter = Person.objects.filter(office=office, user__groups__name=Role.AGENCY_USER).first()
        # The demo directory gives every demo office a primary and an agency user, with logins.
        assert expert is not None
        assert reporter is not None
        assert reporter.user is not None
        ticket = reports.report_to_local_expert(
            by=Actor.of(reporter.user),
            summary=summary,
            system=system,
            who_affected=affected,
            description=f"{summary}. It started this morning; restarting did not help.",
        )
        _advance(ticket, target, expert=expert, desk=desk)
        created += 1
    return created


def _advance(ticket: Ticket, target: str, *, expert: User, desk: User) -> None:
    if target == S.WITH_LOCAL_EXPERT:
        return
    if target == S.RESOLVED_LOCALLY:
        svc.resolve_locally(
            ticket, by=Actor.of(expert), resolution="Cleared the browser's saved passwords."
        )
        return
    report = svc.ProblemReport(
        summary=ticket.summary,
        system=ticket.system,
        description=ticket.description,
        who_affected=ticket.who_affected,
        contact_name=expert.get_full_name(),
        contact_email=expert.email,
        contact_phone="217-555-0142",
        steps_taken="Signed out and in again; tried a second workstation.",
        expected_result="The screen saves and moves to the next step.",
        can_duplicate=True,
    )
    ticket = reports.report_from_web(
        report,
        by=Actor.of(expert),
        office=ticket.office,
        from_ticket=ticket,
        expected_version=ticket.version,
    ).ticket
    if target == S.SUBMITTED:
        return
    if target == S.REJECTED:
        svc.reject(
            ticket,
            by=Actor.of(desk),
            reason="Duplicate of the report sent earlier from this office.",
        )
        return
    ticket = svc.assign(ticket, by=Actor.of(desk), assignee=desk)
    if target == S.IN_PROGRESS:
        return
    if target == S.ESCALATED_TO_MIS:
        svc.escalate_to_mis(
            ticket,
            by=Actor.of(desk),
            note="Reproduced; needs a fix in the IVR.",
            mis_reference="MIS-2026-0412",
        )
        return
    if target == S.AWAITING_INFO:
        svc.request_info(ticket, by=Actor.of(desk), question="Which case numbers are affected?")
        return
    ticket = svc.resolve(
        ticket, by=Actor.of(desk), resolution="Updated the BlueZone profile's keep-alive setting."
    )
    if target == S.CLOSED:
        svc.close(ticket, by=Actor.of(expert), note="Confirmed fixed.")
