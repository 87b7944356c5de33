"""How a problem reaches the tiers: an agency user tells their local expert (tier 1 to 2), and a
local expert's Problem Report Form reaches the help desk (tier 2 to 3) from the web or by
email, or help desk staff release one held in the mail quarantine.

The three ways to file a Problem Report are separate use cases over one core,
``tickets.services.file_problem_report`` (tracking number, priority, clocks, audit, timeline);
each says who acts and whether the local expert is acknowledged. The acknowledgement names the
open notices about the same problem, so it is sent from here, where the notices are known
(``notices`` builds on ``tickets``, never the reverse)."""

from contextlib import suppress
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.roles import Role
from helpdesk.directory.selectors import acting_local_expert
from helpdesk.lib.sequences import next_tracking_number
from helpdesk.models import (
    PRIORITY_FOR_AFFECTED,
    AuditKind,
    EventKind,
    Notice,
    Office,
    Person,
    Source,
    Ticket,
    missing_report_fields,
    report_field_label,
)
from helpdesk.notices import services as notice_services
from helpdesk.notices.selectors import join_refusal, open_notices_about
from helpdesk.tickets import services as ticket_services
from helpdesk.tickets.live import push_ticket_changed_on_commit
from helpdesk.tickets.notifications import notify_on_commit
from helpdesk.tickets.services import ProblemReport, file_problem_report


@dataclass(frozen=True)
class Filed:
    """A report filed from the web, and what became of the notice the expert chose."""

    ticket: Ticket
    joined: Notice | None = None
    not_joined: str = ""  # why the chosen notice was not joined


# --- Tier 1: an agency user tells the local expert --------------------------------------------


@transaction.atomic
def report_to_local_expert(
    *, by: Actor, summary: str, system: str, description: str, who_affected: str
) -> Ticket:
    """An agency user tells their office's local expert (the one acting now) about a problem."""
    me = by.person
    if me is None or not by.has_role(Role.AGENCY_USER, Role.LOCAL_EXPERT):
        raise PermissionDenied("Only staff of an agency office report problems to a local expert.")
    expert = acting_local_expert(me.office)
    ticket = Ticket.objects.create(
        # The problem's one reference from the start: the same number follows it to the help
        # desk, MIS and every email (issue 16), and a report closed locally keeps it unused.
        tracking_number=next_tracking_number(),
        office=me.office,
        reported_by=me,
        local_expert=expert,
        no_local_expert=expert is None,
        summary=summary,
        system=system,
        description=description,
        who_affected=who_affected,
        priority=PRIORITY_FOR_AFFECTED[who_affected],
        created_by=by.user,
        state_changed_at=timezone.now(),
    )
    ticket_services.record_event(
        ticket, by=by, kind=EventKind.TRANSITION, target=ticket.state, note="Reported."
    )
    record(AuditKind.CREATED, actor=by, target=ticket, after={"state": ticket.state})
    ticket_services.announce_created(ticket)
    push_ticket_changed_on_commit(ticket)
    if expert is None:
        return _to_help_desk_without_expert(ticket, reporter=me)
    notify_on_commit("new_report", ticket)
    return ticket


# Neither the primary nor the alternate can act (both absent, gone, or never designated).
NO_EXPERT = Actor.system("no local expert available: the primary and the alternate are absent")


def _to_help_desk_without_expert(ticket: Ticket, *, reporter: Person) -> Ticket:
    """Nobody would read the report at tier 2, so it goes on to the help desk at once, flagged,
    with the reporter as its contact (the form's secondary contact: there is no local expert
    to name) and what the form needs and the reporter did not say marked missing. The desk is
    alerted, and the reporter hears the tracking number."""
    report = ProblemReport(
        summary=ticket.summary,
        system=ticket.system,
        description=ticket.description,
        who_affected=ticket.who_affected,
        secondary_name=reporter.full_name,
        secondary_phone=reporter.phone,
        secondary_email=reporter.primary_email,
    )
    # The contact fields name a local expert, and there is none to name.
    missing = [n for n in missing_report_fields(vars(report)) if not n.startswith("contact_")]
    filed = file_problem_report(
        report,
        by=NO_EXPERT,
        office=ticket.office,
        local_expert=None,
        source=Source.WEB,
        note=_("No local expert available: sent straight to the help desk."),
        incomplete_fields=[report_field_label(name) for name in missing],
        from_ticket=ticket,
        expected_version=ticket.version,
    )
    notify_on_commit("no_local_expert", filed)
    _acknowledge(filed)
    return filed


# --- Tier 2 to 3: the Problem Report Form -------------------------------------------------------


@transaction.atomic
def report_from_web(
    report: ProblemReport,
    *,
    by: Actor,
    office: Office,
    from_ticket: Ticket | None = None,
    expected_version: int | None = None,
    notice: Notice | None = None,
) -> Filed:
    """A local expert sends the form from the web: a new report, or an agency user's report
    (``from_ticket``) completed. ``notice``: the known problem they said it is, joined when
    the one rule allows (``notices.selectors.join_refusal``)."""
    ticket = file_problem_report(
        report,
        by=by,
        office=office,
        local_expert=by.person,
        source=Source.WEB,
        note="Escalated to the help desk.",
        from_ticket=from_ticket,
        expected_version=expected_version,
    )
    _acknowledge(ticket)
    if notice is None:
        return Filed(ticket)
    refusal = join_refusal(notice, system=ticket.system, agency=ticket.office.agency)
    if refusal:
        return Filed(ticket, not_joined=refusal)
    notice_services.link_ticket(ticket, notice, by=by)
    return Filed(ticket, joined=notice)


@transaction.atomic
def report_from_mail(
    report: ProblemReport,
    *,
    by: Actor,
    office: Office,
    incomplete_fields: list[str],
    acknowledge: bool,
    reply_to: str = "",
    in_reply_to: str = "",
    notice: Notice | None = None,
    names_system: bool = True,
) -> Ticket:
    """A local expert's emailed form. ``acknowledge``: whether the intake may answer it
    automatically (not a backlog import, under the daily limit), as a reply to ``reply_to``
    threaded under ``in_reply_to``. ``notice``: the notice whose email the expert answered,
    joined by the same rule as on the web (a report that named no system can join it)."""
    ticket = file_problem_report(
        report,
        by=by,
        office=office,
        local_expert=by.person,
        source=Source.EMAIL,
        note="Escalated to the help desk.",
        incomplete_fields=incomplete_fields,
    )
    if acknowledge:
        _acknowledge(ticket, auto_reply_to=reply_to, in_reply_to=in_reply_to)
    system = ticket.system if names_system else None
    if notice is not None and not join_refusal(notice, system=system, agency=office.agency):
        # Not theirs to link (another office's notice): staff are offered it on the ticket page.
        with suppress(PermissionDenied):
            notice_services.link_ticket(ticket, notice, by=by)
    return ticket


@transaction.atomic
def release_from_quarantine(
    report: ProblemReport,
    *,
    by: Actor,
    office: Office,
    on_behalf_of: Person | None,
    incomplete_fields: list[str],
) -> Ticket:
    """Help desk staff release an emailed report the intake held (its sender was not known as
    the office's local expert) into the tiers. The release is theirs, and audited by the mail
    intake; the escalation is the system's, on behalf of the expert when known. Not
    acknowledged: the staff member answers the sender themself."""
    if not by.has_role(Role.HELP_DESK):
        raise PermissionDenied("Only help desk staff release a report from quarantine.")
    if office is None:
        raise ValidationError("Choose the office this report is for.")
    return file_problem_report(
        report,
        by=Actor.system(f"released from the mail quarantine by {by.label}"),
        office=office,
        local_expert=on_behalf_of or acting_local_expert(office),
        source=Source.EMAIL,
        note="Released from the mail quarantine.",
        incomplete_fields=incomplete_fields,
    )


def _acknowledge(ticket: Ticket, **threading: str) -> None:
    """The local expert hears the tracking number, and of any open notice about the same
    problem, so they learn at once that it is known."""
    notices = open_notices_about(ticket.system, ticket.office.agency)
    notify_on_commit("acknowledgement", ticket, notice_ids=[n.pk for n in notices], **threading)
