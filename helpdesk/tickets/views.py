"""Ticket pages: thin views that load through permission-checked getters, validate with a
form and call one service."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from escalation.workflow import Action, TicketState
from helpdesk.directory.permissions import is_designated_expert_of, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.models import Office, Ticket
from helpdesk.notices import forms as nf
from helpdesk.notices import services as notice_services
from helpdesk.tickets import forms as tf
from helpdesk.tickets import selectors
from helpdesk.tickets import services as svc
from helpdesk.tickets.permissions import sees_internal_notes, tickets_visible_to
from helpdesk.tickets.selectors import timeline_for

PAGE_SIZE = 25


def get_ticket_for_user(request: HttpRequest, pk: int) -> Ticket:
    """The ticket if the user may see it; a 404 otherwise (never a hint that it exists)."""
    return get_object_or_404(
        tickets_visible_to(request.user).select_related(
            "office__agency", "assignee", "local_expert", "reported_by"
        ),
        pk=pk,
    )


# --- Agency users ---------------------------------------------------------------------------------


@login_required
def report_problem(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.AGENCY_USER) or person_of(request.user) is None:
        raise PermissionDenied("Agency staff report problems to their local expert here.")
    form = tf.ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ticket = svc.report_to_local_expert(by=request.user, **form.cleaned_data)
        expert = ticket.local_expert.full_name if ticket.local_expert else "your local expert"
        messages.success(request, f"Your report went to {expert}.")
        return redirect("ticket_detail", ticket.pk)
    return render(request, "tickets/report.html", {"form": form})


# --- Local experts --------------------------------------------------------------------------------


def _my_offices(user):
    me = person_of(user)
    if me is None or not has_role(user, Role.LOCAL_EXPERT):
        raise PermissionDenied("This page is for local experts.")
    return Office.objects.filter(designations__person=me).select_related("agency")


@login_required
def problem_report_new(request: HttpRequest) -> HttpResponse:
    offices = _my_offices(request.user)
    me = person_of(request.user)
    initial = {
        "contact_name": me.full_name,
        "contact_phone": me.phone,
        "contact_email": me.primary_email,
    }
    form = tf.ProblemReportForm(
        request.POST or None, initial=initial, offices=offices, notices=_open_notices(request)
    )
    if request.method == "POST" and form.is_valid():
        ticket = svc.submit_problem_report(
            _report_from(form), by=request.user, office=form.cleaned_data["office"]
        )
        messages.success(request, f"Sent to the CCAP Help Desk as {ticket.tracking_number}.")
        _join_notice(request, ticket, form)
        return redirect("ticket_detail", ticket.pk)
    return render(request, "tickets/problem_report.html", {"form": form})


@login_required
def escalate(request: HttpRequest, pk: int) -> HttpResponse:
    """Complete the Problem Report Form from an agency user's report and send it up."""
    ticket = get_ticket_for_user(request, pk)
    if not is_designated_expert_of(request.user, ticket.office_id):
        raise PermissionDenied("Only a local expert of this office escalates its problems.")
    me = person_of(request.user)
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
    form = tf.ProblemReportForm(
        request.POST or None, initial=initial, notices=_open_notices(request)
    )
    version = request.POST.get("version", ticket.version)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = svc.submit_problem_report(
                _report_from(form),
                by=request.user,
                office=ticket.office,
                from_ticket=ticket,
                expected_version=int(version),
            )
        except svc.TicketConflictError as conflict:
            messages.error(request, str(conflict))
        else:
            messages.success(request, f"Sent to the CCAP Help Desk as {ticket.tracking_number}.")
            _join_notice(request, ticket, form)
        return redirect("ticket_detail", ticket.pk)
    return render(
        request, "tickets/problem_report.html", {"form": form, "ticket": ticket, "version": version}
    )


def _open_notices(request: HttpRequest) -> list:
    return list(notice_services.notices_visible_to(request.user).open())


def _join_notice(request: HttpRequest, ticket: Ticket, form: tf.ProblemReportForm) -> None:
    notice = form.cleaned_data.get("notice")
    if notice is None:
        return
    try:
        notice_services.link_ticket(ticket, notice, by=request.user)
    except (PermissionDenied, ValidationError):
        messages.warning(request, f"{notice.reference} was resolved meanwhile; not linked.")
    else:
        messages.info(request, f"Linked to {notice.reference}: {notice.title}.")


def _report_from(form: tf.ProblemReportForm) -> svc.ProblemReport:
    fields = svc.ProblemReport.__dataclass_fields__
    return svc.ProblemReport(**{k: v for k, v in form.cleaned_data.items() if k in fields})


# --- Queues ---------------------------------------------------------------------------------------


@login_required
def queue(request: HttpRequest, name: str) -> HttpResponse:
    if name not in selectors.QUEUES:
        raise Http404
    if not selectors.may_open(request.user, name):
        raise PermissionDenied("This queue is not for your role.")
    form = tf.QueueFilterForm(request.GET or None)
    tickets = selectors.tickets_in(request.user, name).select_related("office__agency", "assignee")
    if form.is_valid():
        tickets = selectors.filtered(tickets, form.cleaned_data)
    else:
        tickets = tickets.order_by("-created_at", "-id")
    page = IdsFirstPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("partial", None)
    context = {
        "title": selectors.QUEUES[name].title,
        "name": name,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "show_filters": selectors.QUEUES[name].filters,
    }
    partial = bool(request.GET.get("partial"))  # the live refresh: the table alone
    if name == "help_desk" and not partial and notice_services.may_manage_notices(request.user):
        context["possible_outages"] = notice_services.possible_outages()
    template = "tickets/_queue_table.html" if partial else "tickets/queue.html"
    return render(request, template, context)


# --- The ticket page ------------------------------------------------------------------------------


def _available_actions(ticket: Ticket, user) -> list[tuple[Action, object]]:
    available = []
    for transition in ticket.get_available_user_state_transitions(user):
        action = Action(transition.name)
        if action == Action.ESCALATE_TO_HELP_DESK:
            continue  # done with the full Problem Report Form (the escalate page)
        form_class = tf.ACTION_FORMS[action]
        available.append(
            (action, form_class(initial={"version": ticket.version}, prefix=action.value))
        )
    return available


@login_required
def ticket_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(request, pk)
    staff = sees_internal_notes(request.user)
    context = {
        "ticket": ticket,
        "timeline": timeline_for(ticket, internal=staff),
        "actions": _available_actions(ticket, request.user),
        "can_escalate": ticket.state == TicketState.WITH_LOCAL_EXPERT
        and is_designated_expert_of(request.user, ticket.office_id),
        "message_form": tf.MessageForm(),
        "staff": staff,
        "help_desk": has_role(request.user, Role.HELP_DESK),
        "priority_form": tf.PriorityForm(
            initial={"priority": ticket.priority, "version": ticket.version}
        ),
        "mis_reference_form": tf.MisReferenceForm(initial={"mis_reference": ticket.mis_reference}),
        "link_form": tf.LinkForm(),
        "related": tickets_visible_to(request.user).filter(related=ticket),
        "attachments": ticket.attachments.filter(**({} if staff else {"internal": False})),
        **_notice_context(request, ticket),
    }
    template = "tickets/_ticket_live.html" if request.GET.get("partial") else "tickets/detail.html"
    return render(request, template, context)


def _notice_context(request: HttpRequest, ticket: Ticket) -> dict:
    """The notice the ticket is part of, if the user may read it; for help desk staff, the open
    notices about its system it could join."""
    notice = None
    if ticket.notice_id:
        notice = notice_services.notices_visible_to(request.user).filter(pk=ticket.notice_id)
        notice = notice.first()
    manager = notice_services.may_manage_notices(request.user)
    offers = []
    if manager and ticket.notice_id is None and ticket.is_open:
        offers = notice_services.open_notices_about(ticket.system, ticket.office.agency)
    return {
        "notice": notice,
        "manages_notices": manager,
        "notice_form": nf.TicketNoticeForm(notices=offers) if offers else None,
    }


ACTION_CALLS = {
    Action.RESOLVE_LOCALLY: lambda t, by, d, v: svc.resolve_locally(
        t, by=by, resolution=d["resolution"], expected_version=v
    ),
    Action.ASSIGN: lambda t, by, d, v: svc.assign(
        t, by=by, assignee=d["assignee"], expected_version=v
    ),
    Action.ESCALATE_TO_MIS: lambda t, by, d, v: svc.escalate_to_mis(
        t, by=by, note=d["note"], mis_reference=d["mis_reference"], expected_version=v
    ),
    Action.REQUEST_INFO: lambda t, by, d, v: svc.request_info(
        t, by=by, question=d["question"], expected_version=v
    ),
    Action.PROVIDE_INFO: lambda t, by, d, v: svc.provide_info(
        t, by=by, answer=d["answer"], expected_version=v
    ),
    Action.REPORT_MIS_RESOLUTION: lambda t, by, d, v: svc.report_mis_resolution(
        t, by=by, resolution=d["resolution"], expected_version=v
    ),
    Action.RESOLVE: lambda t, by, d, v: svc.resolve(
        t, by=by, resolution=d["resolution"], expected_version=v
    ),
    Action.REOPEN: lambda t, by, d, v: svc.reopen(
        t, by=by, note=d["note"] or "Reopened.", expected_version=v
    ),
    Action.CLOSE: lambda t, by, d, v: svc.close(t, by=by, note=d["note"], expected_version=v),
    Action.REJECT: lambda t, by, d, v: svc.reject(t, by=by, reason=d["reason"], expected_version=v),
    Action.WITHDRAW: lambda t, by, d, v: svc.withdraw(
        t, by=by, reason=d["reason"], expected_version=v
    ),
}


@login_required
@require_POST
def ticket_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    ticket = get_ticket_for_user(request, pk)
    try:
        chosen = Action(action)
        call = ACTION_CALLS[chosen]
    except (ValueError, KeyError):
        raise Http404 from None
    form = tf.ACTION_FORMS[chosen](request.POST, prefix=chosen.value)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
        messages.error(request, f"{chosen.label}: {errors}")
        return redirect("ticket_detail", ticket.pk)
    data = form.cleaned_data
    try:
        call(ticket, request.user, data, data["version"])
    except svc.TicketConflictError as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{chosen.label}: done.")
    return redirect("ticket_detail", ticket.pk)


@login_required
@require_POST
def ticket_message(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(request, pk)
    form = tf.MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "The message is empty or a file could not be read.")
        return redirect("ticket_detail", ticket.pk)
    data = form.cleaned_data
    try:
        svc.post_message(
            ticket,
            by=request.user,
            body=data["body"],
            internal=data["internal"],
            files=[(upload.name, upload.read()) for upload in data["files"]],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages) + " The message was not sent.")
        return redirect("ticket_detail", ticket.pk)
    messages.success(request, "Message added.")
    return redirect(reverse("ticket_detail", args=[ticket.pk]) + "#timeline")


@login_required
@require_POST
def ticket_update(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    """Help desk edits that are not transitions: priority, MIS number, related tickets."""
    ticket = get_ticket_for_user(request, pk)
    try:
        if what == "priority":
            form = tf.PriorityForm(request.POST)
            if form.is_valid():
                svc.set_priority(
                    ticket,
                    by=request.user,
                    priority=form.cleaned_data["priority"],
                    expected_version=form.cleaned_data["version"],
                )
        elif what == "mis_reference":
            form = tf.MisReferenceForm(request.POST)
            if form.is_valid():
                svc.set_mis_reference(
                    ticket, by=request.user, mis_reference=form.cleaned_data["mis_reference"]
                )
        elif what == "link":
            form = tf.LinkForm(request.POST)
            if form.is_valid():
                other = (
                    tickets_visible_to(request.user)
                    .filter(tracking_number__iexact=form.cleaned_data["tracking_number"].strip())
                    .first()
                )
                if other is None:
                    form.add_error("tracking_number", "No such ticket.")
                else:
                    svc.link_tickets(ticket, other, by=request.user)
        else:
            raise Http404
    except svc.TicketConflictError as conflict:
        messages.error(request, str(conflict))
        return redirect("ticket_detail", ticket.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ticket_detail", ticket.pk)
    if form.errors:
        messages.error(request, "; ".join(" ".join(v) for v in form.errors.values()))
    else:
        messages.success(request, "Saved.")
    return redirect("ticket_detail", ticket.pk)


@login_required
def attachment_download(request: HttpRequest, pk: int, attachment_pk: int) -> FileResponse:
    ticket = get_ticket_for_user(request, pk)
    attachment = get_object_or_404(ticket.attachments, pk=attachment_pk)
    if attachment.internal and not sees_internal_notes(request.user):
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    # Never rendered by the browser, whatever it holds.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
