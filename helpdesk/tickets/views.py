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
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from escalation.workflow import Action, TicketState
from helpdesk.actor import Actor
from helpdesk.directory.permissions import is_designated_expert_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.models import Ticket, User
from helpdesk.tickets import bulk, saved_filters, saved_replies, selectors
from helpdesk.tickets import forms as tf
from helpdesk.tickets import services as svc
from helpdesk.tickets.panels import sections_of_queue, sections_of_ticket
from helpdesk.tickets.permissions import (
    available_actions,
    may_act,
    sees_internal_notes,
    tickets_visible_to,
)
from helpdesk.tickets.selectors import timeline_for
from helpdesk.transitions import ConflictError

PAGE_SIZE = 25


def get_ticket_for_user(request: HttpRequest, pk: int) -> Ticket:
    """The ticket if the user may see it; a 404 otherwise (never a hint that it exists)."""
    return get_object_or_404(
        tickets_visible_to(request.user).select_related(
            "office__agency", "assignee", "local_expert", "reported_by", "mis_owner"
        ),
        pk=pk,
    )


# --- Queues ---------------------------------------------------------------------------------------


def _open_queue(user: User, name: str) -> selectors.Queue:
    if name not in selectors.QUEUES:
        raise Http404
    if not selectors.may_open(user, name):
        raise PermissionDenied(gettext("This queue is not for your role."))
    return selectors.QUEUES[name]


@login_required
def queue(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    spec = _open_queue(request.user, name)
    # Always bound: an empty query is valid and means open work, newest first.
    form: forms.Form = (tf.QueueFilterForm if spec.filters else tf.QueueStatusForm)(request.GET)
    tickets = selectors.tickets_in(request.user, name).select_related("office__agency", "assignee")
    cleaned = form.cleaned_data if form.is_valid() else {}
    tickets = selectors.filtered(tickets, cleaned, user=request.user)
    page = IdsFirstPaginator(tickets, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("partial", None)
    context = {
        "title": spec.title,
        "name": name,
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "show_filters": spec.filters,
        **_queue_rows(request, name, page.object_list, query.urlencode()),
    }
    partial = bool(request.GET.get("partial"))  # the live refresh: the table alone
    if not partial:
        actor = Actor.of(request.user)
        context["sections"] = sections_of_queue(request.user, name)
        context["has_mine"] = name in selectors.MINE_QUEUES
        if spec.filters:
            context["saved_filters"] = selectors.listed_filters(request.user, name)
            context["save_form"] = tf.SavedFilterForm(
                initial={"query": context["query"]}, roles=saved_filters.share_choices(actor)
            )
        if context["bulk"]:
            context["bulk_actions"] = list(bulk.bulk_actions)
    template = "tickets/_queue_table.html" if partial else "tickets/queue.html"
    return render(request, template, context)


def _queue_rows(
    request: AuthenticatedHttpRequest, name: str, rows: Any, query: str
) -> dict[str, Any]:
    """What the rows offer: "assign to me" where the person may take the ticket, and the
    checkboxes of the bulk actions for help desk staff."""
    actor = Actor.of(request.user)
    # Only help desk staff are assignees: nobody else is offered it, and no row is looked at.
    mine_to_take = (
        [t for t in rows if t.assignee_id != request.user.pk]
        if actor.has_role(Role.HELP_DESK)
        else []
    )
    assignable = {t.pk for t in mine_to_take if Action.ASSIGN in available_actions(actor, t)}
    return {
        "assignable": assignable,
        "bulk": bulk.may_bulk(request.user),
        # Where "assign to me" comes back to: this view of the queue.
        "here": reverse("queue", args=[name]) + (f"?{query}" if query else ""),
    }


@login_required
@require_POST
def ticket_assign_me(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """ "Assign to me": the assign service, with the person as the assignee."""
    ticket = get_ticket_for_user(request, pk)
    actor = Actor.of(request.user)
    if not may_act(actor, ticket, Action.ASSIGN):  # the assign rule; a 403, not a message
        raise PermissionDenied(gettext("Only help desk staff take tickets on."))
    form = tf.AssignToMeForm(request.POST)
    target = reverse("ticket_detail", args=[ticket.pk])
    if not form.is_valid():
        messages.error(request, gettext("The page was out of date: nothing was changed."))
        return redirect(target)
    back = form.cleaned_data["next"]
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}, require_https=False):
        target = back
    try:
        svc.assign(
            ticket,
            by=actor,
            assignee=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except ConflictError as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, gettext("%(ticket)s is assigned to you.") % {"ticket": ticket.reference}
        )
    return redirect(target)


# --- Saved filters --------------------------------------------------------------------------------


@login_required
@require_POST
def saved_filter_create(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    _open_queue(request.user, name)
    actor = Actor.of(request.user)
    form = tf.SavedFilterForm(request.POST, roles=saved_filters.share_choices(actor))
    query = request.POST.get("query", "")
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = saved_filters.save_filter(
                by=actor,
                queue=name,
                name=data["name"],
                query=data["query"],
                shared_with=data["shared_with"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, gettext("Filter “%(name)s” saved.") % {"name": saved.name})
            query = saved.query
    else:
        errors = (" ".join(map(str, e)) for e in form.errors.values())
        messages.error(request, gettext("The filter was not saved: %s") % " ".join(errors))
    url = reverse("queue", args=[name])
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_POST
def saved_filter_delete(request: AuthenticatedHttpRequest, name: str, pk: int) -> HttpResponse:
    _open_queue(request.user, name)
    visible = {f.pk: f for f in selectors.saved_filters_for(request.user, name)}
    if pk not in visible:
        raise Http404
    saved_filters.delete_filter(visible[pk], by=Actor.of(request.user))  # 403 unless the owner
    messages.success(request, gettext("Filter “%(name)s” deleted.") % {"name": visible[pk].name})
    return redirect("queue", name)


# --- Bulk actions ---------------------------------------------------------------------------------


@login_required
@require_POST
def queue_bulk(request: AuthenticatedHttpRequest, name: str) -> HttpResponse:
    """Tickets ticked on the queue and one action: first the confirmation (the tickets, what
    will happen, what the action needs), then each ticket through its service and the summary."""
    _open_queue(request.user, name)
    if not bulk.may_bulk(request.user):
        raise PermissionDenied(gettext("Only help desk staff act on many tickets at once."))
    actions = list(bulk.bulk_actions)
    selection = tf.BulkSelectionForm(request.POST, actions=[(a.key, str(a.label)) for a in actions])
    if not selection.is_valid():
        errors = (" ".join(map(str, e)) for e in selection.errors.values())
        messages.error(request, " ".join(errors))
        return redirect("queue", name)
    action = bulk.bulk_actions.get(selection.cleaned_data["action"])
    assert action is not None, "the form offers registered actions only"
    picked = selection.picked()
    # Read through the queue: a ticket the person may not see, or no longer in it, is left out.
    found = {
        t.pk: t
        for t in selectors.tickets_in(request.user, name)
        .filter(pk__in=picked)
        .select_related("office__agency", "assignee")
    }
    tickets = {found[pk]: version for pk, version in picked.items() if pk in found}
    confirmed = "confirm" in request.POST
    params = action.form(request.POST if confirmed else None, prefix="bulk", **action.form_kwargs())
    context: dict[str, Any] = {
        "name": name,
        "title": selectors.QUEUES[name].title,
        "action": action,
        "tickets": tickets,
        "left_out": len(picked) - len(tickets),
        "picks": selection.cleaned_data["tickets"],
    }
    if confirmed and params.is_valid() and tickets:
        outcomes = bulk.run_bulk(
            action, tickets, by=Actor.of(request.user), data=params.cleaned_data
        )
        context["done"] = [o for o in outcomes if o.done]
        context["refused"] = [o for o in outcomes if not o.done]
        return render(request, "tickets/bulk_done.html", context)
    context["params"] = params
    context["consequence"] = action.consequence(
        params.cleaned_data if params.is_bound and params.is_valid() else {}, len(tickets)
    )
    return render(request, "tickets/bulk_confirm.html", context, status=400 if confirmed else 200)


# --- The ticket page ------------------------------------------------------------------------------


# Actions done on a page of their own, not with a form on the ticket page: escalating (the full
# Problem Report Form) and merging (a confirmation of what moves, tickets.views_merge).
PAGES_OF_THEIR_OWN = frozenset({Action.ESCALATE_TO_HELP_DESK, Action.MERGE})


def _available_actions(
    ticket: Ticket, user: User, bound: forms.Form | None
) -> list[tuple[Action, forms.Form]]:
    """The forms of the actions the user may take now; ``bound``, the one just refused, keeps
    what was typed (with the ticket's current version, so a deliberate retry can succeed)."""
    available: list[tuple[Action, forms.Form]] = []
    for action in available_actions(Actor.of(user), ticket):
        if action in PAGES_OF_THEIR_OWN:
            continue
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
    edited: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The ticket page. ``bound`` is an action's form sent with a problem, ``edited`` the message
    or help desk edit forms so sent (by their context name): shown again with what was typed
    and each error next to its field."""
    staff = sees_internal_notes(request.user)
    actor = Actor.of(request.user)
    actions = _available_actions(ticket, request.user, bound)
    offered = saved_replies.offered_on(ticket, actor) if staff else []
    if bound is not None and not any(form is bound for _, form in actions):
        # The action is no longer offered (someone acted first): what was typed is shown, so
        # nothing is lost, next to the reason.
        unsaved = {"error": " ".join(map(str, bound.non_field_errors())), "text": _typed(bound)}
    context = {
        "ticket": ticket,
        "timeline": timeline_for(ticket, internal=staff),
        "actions": actions,
        # "Assign to me": the assign action, with nothing to choose.
        "assign_me": ticket.assignee_id != request.user.pk
        and any(action == Action.ASSIGN for action, _form in actions),
        "assign_me_form": tf.AssignToMeForm(initial={"version": ticket.version}),
        "unsaved": unsaved,
        "can_escalate": ticket.state == TicketState.WITH_LOCAL_EXPERT
        and is_designated_expert_of(request.user, ticket.office_id),
        "message_form": tf.MessageForm(initial=_chosen_reply(request, offered), staff=staff),
        "saved_replies": offered,
        "can_merge": Action.MERGE in available_actions(actor, ticket),
        "staff": staff,
        "help_desk": has_role(request.user, Role.HELP_DESK),
        "may_take_ownership": has_role(request.user, Role.MIS)
        and ticket.is_open
        and ticket.mis_escalated_at is not None
        and ticket.mis_owner_id != request.user.pk,
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
        "edits_open": bool(edited and set(edited) & set(EDIT_FORMS.values())),
    }
    context |= edited or {}
    template = "tickets/_ticket_live.html" if request.GET.get("partial") else "tickets/detail.html"
    return render(request, template, context, status=status)


def _chosen_reply(
    request: AuthenticatedHttpRequest, offered: list[saved_replies.Offered]
) -> dict[str, Any]:
    """The message form filled with the saved reply chosen without JavaScript (``?reply=``)."""
    chosen = request.GET.get("reply", "")
    for item in offered:
        if str(item.reply.pk) == chosen:
            return {"body": item.body, "saved_reply": item.reply.pk}
    return {}


def _typed(form: forms.Form) -> str:
    """The text a person typed into an action's form (its text areas)."""
    typed = (
        form.data.get(form.add_prefix(name), "")
        for name, field in form.fields.items()
        if isinstance(field.widget, forms.Textarea)
    )
    return "\n\n".join(text for text in typed if text)


@login_required
@require_POST
def ticket_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    ticket = get_ticket_for_user(request, pk)
    try:
        chosen = Action(action)
        call = svc.ACTION_CALLS[chosen]
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
    form = tf.MessageForm(request.POST, request.FILES, staff=sees_internal_notes(request.user))
    if form.is_valid():
        data = form.cleaned_data
        actor = Actor.of(request.user)
        files = [(upload.name, upload.read()) for upload in data["files"]]
        internal = data.get("internal", False)
        reply = (
            saved_replies.replies_for(actor).filter(pk=data["saved_reply"]).first()
            if data["saved_reply"]
            else None
        )
        try:
            if reply is None:
                svc.post_message(
                    ticket, by=actor, body=data["body"], internal=internal, files=files
                )
            else:
                sent = saved_replies.send_saved_reply(
                    ticket,
                    by=actor,
                    reply=reply,
                    body=data["body"],
                    internal=internal,
                    files=files,
                )
        except ValidationError as error:
            # A refused file: the message is not sent, and stays in the box with the reason.
            form.add_error("files", error)
        else:
            if reply is not None and sent.refusal:
                messages.warning(request, sent.refusal)
            elif reply is not None and sent.action is not None:
                messages.success(
                    request,
                    gettext("Message added; %(action)s: done.") % {"action": sent.action.label},
                )
            else:
                messages.success(request, gettext("Message added."))
            return redirect(reverse("ticket_detail", args=[ticket.pk]) + "#timeline")
    if form.has_error("files"):
        # A browser never fills a file input back in: say so, next to the field.
        form.add_error("files", gettext("Choose the files again; the message was not sent."))
    return _render_ticket(request, ticket, edited={"message_form": form}, status=400)


# The help desk edits that are not transitions, and the name of their form on the page.
EDIT_FORMS = {
    "priority": "priority_form",
    "mis_reference": "mis_reference_form",
    "link": "link_form",
}


@login_required
@require_POST
def ticket_update(request: AuthenticatedHttpRequest, pk: int, what: str) -> HttpResponse:
    """Help desk edits that are not transitions: priority, MIS number, related tickets. A
    refusal shows the page again with the form as sent and the reason next to its field."""
    ticket = get_ticket_for_user(request, pk)
    if what not in EDIT_FORMS:
        raise Http404
    by = Actor.of(request.user)
    form: forms.Form
    status = 400
    try:
        if what == "priority":
            form = tf.PriorityForm(request.POST)
            if form.is_valid():
                svc.set_priority(
                    ticket,
                    by=by,
                    priority=form.cleaned_data["priority"],
                    expected_version=form.cleaned_data["version"],
                )
        elif what == "mis_reference":
            form = tf.MisReferenceForm(request.POST)
            if form.is_valid():
                svc.set_mis_reference(
                    ticket, by=by, mis_reference=form.cleaned_data["mis_reference"]
                )
        else:
            form = tf.LinkForm(request.POST)
            if form.is_valid():
                other = (
                    tickets_visible_to(request.user)
                    .filter(tracking_number__iexact=form.cleaned_data["tracking_number"].strip())
                    .first()
                )
                if other is None:
                    form.add_error(
                        "tracking_number",
                        gettext("No ticket you can see has this tracking number."),
                    )
                else:
                    svc.link_tickets(ticket, other, by=by)
    except ConflictError as conflict:
        form.add_error(None, str(conflict))
        status = 409
        ticket = get_ticket_for_user(request, pk)  # as it is now
    except ValidationError as error:
        field = next(iter(form.fields)) if what != "priority" else "priority"
        form.add_error(field, error)
    if form.errors:
        if "version" in form.fields:
            # A deliberate retry after a conflict can succeed: the page's version, not the old.
            form.data = {**request.POST.dict(), "version": str(ticket.version)}
        return _render_ticket(request, ticket, edited={EDIT_FORMS[what]: form}, status=status)
    messages.success(request, gettext("Saved."))
    return redirect("ticket_detail", ticket.pk)


@login_required
@require_POST
def ticket_take_ownership(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """An MIS staff member takes the ticket on: MIS mail about it comes to them alone."""
    ticket = get_ticket_for_user(request, pk)
    version = request.POST.get("version", "")
    try:
        svc.take_mis_ownership(
            ticket,
            by=Actor.of(request.user),
            expected_version=int(version) if version.isascii() and version.isdigit() else None,
        )
    except ConflictError as conflict:
        messages.error(request, str(conflict))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, gettext("You are the MIS owner of this ticket."))
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
