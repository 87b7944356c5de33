"""Merging a duplicate report into another: choose the ticket to keep, read what will move,
confirm (thin views over ``helpdesk.tickets.merging``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from escalation.workflow import Action
from helpdesk.actor import Actor
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import Ticket
from helpdesk.tickets import merging
from helpdesk.tickets.forms_merge import MergeConfirmForm, MergeTargetForm
from helpdesk.tickets.permissions import available_actions, tickets_visible_to
from helpdesk.tickets.views import get_ticket_for_user
from helpdesk.transitions import ConflictError


def _find(request: AuthenticatedHttpRequest, number: str) -> Ticket | None:
    """The visible ticket a person means by ``number``: a tracking number, ``Report #73``, 73."""
    number = number.strip()
    visible = tickets_visible_to(request.user).select_related("office__agency", "local_expert")
    found = visible.filter(tracking_number__iexact=number).first()
    digits = number.removeprefix("Report").strip().removeprefix("#").strip()
    if found is None and digits.isdigit():
        found = visible.filter(pk=int(digits)).first()
    return found


@login_required
def ticket_merge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    duplicate = get_ticket_for_user(request, pk)
    actor = Actor.of(request.user)
    if Action.MERGE not in available_actions(actor, duplicate):
        raise PermissionDenied(_("This ticket cannot be merged by you now."))
    if request.method == "POST":
        return _confirmed(request, duplicate, actor)
    target = MergeTargetForm(request.GET or None)
    visible = tickets_visible_to(request.user)
    context: dict[str, object] = {
        "ticket": duplicate,
        "target_form": target,
        "candidates": merging.candidates(duplicate, visible=visible),
    }
    if target.is_valid():
        kept = _find(request, target.cleaned_data["into"])
        if kept is None:
            target.add_error("into", _("No ticket you can see has that number."))
        else:
            context |= _plan_context(duplicate, kept, actor)
    status = 400 if target.errors else 200
    return render(request, "tickets/merge.html", context, status=status)


def _plan_context(duplicate: Ticket, kept: Ticket, actor: Actor) -> dict[str, object]:
    # Offices differing is not a refusal here: the page asks for the confirmation instead.
    plan = merging.plan_merge(duplicate, kept, by=actor, across_offices_confirmed=True)
    form = MergeConfirmForm(initial={"into": kept.pk, "version": duplicate.version})
    return {"plan": plan, "confirm_form": form}


def _confirmed(request: AuthenticatedHttpRequest, duplicate: Ticket, actor: Actor) -> HttpResponse:
    form = MergeConfirmForm(request.POST)
    if not form.is_valid():
        return redirect("ticket_merge", duplicate.pk)
    kept = tickets_visible_to(request.user).filter(pk=form.cleaned_data["into"]).first()
    if kept is None:
        return redirect("ticket_merge", duplicate.pk)
    try:
        merging.merge(
            duplicate,
            kept,
            by=actor,
            across_offices_confirmed=form.cleaned_data["across_offices"],
            expected_version=form.cleaned_data["version"],
        )
    except (ConflictError, ValidationError) as error:
        reasons = [str(error)] if isinstance(error, ConflictError) else error.messages
        context = {
            "ticket": duplicate,
            "target_form": MergeTargetForm(initial={"into": kept.reference}),
            **_plan_context(duplicate, kept, actor),
            "errors": reasons,
        }
        status = 409 if isinstance(error, ConflictError) else 400
        return render(request, "tickets/merge.html", context, status=status)
    messages.success(
        request,
        _("%(duplicate)s was merged into %(kept)s.")
        % {"duplicate": duplicate.reference, "kept": kept.reference},
    )
    return redirect(reverse("ticket_detail", args=[kept.pk]) + "#timeline")
