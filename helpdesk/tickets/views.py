"""Ticket pages: thin views that load through permission-checked getters, validate with a
form and call one service."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from escalation.workflow import Action, TicketState
from helpdesk.actor import Actor
from helpdesk.directory.permissions import is_designated_expert_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.models import Ticket, User
from helpdesk.tickets import forms as tf
from helpdesk.tickets import selectors
from helpdesk.tickets import services as svc
from helpdesk.tickets.panels import sections_of_queue, sections_of_ticket
from helpdesk.tickets.permissions import available_actions, sees_internal_notes, tickets_visible_to
from helpdesk.tickets.selectors import timeline_for
from helpdesk.transitions import ConflictError

PAGE_SIZE = 25


def get_ticket_for_user(request: HttpRequest, pk: int) -> Ticket:
    """The ticket if the user may see it; a 404 otherwise (never a hint that it exists)."""
    return get_object_or_404(
        tickets_visible_to(request.user).select_related(
            "office__agency", "assignee", "local_expert", "reported_by"
        ),
        pk=pk,
    )


# --- Queues ---------------------------------------------------------------------------------------


@login_required
def queue(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
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
    if not partial:
        context["sections"] = sections_of_queue(request.user, name)
    template = "tickets/_queue_table.html" if partial else "tickets/queue.html"
    return render(request, template, context)


# --- The ticket page ------------------------------------------------------------------------------


def _available_actions(
    ticket: Ticket, user: User, bound: forms.Form | None
) -> list[tuple[Action, forms.Form]]:
    """The forms of the actions the user may take now; ``bound``, the one just refused, keeps
    what was typed (with the ticket's current version, so a deliberate retry can succeed)."""
    available: list[tuple[Action, forms.Form]] = []
    for action in available_actions(Actor.of(user), ticket):
        if action == Action.ESCALATE_TO_HELP_DESK:
            continue  # done with the full Problem Report Form (the escalate page)
        if bound is not None and bound.prefix == action.value:
            available.append((action, bound))
            continue
        form_class = tf.ACTION_FORMS[action]
        available.append(
            (action, form_class(initial={"version": ticket.version}, prefix=action.value))
        )
    return available


@login_required
def ticket_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_ticket(request, get_ticket_for_user(request, pk))


def _render_ticket(
    request: AuthenticatedHttpRequest,
    ticket: Ticket,
    *,
    bound: forms.Form | None = None,
    unsaved: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = sees_internal_notes(request.user)
    actions = _available_actions(ticket, request.user, bound)
    if bound is not None and not any(form is bound for _, form in actions):
        # The action is no longer offered (someone acted first): what was typed is shown, so
        # nothing is lost, next to the reason.
        unsaved = {"error": " ".join(map(str, bound.non_field_errors())), "text": _typed(bound)}
    context = {
        "ticket": ticket,
        "timeline": timeline_for(ticket, internal=staff),
        "actions": actions,
        "unsaved": unsaved,
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
        # The report's own files; a message's are shown with it, in the timeline.
        "attachments": ticket.attachments.filter(
            message__isnull=True, **({} if staff else {"internal": False})
        ),
        "sections": sections_of_ticket(request.user, ticket),
    }
    template = "tickets/_ticket_live.html" if request.GET.get("partial") else "tickets/detail.html"
    return render(request, template, context, status=status)


def _typed(form: forms.Form) -> str:
    """The text a person typed into an action's form (its text areas)."""
    typed = (
        form.data.get(form.add_prefix(name), "")
        for name, field in form.fields.items()
        if isinstance(field.widget, forms.Textarea)
    )
    return "\n\n".join(text for text in typed if text)


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
def ticket_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    ticket = get_ticket_for_user(request, pk)
    try:
        chosen = Action(action)
        call = ACTION_CALLS[chosen]
    except (ValueError, KeyError):
        raise Http404 from None
    form = tf.ACTION_FORMS[chosen](request.POST, prefix=chosen.value)
    if not form.is_valid():
        return _render_ticket(request, ticket, bound=form, status=400)
    data = form.cleaned_data
    try:
        call(ticket, Actor.of(request.user), data, data["version"])
    except (ConflictError, ValidationError) as error:
        return _refused(request, pk, chosen, error)
    messages.success(request, f"{chosen.label}: done.")
    return redirect("ticket_detail", ticket.pk)


def _refused(
    request: AuthenticatedHttpRequest,
    pk: int,
    action: Action,
    error: ConflictError | ValidationError,
) -> HttpResponse:
    """The one plain message for a conflict (or a refused value), on the page again with what
    was typed: the ticket as it is now, the form as it was sent."""
    ticket = get_ticket_for_user(request, pk)  # as it is now
    data = request.POST.copy()
    data[f"{action.value}-version"] = str(ticket.version)
    form = tf.ACTION_FORMS[action](data, prefix=action.value)
    form.is_valid()
    message = str(error) if isinstance(error, ConflictError) else " ".join(error.messages)
    form.add_error(None, message)
    status = 409 if isinstance(error, ConflictError) else 400
    return _render_ticket(request, ticket, bound=form, status=status)


@login_required
@require_POST
def ticket_message(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(request, pk)
    form = tf.MessageForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "The message is empty or a file could not be read.")
        return redirect("ticket_detail", ticket.pk)
    data = form.cleaned_data
    try:
        svc.post_message(
            ticket,
            by=Actor.of(request.user),
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
def ticket_update(request: AuthenticatedHttpRequest, pk: int, what: str) -> HttpResponse:
    """Help desk edits that are not transitions: priority, MIS number, related tickets."""
    ticket = get_ticket_for_user(request, pk)
    try:
        if what == "priority":
            form: forms.Form = tf.PriorityForm(request.POST)
            if form.is_valid():
                svc.set_priority(
                    ticket,
                    by=Actor.of(request.user),
                    priority=form.cleaned_data["priority"],
                    expected_version=form.cleaned_data["version"],
                )
        elif what == "mis_reference":
            form = tf.MisReferenceForm(request.POST)
            if form.is_valid():
                svc.set_mis_reference(
                    ticket,
                    by=Actor.of(request.user),
                    mis_reference=form.cleaned_data["mis_reference"],
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
                    svc.link_tickets(ticket, other, by=Actor.of(request.user))
        else:
            raise Http404
    except ConflictError as conflict:
        messages.error(request, str(conflict))
        return redirect("ticket_detail", ticket.pk)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("ticket_detail", ticket.pk)
    if form.errors:
        messages.error(request, "; ".join(" ".join(map(str, v)) for v in form.errors.values()))
    else:
        messages.success(request, "Saved.")
    return redirect("ticket_detail", ticket.pk)


@login_required
def attachment_download(
    request: AuthenticatedHttpRequest, pk: int, attachment_pk: int
) -> FileResponse:
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
