from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from helpdesk.actor import Actor
from helpdesk.directory.forms import AbsenceForm, DirectoryFilterForm, ReactivationForm
from helpdesk.directory.permissions import (
    can_manage_absences_of,
    has_left,
    may_reactivate,
    offices_visible_to,
    person_of,
)
from helpdesk.directory.roles import Role, has_role, roles_of
from helpdesk.directory.selectors import office_coverage
from helpdesk.directory.services import cancel_absence, reactivate_person, record_absence
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import Absence, Office, Person, User

PAGE_SIZE = 25


def _require_a_role(request: HttpRequest) -> None:
    if not roles_of(request.user):
        raise PermissionDenied("Your login has no role yet; ask an administrator.")


@login_required
def directory(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_a_role(request)
    form = DirectoryFilterForm(request.GET or None)
    offices = offices_visible_to(request.user).filter(active=True)
    if form.is_valid():
        offices = _filtered(offices, form.cleaned_data)
    page = Paginator(offices.order_by("agency__name", "name"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    coverage = office_coverage(page.object_list)
    rows = [(office, coverage[office.pk]) for office in page.object_list]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "helpdesk/directory.html",
        {"form": form, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _filtered(offices: QuerySet[Office], data: dict[str, Any]) -> QuerySet[Office]:
    if data.get("q"):
        term = data["q"]
        offices = offices.filter(
            Q(name__icontains=term)
            | Q(city__icontains=term)
            | Q(agency__name__icontains=term)
            | Q(people__last_name__icontains=term)
            | Q(people__first_name__icontains=term)
        ).distinct()
    if data.get("region"):
        offices = offices.filter(agency__region=data["region"])
    if data.get("kind"):
        offices = offices.filter(agency__kind=data["kind"])
    return offices


@login_required
def office_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_a_role(request)
    office = get_object_or_404(offices_visible_to(request.user), pk=pk)
    now = timezone.now()
    coverage = office_coverage([office], now)[office.pk]
    people = office.people.active().prefetch_related("emails", "designations")
    expert_ids = [d.person_id for d in (coverage.primary, coverage.alternate) if d]
    absences = (
        Absence.objects.current_or_upcoming(now)
        .filter(person_id__in=expert_ids)
        .select_related("person")
    )
    return render(
        request,
        "helpdesk/office_detail.html",
        {"office": office, "coverage": coverage, "people": people, "absences": absences},
    )


# --- Absences ---------------------------------------------------------------------------------


def _people_whose_absences_user_manages(user: User) -> QuerySet[Person]:
    """Help desk staff and administrators: every designated local expert; a local expert:
    themself. Anyone else: nobody (the page is refused)."""
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return (
            Person.objects.active()
            .filter(designations__isnull=False)
            .select_related("office__agency")
            .distinct()
        )
    me = person_of(user)
    if me is not None and has_role(user, Role.LOCAL_EXPERT):
        return Person.objects.filter(pk=me.pk).select_related("office__agency")
    raise PermissionDenied("Only local experts and help desk staff record absences.")


@login_required
def absence_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    people = _people_whose_absences_user_manages(request.user)
    absences = (
        Absence.objects.current_or_upcoming()
        .filter(person__in=people)
        .select_related("person__office__agency", "recorded_by")
        .order_by("starts_at")
    )
    return render(request, "helpdesk/absence_list.html", {"absences": absences})


@login_required
def absence_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    people = _people_whose_absences_user_manages(request.user)
    form = AbsenceForm(request.POST or None, people=people)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            record_absence(
                data["person"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                reason=data["reason"],
                by=Actor.of(request.user),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Absence recorded for {data['person']}.")
            return redirect("absence_list")
    return render(request, "helpdesk/absence_form.html", {"form": form})


@login_required
@require_POST
def absence_cancel(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence.objects.select_related("person"), pk=pk)
    if not can_manage_absences_of(request.user, absence.person):
        raise PermissionDenied  # a 403 that says nothing more; the list never offers this
    if absence.ends_at <= timezone.now():
        messages.error(request, "That absence is already over.")
    else:
        cancel_absence(absence, by=Actor.of(request.user), note="Cancelled on the absences page.")
        messages.success(request, f"Absence of {absence.person} cancelled.")
    return redirect("absence_list")


# --- Leavers ----------------------------------------------------------------------------------


@login_required
@require_POST
def person_reactivate(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The help desk restores someone who had left (the form is on the person's access page)."""
    if not may_reactivate(request.user):
        raise PermissionDenied("Only help desk staff reactivate people.")
    person = get_object_or_404(Person, pk=pk)
    form = ReactivationForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("Say why this person is reactivated."))
    elif not has_left(person):
        messages.info(request, gettext("%(person)s is already active.") % {"person": person})
    else:
        reactivate_person(person, by=Actor.of(request.user), reason=form.cleaned_data["reason"])
        messages.success(
            request,
            gettext("%(person)s is active again; designations are not restored.")
            % {"person": person},
        )
    return redirect(_back(request))


def _back(request: HttpRequest) -> str:
    """Where the form came from, when it is this site; else the directory."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "directory"
