"""Notices pages: thin views over notices/services.py. Everyone signed in reads the notices
meant for them; help desk staff publish, update, resolve and link."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.actor import Actor
from helpdesk.lib.confirm import FIELD as CONFIRM_FIELD
from helpdesk.lib.confirm import Confirmation, render_confirmation
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.models import Notice
from helpdesk.notices import forms as nf
from helpdesk.notices import permissions, selectors
from helpdesk.notices import services as svc
from helpdesk.tickets.permissions import tickets_visible_to
from helpdesk.tickets.views import get_ticket_for_user
from helpdesk.transitions import ConflictError

PAGE_SIZE = 25


def _notice_for(request: HttpRequest, pk: int) -> Notice:
    """The notice if it is meant for the user; a 404 otherwise."""
    return get_object_or_404(permissions.notices_visible_to(request.user), pk=pk)


@login_required
def notice_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = nf.NoticeFilterForm(request.GET or None)
    notices = permissions.notices_visible_to(request.user)
    status, system = "open", ""
    if form.is_valid():
        status = form.cleaned_data["status"] or "open"
        system = form.cleaned_data["system"]
    if status == "open":
        notices = notices.open()
    elif status == "resolved":
        notices = notices.filter(resolved_at__isnull=False)
    if system:
        notices = notices.about(system)
    page = IdsFirstPaginator(notices.order_by("-published_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "notices/list.html",
        {
            "form": form,
            "page": page,
            "status": status,
            "query": query.urlencode(),
            "may_manage": permissions.may_manage_notices(request.user),
        },
    )


@login_required
def notice_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    permissions.require_notice_manager(request.user)
    initial = {"systems": request.GET.getlist("system")}
    form = nf.NoticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        draft = svc.NoticeDraft(
            title=data["title"],
            systems=data["systems"],
            severity=data["severity"],
            text=data["text"],
            audience=data["audience"],
            agency_kind=data["agency_kind"],
            regions=tuple(data["regions"]),
            agencies=tuple(data["agencies"]),
            starts_at=data["starts_at"],
            expected_end_at=data["expected_end_at"],
        )
        try:
            svc.check_draft(draft)
            if "back" in request.POST:
                return render(request, "notices/new.html", {"form": form})
            recipients = selectors.draft_recipient_addresses(
                draft.audience, draft.agency_kind, regions=draft.regions, agencies=draft.agencies
            )
            confirmation = Confirmation(
                request.user.pk, "publish_notice", "new", (len(recipients),)
            )
            if not confirmation.given_in(request):
                return _confirm_publish(request, draft, recipients, confirmation)
            notice = svc.publish_notice(
                draft, by=Actor.of(request.user), link_reported=data["link_reported"]
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            update = notice.updates.get()
            messages.success(
                request,
                f"{notice.reference} published; it is going to {update.recipients} "
                f"local expert address{'es' if update.recipients != 1 else ''}.",
            )
            return redirect("notice_detail", notice.pk)
    return render(request, "notices/new.html", {"form": form})


def _confirm_publish(
    request: AuthenticatedHttpRequest,
    draft: svc.NoticeDraft,
    recipients: list[str],
    confirmation: Confirmation,
) -> HttpResponse:
    """Who publishing will mail, counted by the rule the sending uses."""
    count = len(recipients)
    return render_confirmation(
        request,
        confirmation,
        title=_("Publish “%(title)s”?") % {"title": draft.title.strip()},
        consequences=[
            ngettext(
                "%(count)d local expert will be emailed now, one message each.",
                "%(count)d local experts will be emailed now, one message each.",
                count,
            )
            % {"count": count},
            _("The notice shows at the top of every page for its audience until it is resolved."),
        ],
        details=recipients,
        button=ngettext(
            "Publish and email %(count)d person", "Publish and email %(count)d people", count
        )
        % {"count": count},
        cancel_url=reverse("notice_list"),
        changed=bool(request.POST.get(CONFIRM_FIELD)),
    )


@login_required
def notice_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    return _render_detail(request, _notice_for(request, pk))


def _render_detail(
    request: AuthenticatedHttpRequest,
    notice: Notice,
    *,
    bound: forms.Form | None = None,
    link_form: nf.LinkTicketsForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The notice page; ``bound``, an update or resolution just refused, keeps what was typed
    (with the notice's current version, so a deliberate retry can succeed); ``link_form``, the
    tickets chosen to link, with why they were refused."""
    manager = permissions.may_manage_notices(request.user)
    context = {
        "notice": notice,
        "updates": notice.updates.select_related("by"),
        "may_manage": manager,
        # Only the tickets this user may open (a local expert: their agency's).
        "tickets": tickets_visible_to(request.user)
        .filter(notice=notice)
        .select_related("office__agency")
        .order_by("created_at"),
    }
    if manager and notice.is_open:
        candidates = selectors.candidate_tickets(notice)
        # Prefixed: two forms on one page must not share element ids (labels would point at
        # the other form's field).
        forms_shown = {
            name: form_class(initial={"version": notice.version}, prefix=prefix)
            for name, (prefix, form_class) in ACTION_FORMS.items()
        }
        if bound is not None:
            forms_shown[f"{bound.prefix}_form"] = bound
        context |= forms_shown
        context["link_form"] = link_form or (
            nf.LinkTicketsForm(candidates=candidates) if candidates.exists() else None
        )
    return render(request, "notices/detail.html", context, status=status)


ACTION_FORMS: dict[str, tuple[str, type[forms.Form]]] = {
    "update_form": ("update", nf.NoticeUpdateForm),
    "resolve_form": ("resolve", nf.NoticeResolveForm),
}


def _refused(
    request: AuthenticatedHttpRequest, pk: int, form: forms.Form, error: Exception | None = None
) -> HttpResponse:
    """The one plain message for a refused update or resolution, on the page again with what
    was typed (the form bound to the notice's current version)."""
    notice = _notice_for(request, pk)  # as it is now
    if error is None:
        return _render_detail(request, notice, bound=form, status=400)
    data = request.POST.copy()
    data[f"{form.prefix}-version"] = str(notice.version)
    again = type(form)(data, prefix=form.prefix)
    again.is_valid()
    again.add_error(None, _message(error))
    return _render_detail(
        request, notice, bound=again, status=409 if isinstance(error, ConflictError) else 400
    )


@login_required
@require_POST
def notice_update(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    permissions.require_notice_manager(request.user)
    notice = _notice_for(request, pk)
    form = nf.NoticeUpdateForm(request.POST, prefix="update")
    if not form.is_valid():
        return _refused(request, pk, form)
    data = form.cleaned_data
    try:
        update = svc.post_update(
            notice,
            by=Actor.of(request.user),
            text=data["text"],
            severity=data["severity"],
            expected_end_at=data["expected_end_at"],
            expected_version=data["version"],
        )
    except (ConflictError, ValidationError) as error:
        return _refused(request, pk, form, error)
    messages.success(request, f"Update sent to {update.recipients} addresses.")
    return redirect("notice_detail", notice.pk)


@login_required
@require_POST
def notice_resolve(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    permissions.require_notice_manager(request.user)
    notice = _notice_for(request, pk)
    form = nf.NoticeResolveForm(request.POST, prefix="resolve")
    if not form.is_valid():
        return _refused(request, pk, form)
    data = form.cleaned_data
    try:
        outcome = svc.resolve_notice(
            notice,
            by=Actor.of(request.user),
            text=data["text"],
            resolve_tickets=data["resolve_tickets"],
            expected_version=data["version"],
        )
    except (ConflictError, ValidationError) as error:
        return _refused(request, pk, form, error)
    text = f"{notice.reference} resolved; the resolution is going to {outcome.update.recipients}"
    text += " addresses."
    if outcome.resolved:
        text += f" {len(outcome.resolved)} linked tickets resolved."
    if outcome.left_open:
        refs = ", ".join(t.reference for t in outcome.left_open)
        text += f" Left open (with MIS or waiting for information): {refs}."
    messages.success(request, text)
    return redirect("notice_detail", notice.pk)


@login_required
@require_POST
def notice_link_tickets(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    permissions.require_notice_manager(request.user)
    notice = _notice_for(request, pk)
    form = nf.LinkTicketsForm(request.POST, candidates=selectors.candidate_tickets(notice))
    if not form.is_valid():
        return _render_detail(request, notice, link_form=form, status=400)
    for ticket in form.cleaned_data["tickets"]:
        svc.link_ticket(ticket, notice, by=Actor.of(request.user))
    messages.success(request, f"{len(form.cleaned_data['tickets'])} tickets linked.")
    return redirect("notice_detail", notice.pk)


@login_required
@require_POST
def ticket_notice(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Link a ticket to an open notice about its system, or unlink it (help desk staff)."""
    permissions.require_notice_manager(request.user)
    ticket = get_ticket_for_user(request, pk)
    if request.POST.get("unlink"):
        svc.unlink_ticket(ticket, by=Actor.of(request.user))
        messages.success(request, "No longer linked to the notice.")
        return redirect("ticket_detail", ticket.pk)
    form = nf.TicketNoticeForm(
        request.POST, notices=selectors.open_notices_about(ticket.system, ticket.office.agency)
    )
    if form.is_valid():
        svc.link_ticket(ticket, form.cleaned_data["notice"], by=Actor.of(request.user))
        messages.success(request, f"Linked to {form.cleaned_data['notice'].reference}.")
    else:
        messages.error(request, _errors(form))
    return redirect("ticket_detail", ticket.pk)


def _add_errors(form: forms.Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _errors(form: forms.Form) -> str:
    return "; ".join(" ".join(map(str, v)) for v in form.errors.values())


def _message(error: Exception) -> str:
    return " ".join(error.messages) if isinstance(error, ValidationError) else str(error)
