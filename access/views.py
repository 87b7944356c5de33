"""Access pages: open revocations by deadline, a person's accounts and requests (new request,
departure), and one request with its steps. A temporary password is rendered once in the
response to the reset itself, never stored, never redirected through a session."""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from access import services
from access.dashboard import STATUSES, revocation_status
from access.models import (
    AccessRequest,
    Departure,
    Fulfiller,
    RequestKind,
    RequestState,
    TargetSystem,
)
from access.permissions import may_act, may_request_for, may_see_access_of
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import Agency, AuditEvent, Person
from helpdesk.transitions import ConflictError


class RequestForm(forms.Form):
    system = forms.ModelChoiceField(queryset=TargetSystem.objects.filter(active=True))
    kind = forms.ChoiceField(choices=RequestKind.choices, label="Request")
    ccms_role = forms.CharField(
        max_length=100, required=False, label="CCMS security role (new or changed access)"
    )
    reason = forms.CharField(
        max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class DepartureForm(forms.Form):
    kind = forms.ChoiceField(choices=Departure.Kind.choices, label="What happened")
    effective_on = forms.DateField(
        label="Effective on", widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CompleteForm(forms.Form):
    identifier = forms.CharField(max_length=100, required=False, label="ID created")
    note = forms.CharField(
        max_length=500, required=False, label="Confirmation (who confirmed, their reference)"
    )

    def __init__(self, *args, access_request: AccessRequest, **kwargs):
        super().__init__(*args, **kwargs)
        if access_request.kind == RequestKind.NEW:
            group = access_request.system.credential_group
            self.fields["identifier"].label = f"{group.id_label} created"
            self.fields["identifier"].help_text = group.id_hint
        else:  # only a new account gets an ID
            del self.fields["identifier"]


class RevocationFilterForm(forms.Form):
    status = forms.ChoiceField(choices=[("", "Any"), *STATUSES.items()], required=False)
    agency = forms.ModelChoiceField(queryset=Agency.objects.all(), required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


# Revocations closed this recently are still listed (below the open ones), so the help desk sees
# what each fulfiller confirmed and whether it was on time.
RECENTLY_CLOSED = timedelta(days=14)


def _requests_visible_to(user):
    """Help desk staff and administrators: all; a designated local expert: their agency's (the
    same rule as ``is_local_expert_for``, which guards their person pages)."""
    requests = AccessRequest.objects.select_related("system", "person__office__agency", "account")
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return requests
    agency_id = expert_agency_id(user)
    if agency_id is not None:
        return requests.filter(person__office__agency_id=agency_id)
    return requests.none()


def _errors(error: Exception) -> str:
    return " ".join(getattr(error, "messages", [str(error)]))


@login_required
def revocations(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT):
        raise PermissionDenied("Revocations are for local experts and help desk staff.")
    revokes = _requests_visible_to(request.user).filter(kind=RequestKind.REVOKE)
    now = timezone.now()
    # The dashboard links here by status and agency; bad values are ignored (nothing narrowed).
    narrowed = RevocationFilterForm(request.GET)
    data = narrowed.cleaned_data if narrowed.is_valid() else {}
    rows = revokes.open()
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
            "closed": revokes.exclude(state__in=services.OPEN_REQUEST_STATES)
            .filter(closed_at__gte=now - RECENTLY_CLOSED)
            .order_by("-closed_at", "-id"),
            "recent_days": RECENTLY_CLOSED.days,
        },
    )


@login_required
def person_access(request: HttpRequest, pk: int) -> HttpResponse:
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
            "request_form": request_form,
            "departure_form": departure_form,
        },
    )


def _handle_person_post(request, person, request_form, departure_form):
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


def _get_request(request: HttpRequest, pk: int) -> AccessRequest:
    found = get_object_or_404(_requests_visible_to(request.user), pk=pk)
    return found


@login_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    access_request = _get_request(request, pk)
    return _render_detail(request, access_request)


def _render_detail(request, access_request, password=None, status=200):
    help_desk = has_role(request.user, Role.HELP_DESK)
    state = access_request.state
    help_desk_reset = access_request.is_help_desk_reset
    response = render(
        request,
        "access/request.html",
        {
            "r": access_request,
            "missing": services.missing_forms(access_request),
            "help_desk": help_desk,
            "may_submit": help_desk and state == RequestState.READY and not help_desk_reset,
            "may_complete": help_desk and state == RequestState.SUBMITTED,
            "may_reset": help_desk
            and help_desk_reset
            and state in (RequestState.READY, RequestState.SUBMITTED),
            "may_cancel": state in services.OPEN_REQUEST_STATES
            and may_act(Actor.of(request.user), access_request, "cancel"),
            "complete_form": CompleteForm(access_request=access_request),
            # Two forms on one page: their fields need ids of their own.
            "deny_form": ReasonForm(auto_id="id_deny_%s"),
            "cancel_form": ReasonForm(auto_id="id_cancel_%s"),
            "password": password,
            "audit": AuditEvent.objects.for_object(access_request).select_related("actor"),
        },
        status=status,
    )
    return response


@login_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    access_request = _get_request(request, pk)
    if action not in ("submit", "complete", "deny", "cancel"):
        raise Http404
    if not may_act(Actor.of(request.user), access_request, action):  # before the input
        raise PermissionDenied("You may not do that with this request.")
    try:
        if action == "submit":
            services.submit(access_request, by=Actor.of(request.user))
        elif action == "complete":
            form = CompleteForm(request.POST, access_request=access_request)
            if not form.is_valid():
                raise ValidationError([e for errors in form.errors.values() for e in errors])
            services.complete(access_request, by=Actor.of(request.user), **form.cleaned_data)
        elif action in ("deny", "cancel"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Give the reason.")
            getattr(services, action)(
                access_request, by=Actor.of(request.user), reason=form.cleaned_data["reason"]
            )
    except (ValidationError, ConflictError) as error:
        messages.error(request, _errors(error))
    else:
        access_request.refresh_from_db()
        messages.success(
            request, f"{access_request}: {access_request.get_state_display().lower()}."
        )
    return redirect("access_request", pk)


@never_cache
@login_required
@require_POST
def reset_password(request: HttpRequest, pk: int) -> HttpResponse:
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
