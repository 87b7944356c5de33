"""Inbound mail pages for help desk staff: every message by outcome, the raw copy, the
quarantine (release, discard) and failures (reprocess). Thin: the rules are in
``helpdesk.mail.intake``; who may see these pages is ``permissions.may_review_mail``."""

from email import policy
from email.parser import BytesHeaderParser

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from helpdesk.actor import Actor
from helpdesk.directory.permissions import may_review_mail
from helpdesk.lib.confirm import FIELD as CONFIRM_FIELD
from helpdesk.lib.confirm import Confirmation, render_confirmation
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.mail import forms as mf
from helpdesk.mail import intake
from helpdesk.mail.parse import parse_message
from helpdesk.models import AuditEvent, InboundMessage, InboundStatus, Outcome

PAGE_SIZE = 50
RAW_SHOWN_BYTES = 200_000


def _require_reviewer(request: HttpRequest) -> None:
    if not may_review_mail(request.user):
        raise PermissionDenied("Inbound mail is for help desk staff.")


@login_required
def inbound_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reviewer(request)
    form = mf.InboundFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    view = data.get("view") or "quarantine"
    rows = InboundMessage.objects.without_raw().select_related("ticket")
    rows = {
        "quarantine": rows.quarantined(),
        "failed": rows.filter(status=InboundStatus.FAILED),
        "pending": rows.pending(),
        "all": rows,
    }[view]
    if data.get("outcome"):
        rows = rows.filter(outcome=data["outcome"])
    if data.get("q"):
        rows = rows.filter(Q(from_address__icontains=data["q"]) | Q(subject__icontains=data["q"]))
    page = IdsFirstPaginator(rows.order_by("-received_at", "-id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    counts = {
        "quarantine": InboundMessage.objects.quarantined().count(),
        "failed": InboundMessage.objects.filter(status=InboundStatus.FAILED).count(),
        "pending": InboundMessage.objects.pending().count(),
    }
    return render(
        request,
        "mail/inbound_list.html",
        {
            "form": form,
            "view": view,
            "views": mf.InboundFilterForm.VIEWS,
            "counts": counts,
            "page": page,
            "query": query.urlencode(),
        },
    )


@login_required
def inbound_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reviewer(request)
    return _render_detail(request, _inbound(pk))


def _inbound(pk: int) -> InboundMessage:
    return get_object_or_404(InboundMessage.objects.select_related("ticket", "decided_by"), pk=pk)


def _render_detail(
    request: AuthenticatedHttpRequest,
    inbound: InboundMessage,
    *,
    discard_form: mf.DiscardForm | None = None,
    release_form: mf.ReleaseForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The message's page; a discard or release form sent with a problem is shown again as
    typed, with the reason next to its field."""
    raw = inbound.raw_bytes
    parsed = parse_message(raw)
    headers = BytesHeaderParser(policy=policy.compat32).parsebytes(raw[:RAW_SHOWN_BYTES])
    return render(
        request,
        "mail/inbound_detail.html",
        {
            "inbound": inbound,
            "parsed": parsed,
            "headers": [(name, str(value)) for name, value in headers.items()],
            "raw_text": raw[:RAW_SHOWN_BYTES].decode("utf-8", errors="replace"),
            "raw_truncated": len(raw) > RAW_SHOWN_BYTES,
            "quarantined": inbound.outcome == Outcome.QUARANTINED,
            "failed": inbound.status == InboundStatus.FAILED,
            "release_form": release_form or mf.ReleaseForm(),
            "discard_form": discard_form or mf.DiscardForm(),
            "audit": AuditEvent.objects.for_object(inbound).select_related("actor"),
        },
        status=status,
    )


@login_required
def inbound_raw(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The raw message as a download, never rendered: it is whatever a stranger sent."""
    _require_reviewer(request)
    inbound = get_object_or_404(InboundMessage, pk=pk)
    response = HttpResponse(inbound.raw_bytes, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="inbound-{inbound.pk}.eml"'
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_POST
def inbound_release(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reviewer(request)
    inbound = _inbound(pk)
    form = mf.ReleaseForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, inbound, release_form=form, status=400)
    try:
        released = intake.release(
            inbound,
            by=Actor.of(request.user),
            office=form.cleaned_data["office"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _render_detail(request, _inbound(pk), release_form=form, status=400)
    if released.ticket is None:  # a mail handler took it (a departure, a reply, a form)
        messages.success(request, f"Released: {released.detail}")
        return redirect("inbound_detail", pk)
    messages.success(request, f"Released into {released.ticket.reference}.")
    return redirect("ticket_detail", released.ticket.pk)


@login_required
@require_POST
def inbound_discard(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Discarding asks first (the message will never become a ticket or a reply, and its sender
    is not told); only the POST with the confirmation page's token discards."""
    _require_reviewer(request)
    inbound = _inbound(pk)
    form = mf.DiscardForm(request.POST)
    if not form.is_valid():
        return _render_detail(request, inbound, discard_form=form, status=400)
    if "back" in request.POST:
        return _render_detail(request, inbound, discard_form=form)
    files = len(parse_message(inbound.raw_bytes).attachments)
    confirmation = Confirmation(request.user.pk, "discard_mail", str(inbound.pk), (files,))
    if not confirmation.given_in(request):
        return _confirm_discard(request, inbound, files, confirmation)
    try:
        intake.discard(inbound, by=Actor.of(request.user), reason=form.cleaned_data["reason"])
    except ValidationError as error:
        form.add_error(None, error)
        return _render_detail(request, _inbound(pk), discard_form=form, status=400)
    messages.success(request, _("Discarded. The raw message is kept."))
    return redirect("inbound_detail", pk)


def _confirm_discard(
    request: AuthenticatedHttpRequest,
    inbound: InboundMessage,
    files: int,
    confirmation: Confirmation,
) -> HttpResponse:
    sender = inbound.from_address or _("an unknown sender")
    consequences = [
        _(
            "The message from %(sender)s, “%(subject)s”, will never become a ticket or a reply,"
            " and its sender is not told."
        )
        % {"sender": sender, "subject": inbound.subject or _("(no subject)")},
    ]
    if files:
        consequences.append(
            ngettext(
                "Its %(count)d attached file will not be added to any ticket.",
                "Its %(count)d attached files will not be added to any ticket.",
                files,
            )
            % {"count": files}
        )
    consequences.append(_("The raw message is kept, for the record only."))
    return render_confirmation(
        request,
        confirmation,
        title=_("Discard this message?"),
        consequences=consequences,
        button=_("Discard the message"),
        cancel_url=reverse("inbound_detail", args=[inbound.pk]),
        changed=bool(request.POST.get(CONFIRM_FIELD)),
    )


@login_required
@require_POST
def inbound_reprocess(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reviewer(request)
    inbound = get_object_or_404(InboundMessage.objects.without_raw(), pk=pk)
    try:
        result = intake.reprocess(inbound, by=Actor.of(request.user))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("inbound_detail", pk)
    outcome = dict(Outcome.choices).get(result.outcome, result.outcome)
    level = messages.error if result.outcome == "failed" else messages.success
    level(request, f"Reprocessed: {outcome}.")
    return redirect("inbound_detail", pk)
