"""Reporting pages: an agency user's report to their local expert, and the Problem Report Form a
local expert sends to the help desk (new, or completing an agency user's report). Thin views:
they validate with a form and call one use case of ``reports.services``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from helpdesk.actor import Actor
from helpdesk.directory.permissions import is_designated_expert_of, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import Notice, Office, Ticket, User
from helpdesk.notices.permissions import notices_visible_to
from helpdesk.reports import forms
from helpdesk.reports import services as svc
from helpdesk.tickets.services import ProblemReport
from helpdesk.tickets.views import get_ticket_for_user
from helpdesk.transitions import ConflictError


@login_required
def report_problem(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.AGENCY_USER) or person_of(request.user) is None:
        raise PermissionDenied("Agency staff report problems to their local expert here.")
    form = forms.ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = svc.report_to_local_expert(by=Actor.of(request.user), **form.cleaned_data)
        messages.success(request, _where_it_went(ticket))
        return redirect("ticket_detail", ticket.pk)
    return render(request, "tickets/report.html", {"form": form})


def _where_it_went(ticket: Ticket) -> str:
    """The truth about who has the report now: the local expert, or, with neither the primary
    nor the alternate available, the help desk."""
    if ticket.no_local_expert:
        return _(
            "No local expert of your office is available now (the primary and the alternate are "
            "both away), so your report went straight to the CCAP Help Desk as %(reference)s. "
            "The help desk will contact you."
        ) % {"reference": ticket.reference}
    assert ticket.local_expert is not None  # report_to_local_expert flags a report without one
    return _("Your report went to %(name)s, your local expert.") % {
        "name": ticket.local_expert.full_name
    }


def _my_offices(user: User) -> QuerySet[Office]:
    me = person_of(user)
    if me is None or not has_role(user, Role.LOCAL_EXPERT):
        raise PermissionDenied("This page is for local experts.")
    return Office.objects.filter(designations__person=me).select_related("agency")


@login_required
def problem_report_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    offices = _my_offices(request.user)
    me = person_of(request.user)
    assert me is not None  # _my_offices refused anyone who is not in the directory
    initial = {
        "contact_name": me.full_name,
        "contact_phone": me.phone,
        "contact_email": me.primary_email,
    }
    form = forms.ProblemReportForm(
        request.POST or None, initial=initial, offices=offices, notices=_open_notices(request)
    )
    if request.method == "POST" and form.is_valid():
        filed = svc.report_from_web(
            _report_from(form),
            by=Actor.of(request.user),
            office=form.cleaned_data["office"],
            notice=form.cleaned_data.get("notice"),
        )
        _say_filed(request, filed)
        return redirect("ticket_detail", filed.ticket.pk)
    return render(request, "tickets/problem_report.html", {"form": form})


@login_required
def escalate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Complete the Problem Report Form from an agency user's report and send it up."""
    ticket = get_ticket_for_user(request, pk)
    if not is_designated_expert_of(request.user, ticket.office_id):
        raise PermissionDenied("Only a local expert of this office escalates its problems.")
    me = person_of(request.user)
    assert me is not None  # a designated local expert is in the directory
    initial = {
        "summary": ticket.summary,
        "system": ticket.system,
        "who_affected": ticket.who_affected,
        "description": ticket.description,
        "contact_name": me.full_name,
        "contact_phone": me.phone,
        "contact_email": me.primary_email,
    }
    if ticket.reported_by:
        initial |= {
            "secondary_name": ticket.reported_by.full_name,
            "secondary_phone": ticket.reported_by.phone,
            "secondary_email": ticket.reported_by.primary_email,
        }
    form = forms.ProblemReportForm(
        request.POST or None, initial=initial, notices=_open_notices(request)
    )
    version = request.POST.get("version", str(ticket.version))
    context = {"form": form, "ticket": ticket, "version": version}
    if request.method == "POST" and form.is_valid():
        if not (version.isascii() and version.isdigit()):
            # A tampered or truncated form: say so plainly, keep what was typed, and offer the
            # ticket's current version so sending it again can succeed.
            form.add_error(None, _("This form could not be read. Check it and send it again."))
            context["version"] = ticket.version
            return render(request, "tickets/problem_report.html", context, status=400)
        try:
            filed = svc.report_from_web(
                _report_from(form),
                by=Actor.of(request.user),
                office=ticket.office,
                from_ticket=ticket,
                expected_version=int(version),
                notice=form.cleaned_data.get("notice"),
            )
        except ConflictError as conflict:
            # What was typed stays on the page, with the one plain conflict message.
            form.add_error(None, str(conflict))
            return render(request, "tickets/problem_report.html", context, status=409)
        _say_filed(request, filed)
        return redirect("ticket_detail", filed.ticket.pk)
    return render(request, "tickets/problem_report.html", context)


def _open_notices(request: HttpRequest) -> list[Notice]:
    return list(notices_visible_to(request.user).open())


def _say_filed(request: HttpRequest, filed: svc.Filed) -> None:
    ticket: Ticket = filed.ticket
    messages.success(request, f"Sent to the CCAP Help Desk as {ticket.tracking_number}.")
    if filed.joined is not None:
        messages.info(request, f"Linked to {filed.joined.reference}: {filed.joined.title}.")
    elif filed.not_joined:
        messages.warning(request, f"{filed.not_joined} Not linked.")


def _report_from(form: forms.ProblemReportForm) -> ProblemReport:
    fields = ProblemReport.__dataclass_fields__
    return ProblemReport(**{k: v for k, v in form.cleaned_data.items() if k in fields})
