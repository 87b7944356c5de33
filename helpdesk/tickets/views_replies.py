"""The saved replies page: help desk and MIS staff keep their role's replies (thin views over
``helpdesk.tickets.saved_replies``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from helpdesk.actor import Actor
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import ReplyOwner
from helpdesk.tickets import saved_replies
from helpdesk.tickets.forms_replies import SavedReplyForm


def _owners(actor: Actor) -> list[tuple[str, str]]:
    owners = saved_replies.owners_of(actor)
    if not owners:
        raise PermissionDenied(_("Saved replies are for help desk and MIS staff."))
    return [(owner, str(ReplyOwner(owner).label)) for owner in owners]


def _placeholders() -> list[str]:
    return [f"{{{name}}}" for name in saved_replies.PLACEHOLDERS]


@login_required
def saved_reply_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    actor = Actor.of(request.user)
    owners = _owners(actor)
    form = SavedReplyForm(request.POST or None, owners=owners)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved_replies.create_reply(
                by=actor,
                title=data["title"],
                body=data["body"],
                action=data["action"],
                active=data["active"],
                owner=data.get("owner") or owners[0][0],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved reply added."))
            return redirect("saved_reply_list")
    context = {
        "replies": saved_replies.managed_by(actor),
        "form": form,
        "placeholders": _placeholders(),
    }
    return render(
        request, "tickets/saved_replies.html", context, status=400 if form.errors else 200
    )


@login_required
def saved_reply_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = Actor.of(request.user)
    _owners(actor)
    reply = get_object_or_404(saved_replies.managed_by(actor), pk=pk)
    form = SavedReplyForm(request.POST or None, instance=reply)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            saved_replies.update_reply(
                reply,
                by=actor,
                title=data["title"],
                body=data["body"],
                action=data["action"],
                active=data["active"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved reply changed."))
            return redirect("saved_reply_list")
    context = {"reply": reply, "form": form, "placeholders": _placeholders()}
    return render(
        request, "tickets/saved_reply_edit.html", context, status=400 if form.errors else 200
    )


def _add_errors(form: SavedReplyForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)
