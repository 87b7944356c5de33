from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from helpdesk.directory.forms import DirectoryFilterForm
from helpdesk.directory.permissions import offices_visible_to
from helpdesk.directory.roles import roles_of
from helpdesk.directory.selectors import office_coverage
from helpdesk.models import Absence

PAGE_SIZE = 25


def _require_a_role(request: HttpRequest) -> None:
    if not roles_of(request.user):
        raise PermissionDenied("Your login has no role yet; ask an administrator.")


@login_required
def directory(request: HttpRequest) -> HttpResponse:
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


def _filtered(offices, data: dict):
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
def office_detail(request: HttpRequest, pk: int) -> HttpResponse:
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
