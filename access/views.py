"""Access pages: open revocations by deadline, a person's accounts and requests (new request,
departure), and one request with its steps. A temporary password is rendered once in the
response to the reset itself, never stored, never redirected through a session."""

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
from access.models import (
    AccessRequest,
    Departure,
    Fulfiller,
    RequestKind,
    RequestState,
    TargetSystem,
)
from access.permissions import may_request_for, may_see_access_of
from helpdesk.models import AuditEvent, Person
from helpdesk.permissions import agency_id_of
from helpdesk.roles import Role, has_role


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


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=forms.Textarea(attrs={"rows": 2}))


def _requests_visible_to(user):
    requests = AccessRequest.objects.select_related("system", "person__office__agency", "account")
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return requests
    if has_role(user, Role.LOCAL_EXPERT) and agency_id_of(user) is not None:
        return requests.filter(person__office__agency_id=agency_id_of(user))
    return requests.none()


@login_required
def revocations(request: HttpRequest) -> HttpResponse:
    if not has_role(request.user, Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT):
        raise PermissionDenied("Revocations are for local experts and help desk staff.")
    rows = (
        _requests_visible_to(request.user)
        .open()
        .filter(kind=RequestKind.REVOKE)
        .order_by("deadline", "id")
    )
    return render(request, "access/revocations.html", {"rows": rows, "now": timezone.now()})


@login_required
def person_access(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("office__agency"), pk=pk)
    if not may_see_access_of(request.user, person):
        raise Http404
    may_request = may_request_for(request.user, person)
    request_form = RequestForm(request.POST if "open_request" in request.POST else None)
    departure_form = DepartureForm(request.POST if "report_departure" in request.POST else None)
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
                by=request.user,
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
                by=request.user,
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
    response = render(
        request,
        "access/request.html",
        {
            "r": access_request,
            "missing": services.missing_forms(access_request),
            "help_desk": help_desk,
            "may_submit": help_desk and state == RequestState.READY,
            "may_complete": help_desk and state == RequestState.SUBMITTED,
            "may_reset": help_desk
            and access_request.kind == RequestKind.RESET
            and access_request.fulfiller == Fulfiller.HELP_DESK
            and state in (RequestState.READY, RequestState.SUBMITTED),
            "may_cancel": state in services.OPEN_REQUEST_STATES
            and access_request.user_may(request.user, "cancel"),
            "complete_form": CompleteForm(),
            "reason_form": ReasonForm(),
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
    try:
        if action == "submit":
            services.submit(access_request, by=request.user)
        elif action == "complete":
            form = CompleteForm(request.POST)
            form.is_valid()
            services.complete(access_request, by=request.user, **form.cleaned_data)
        elif action in ("deny", "cancel"):
            form = ReasonForm(request.POST)
            if not form.is_valid():
                raise ValidationError("Give the reason.")
            getattr(services, action)(
                access_request, by=request.user, reason=form.cleaned_data["reason"]
            )
        else:
            raise Http404
    except (ValidationError, services.RequestConflictError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Done.")
    return redirect("access_request", pk)


@never_cache
@login_required
@require_POST
def reset_password(request: HttpRequest, pk: int) -> HttpResponse:
    """The one response that shows the temporary password: rendered here, not stored, not put
    in a session or a message, and not cached (never_cache)."""
    access_request = _get_request(request, pk)
    try:
        password = services.reset_password(access_request, by=request.user)
    except (ValidationError, services.RequestConflictError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("access_request", pk)
    access_request.refresh_from_db()
    return _render_detail(request, access_request, password=password.value)
