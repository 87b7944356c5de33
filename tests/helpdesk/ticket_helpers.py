"""Build tickets in any state through the real services, as the personas."""

from datetime import timedelta
from typing import Any

from django.utils import timezone

from escalation.workflow import TicketState as S
from helpdesk.actor import Actor
from helpdesk.models import System, Ticket, WhoAffected
from helpdesk.reports import services as reports
from helpdesk.tickets import services as svc


def problem_report(**overrides: Any) -> svc.ProblemReport:
    fields: dict[str, Any] = {
        "summary": "CCTS says RACF ID revoked",
        "system": System.CCTS,
        "description": "Signing in to CCTS through BlueZone shows 'RACF ID revoked'.",
        "who_affected": WhoAffected.SOME_COWORKERS,
        "contact_name": "Pat Primary",
        "contact_phone": "217-555-0100",
        "contact_email": "pat@example.org",
        "secondary_name": "Alice Agency",
        "secondary_phone": "217-555-0101",
        "secondary_email": "alice@example.org",
        "occurred_at": timezone.now() - timedelta(hours=2),
        "can_duplicate": True,
        "steps_taken": "Restarted BlueZone; tried another PC.",
        "expected_result": "The CCTS main menu.",
    }
    return svc.ProblemReport(**(fields | overrides))


def reported(world) -> Ticket:
    return reports.report_to_local_expert(
        by=Actor.of(world.alice.user),
        summary="CCMS screen freezes",
        system=System.CCMS,
        description="The case screen freezes on save.",
        who_affected=WhoAffected.JUST_ME,
    )


def submitted(world) -> Ticket:
    return reports.report_from_web(
        problem_report(), by=Actor.of(world.pat.user), office=world.office
    ).ticket


def in_progress(world) -> Ticket:
    return svc.assign(submitted(world), by=Actor.of(world.hannah), assignee=world.hannah)


def with_mis(world) -> Ticket:
    return svc.escalate_to_mis(
        in_progress(world),
        by=Actor.of(world.hannah),
        note="Needs a fix in CCTS.",
        mis_reference="MIS-77",
    )


def awaiting_info(world) -> Ticket:
    return svc.request_info(
        in_progress(world), by=Actor.of(world.hannah), question="Which workstation?"
    )


def awaiting_info_from_mis(world) -> Ticket:
    return svc.request_info(with_mis(world), by=Actor.of(world.mike), question="Which case number?")


def resolved(world) -> Ticket:
    return svc.resolve(in_progress(world), by=Actor.of(world.hannah), resolution="RACF ID reset.")


def resolved_locally(world) -> Ticket:
    return svc.resolve_locally(
        reported(world), by=Actor.of(world.pat.user), resolution="Cleared the cache."
    )


def closed(world) -> Ticket:
    return svc.close(resolved(world), by=Actor.of(world.pat.user))


def rejected(world) -> Ticket:
    return svc.reject(
        submitted(world), by=Actor.of(world.hannah), reason="Duplicate of another report."
    )


BUILDERS = {
    S.WITH_LOCAL_EXPERT: reported,
    S.SUBMITTED: submitted,
    S.IN_PROGRESS: in_progress,
    S.ESCALATED_TO_MIS: with_mis,
    S.AWAITING_INFO: awaiting_info,
    S.RESOLVED: resolved,
    S.RESOLVED_LOCALLY: resolved_locally,
    S.CLOSED: closed,
    S.REJECTED: rejected,
}
