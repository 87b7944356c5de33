"""Access pages: open revocations by deadline, a person's accounts and requests (new request,
departure), one request with its steps, the access reviews and the access report (CSV). A
temporary password is rendered once in the response to the reset itself, never stored, never
redirected through a session. Thin: the rules are in the services and selectors."""

from datetime import date, datetime, time, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from access import selectors, services
from access.dashboard import revocation_status
from access.forms import (
    CampaignForm,
    CompleteForm,
    DepartureForm,
    ReasonForm,
    RequestForm,
    RevocationFilterForm,
)
from access.models import (
    OPEN_REQUEST_STATES,
    AccessRequest,
    Account,
    Fulfiller,
    RequestKind,
    RequestState,
    ReviewCampaign,
    ReviewDecision,
    ReviewItem,
)
from access.permissions import may_act, may_request_for, may_see_access_of
from access.selectors import LIVE_ACCOUNT_STATES
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.actor import Actor
from helpdesk.directory.forms import ReactivationForm
from helpdesk.directory.permissions import has_left, may_reactivate
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.lib.confirm import FIELD as CONFIRM_FIELD
from helpdesk.lib.confirm import Confirmation, render_confirmation
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import Agency, AuditEvent, Person
from helpdesk.transitions import ConflictError

# Revocations closed this recently are still listed (below the open ones), so the help desk sees
# what each fulfiller confirmed and whether it was on time.
RECENTLY_CLOSED = timedelta(days=14)


def _errors(error: Exception) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


@login_required
def revocations(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT):
        raise PermissionDenied("Revocations are for local experts and help desk staff.")
    revokes = selectors.requests_visible_to(request.user).filter(kind=RequestKind.REVOKE)
    now = timezone.now()
    # The dashboard links here by status and agency; bad values are ignored (nothing narrowed).
    narrowed = RevocationFilterForm(request.GET)
    data = narrowed.cleaned_data if narrowed.is_valid() else {}
    rows = revokes.open().select_related("departure")
    if data.get("status"):
        rows = rows.filter(revocation_status(data["status"], now))
    if data.get("agency"):
        rows = rows.filter(person__office__agency=data["agency"])
    return render(
        request,
        "access/revocations.html",
        {
            "rows": rows.order_by("deadline", "id"),
            "narrowed": data,
            "closed": revokes.exclude(state__in=OPEN_REQUEST_STATES)
            .filter(closed_at__gte=now - RECENTLY_CLOSED)
            .order_by("-closed_at", "-id"),
            "recent_days": RECENTLY_CLOSED.days,
        },
    )


@login_required
def person_access(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("office__agency"), pk=pk)
    if not may_see_access_of(request.user, person):
        raise Http404
    may_request = may_request_for(request.user, person)
    # Two forms on one page, both with a "kind": their fields need ids of their own.
    request_form = RequestForm(
        request.POST if "open_request" in request.POST else None, auto_id="id_request_%s"
    )
    departure_form = DepartureForm(
        request.POST if "report_departure" in request.POST else None, auto_id="id_departure_%s"
    )
    if request.method == "POST":
        if not may_request:
            raise PermissionDenied("You may not request access for this person.")
        done = _handle_person_post(request, person, request_form, departure_form)
        if done is not None:
            return done
    return render(
        request,
        "access/person.html",
        {
            "person": person,
            "accounts": person.accounts.select_related("credential_group"),
            "requests": person.access_requests.select_related("system").order_by("-created_at"),
            "departures": person.departures.all(),
            "may_request": may_request,
            # A leaver (or a leaver's login still on): the help desk may restore them here.
            "may_reactivate": may_reactivate(request.user) and has_left(person),
            "reactivation_form": ReactivationForm(),
            "request_form": request_form,
            "departure_form": departure_form,
        },
    )


def _handle_person_post(
    request: AuthenticatedHttpRequest,
    person: Person,
    request_form: RequestForm,
    departure_form: DepartureForm,
) -> HttpResponse | None:
    try:
        if "open_request" in request.POST and request_form.is_valid():
            data = request_form.cleaned_data
            opened = services.open_request(
                person,
                data["system"],
                data["kind"],
                by=Actor.of(request.user),
                ccms_role=data["ccms_role"],
                reason=data["reason"],
            )
            if opened.fulfiller == Fulfiller.CMS and opened.kind == RequestKind.RESET:
                messages.info(request, opened.outcome_note)
            else:
                messages.success(request, f"{opened}: {opened.get_state_display().lower()}.")
            return redirect("access_request", opened.pk)
        if "report_departure" in request.POST and departure_form.is_valid():
            data = departure_form.cleaned_data
            if "back" in request.POST:
                return None  # the page again, with the form as it was filled in
            effects = selectors.departure_effects(person, data["kind"])
            confirmation = Confirmation(
                request.user.pk, "report_departure", str(person.pk), effects.numbers
            )
            if not confirmation.given_in(request):
                return _confirm_departure(
                    request, person, effects, confirmation, effective_on=data["effective_on"]
                )
            departure = services.report_departure(
                person,
                by=Actor.of(request.user),
                kind=data["kind"],
                effective_on=data["effective_on"],
                note=data["note"],
            )
            count = departure.requests.count()
            messages.success(
                request,
                f"{count} revocation{'s' if count != 1 else ''} opened, due "
                f"{timezone.localtime(departure.deadline):%A %B %-d, %-I:%M %p}.",
            )
            return redirect("revocations")
    except ValidationError as error:
        target = request_form if "open_request" in request.POST else departure_form
        target.add_error(None, error)
    return None


def _confirm_departure(
    request: AuthenticatedHttpRequest,
    person: Person,
    effects: selectors.DepartureEffects,
    confirmation: Confirmation,
    *,
    effective_on: date,
) -> HttpResponse:
    """What reporting this departure will do, from the same reading (and the same departure
    clock) the service acts on."""
    revoked = len(effects.revocations)
    clock = services.departure_clock(effective_on, timezone.now())
    due = timezone.localtime(clock.deadline)
    consequences = [
        ngettext(
            "%(count)d account of %(person)s will be revoked, due %(due)s.",
            "%(count)d accounts of %(person)s will be revoked, each due %(due)s.",
            revoked,
        )
        % {"count": revoked, "person": person.full_name, "due": f"{due:%A %B %-d, %-I:%M %p}"}
        if revoked
        else _("%(person)s holds no live account: nothing will be revoked.")
        % {"person": person.full_name}
    ]
    if clock.late_working_days:
        consequences.append(
            ngettext(
                "It is reported %(count)d working day late: the revocations are due at once.",
                "It is reported %(count)d working days late: the revocations are due at once.",
                clock.late_working_days,
            )
            % {"count": clock.late_working_days}
        )
    if effects.cancelled:
        consequences.append(
            ngettext(
                "%(count)d pending request will be cancelled.",
                "%(count)d pending requests will be cancelled.",
                len(effects.cancelled),
            )
            % {"count": len(effects.cancelled)}
        )
    if effects.signs_out:
        consequences.append(
            _("%(person)s leaves the directory and is signed out everywhere at once.")
            % {"person": person.full_name}
        )
    details = [f"{system.name}: {account.identifier}" for account, system in effects.revocations]
    details += [str(pending) for pending in effects.cancelled]
    return render_confirmation(
        request,
        confirmation,
        title=_("Report the departure of %(person)s?") % {"person": person.full_name},
        consequences=consequences,
        details=details,
        button=ngettext(
            "Report the departure and revoke %(count)d account",
            "Report the departure and revoke %(count)d accounts",
            revoked,
        )
        % {"count": revoked},
        cancel_url=reverse("person_access", args=[person.pk]),
        changed=bool(request.POST.get(CONFIRM_FIELD)),
    )


def _get_request(request: HttpRequest, pk: int) -> AccessRequest:
    found = get_object_or_404(selectors.requests_visible_to(request.user), pk=pk)
    return found


@login_required
def request_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    access_request = _get_request(request, pk)
    return _render_detail(request, access_request)


def _render_detail(
    request: AuthenticatedHttpRequest,
    access_request: AccessRequest,
    password: str | None = None,
    status: int = 200,
    forms_sent: dict[str, CompleteForm | ReasonForm] | None = None,
) -> HttpResponse:
    """One request's page; ``forms_sent``: an action's form refused, shown again as sent."""
    help_desk = has_role(request.user, Role.HELP_DESK)
    state = access_request.state
    help_desk_reset = access_request.is_help_desk_reset
    response = render(
        request,
        "access/request.html",
        {
            "r": access_request,
            "missing": services.missing_prerequisites(access_request),
            "help_desk": help_desk,
            "may_submit": help_desk and state == RequestState.READY and not help_desk_reset,
            "may_complete": help_desk and state == RequestState.SUBMITTED,
            "may_reset": help_desk
            and help_desk_reset
            and state in (RequestState.READY, RequestState.SUBMITTED),
            "may_cancel": state in OPEN_REQUEST_STATES
            and may_act(Actor.of(request.user), access_request, "cancel"),
            "complete_form": CompleteForm(access_request=access_request),
            # Two forms on one page: their fields need ids of their own.
            "deny_form": ReasonForm(auto_id="id_deny_%s"),
            "cancel_form": ReasonForm(auto_id="id_cancel_%s"),
            "password": password,
            "audit": AuditEvent.objects.for_object(access_request).select_related("actor"),
            # Fulfillers' answers by email are for the help desk, who act on them.
            "replies": access_request.replies.all() if help_desk else [],
            **(forms_sent or {}),
        },
        status=status,
    )
    return response


@login_required
@require_POST
def request_action(request: AuthenticatedHttpRequest, pk: int, action: str) -> HttpResponse:
    access_request = _get_request(request, pk)
    if action not in ("submit", "complete", "deny", "cancel"):
        raise Http404
    if not may_act(Actor.of(request.user), access_request, action):  # before the input
        raise PermissionDenied("You may not do that with this request.")
    by = Actor.of(request.user)
    form: CompleteForm | ReasonForm | None = None
    if action == "complete":
        form = CompleteForm(request.POST, access_request=access_request)
    elif action in ("deny", "cancel"):
        form = ReasonForm(request.POST, auto_id=f"id_{action}_%s")
    try:
        if form is not None and not form.is_valid():
            raise _InvalidFormError
        if action == "submit":
            services.submit(access_request, by=by)
        elif action == "complete":
            assert form is not None
            services.complete(access_request, by=by, **form.cleaned_data)
        else:
            assert form is not None
            getattr(services, action)(access_request, by=by, reason=form.cleaned_data["reason"])
    except (ValidationError, ConflictError, _InvalidFormError) as error:
        if form is None or isinstance(error, ConflictError):
            # No form, or the request moved on and its form is no longer offered: the message.
            messages.error(request, _errors(error))
            return redirect("access_request", pk)
        # The form again, as it was filled in, with the reason next to its field.
        if not isinstance(error, _InvalidFormError):
            form.add_error(None, _errors(error))
        return _render_detail(
            request,
            _get_request(request, pk),
            forms_sent={f"{action}_form": form},
            status=400,
        )
    access_request.refresh_from_db()
    messages.success(request, f"{access_request}: {access_request.get_state_display().lower()}.")
    return redirect("access_request", pk)


class _InvalidFormError(Exception):
    """A request action's form did not validate: nothing was sent to the service."""


@never_cache
@login_required
@require_POST
def reset_password(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The one response that shows the temporary password: rendered here, not stored, not put
    in a session or a message, and not cached (never_cache)."""
    access_request = _get_request(request, pk)
    if not has_role(request.user, Role.HELP_DESK):
        raise PermissionDenied("Passwords are reset by help desk staff.")
    try:
        password = services.reset_password(access_request, by=Actor.of(request.user))
    except (ValidationError, ConflictError) as error:
        messages.error(request, _errors(error))
        return redirect("access_request", pk)
    access_request.refresh_from_db()
    if access_request.provisioning_error:
        # The directory did not take it: a password that does not work is not given out.
        messages.error(
            request,
            "The directory did not accept the new password, so it was not set: do not give "
            "one out.",
        )
        return _render_detail(request, access_request)
    return _render_detail(request, access_request, password=password.value)


# --- Access reviews and the access report ----------------------------------------------------


def _staff(user: AnyUser) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


@login_required
def campaigns(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not (_staff(request.user) or expert_agency_id(request.user)):
        raise PermissionDenied("Access reviews are for local experts and help desk staff.")
    form = CampaignForm(request.POST or None)
    if request.method == "POST":
        if not has_role(request.user, Role.HELP_DESK):
            raise PermissionDenied("Help desk staff start access reviews.")
        if form.is_valid():
            deadline = timezone.make_aware(
                datetime.combine(form.cleaned_data["deadline"], time(17))
            )
            try:
                campaign = services.start_campaign(
                    by=Actor.of(request.user), name=form.cleaned_data["name"], deadline=deadline
                )
            except ValidationError as error:
                form.add_error("deadline", error)
            else:
                messages.success(request, f"{campaign} started: {campaign.items.count()} accounts.")
                return redirect("review_campaign", campaign.pk)
    items = ReviewItem.objects.all()
    agency = expert_agency_id(request.user)
    if not _staff(request.user):  # a local expert (others were refused above)
        items = items.filter(agency_id_snapshot=agency) if agency else items.none()
    rows = ReviewCampaign.objects.annotate(
        total=Count("items", filter=Q(items__in=items)),
        pending=Count("items", filter=Q(items__in=items, items__decision=ReviewDecision.PENDING)),
    )
    return render(
        request,
        "access/reviews.html",
        {"campaigns": rows, "form": form, "may_start": has_role(request.user, Role.HELP_DESK)},
    )


@login_required
def campaign_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(ReviewCampaign, pk=pk)
    items = campaign.items.select_related(
        "account__person__office", "account__credential_group", "decided_by", "revoke_request"
    )
    summary: list[dict[str, Any]] | None = None
    if _staff(request.user):
        counts = (
            items.values("agency_id_snapshot")
            .annotate(
                total=Count("pk"),
                pending=Count("pk", filter=Q(decision=ReviewDecision.PENDING)),
                removed=Count("pk", filter=Q(decision=ReviewDecision.REMOVE)),
            )
            .order_by("agency_id_snapshot")
        )
        names = dict(Agency.objects.values_list("pk", "name"))
        summary = [{**row, "agency": names.get(row["agency_id_snapshot"], "")} for row in counts]
    agency = expert_agency_id(request.user)
    mine = items.filter(agency_id_snapshot=agency) if agency else items.none()
    if not _staff(request.user) and not agency:
        raise PermissionDenied("Access reviews are for local experts and help desk staff.")
    return render(
        request,
        "access/review.html",
        {"campaign": campaign, "summary": summary, "items": mine, "reviewer": bool(agency)},
    )


@login_required
@require_POST
def decide(request: AuthenticatedHttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = get_object_or_404(
        ReviewItem.objects.select_related("account__person"), pk=item_pk, campaign_id=pk
    )
    try:
        services.decide_review(
            item,
            by=Actor.of(request.user),
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("review_campaign", pk)


@login_required
def access_report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Who has what, forms on file, last review: everyone for the help desk, the agency's
    people for its local expert."""
    accounts = Account.objects.filter(state__in=LIVE_ACCOUNT_STATES).order_by(
        "person__office__agency__name", "person__last_name", "person__first_name"
    )
    if not _staff(request.user):
        agency = expert_agency_id(request.user)
        if agency is None:
            raise PermissionDenied("The access report is for local experts and help desk staff.")
        accounts = accounts.filter(person__office__agency_id=agency)
    response = HttpResponse(selectors.report_csv(accounts), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="access-report-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
