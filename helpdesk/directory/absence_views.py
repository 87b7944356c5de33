from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from helpdesk.directory.forms import AbsenceForm
from helpdesk.directory.permissions import can_manage_absences_of, person_of
from helpdesk.directory.roles import Role, has_role
from helpdesk.directory.services import cancel_absence, record_absence
from helpdesk.models import Absence, Person


def _people_whose_absences_user_manages(user) -> QuerySet[Person]:
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
def absence_list(request: HttpRequest) -> HttpResponse:
    people = _people_whose_absences_user_manages(request.user)
    absences = (
        Absence.objects.current_or_upcoming()
        .filter(person__in=people)
        .select_related("person__office__agency", "recorded_by")
        .order_by("starts_at")
    )
    return render(request, "helpdesk/absence_list.html", {"absences": absences})


@login_required
def absence_new(request: HttpRequest) -> HttpResponse:
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
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Absence recorded for {data['person']}.")
            return redirect("absence_list")
    return render(request, "helpdesk/absence_form.html", {"form": form})


@login_required
@require_POST
def absence_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    absence = get_object_or_404(Absence.objects.select_related("person"), pk=pk)
    if not can_manage_absences_of(request.user, absence.person):
        raise PermissionDenied  # a 403 that says nothing more; the list never offers this
    if absence.ends_at <= timezone.now():
        messages.error(request, "That absence is already over.")
    else:
        cancel_absence(absence, by=request.user, note="Cancelled on the absences page.")
        messages.success(request, f"Absence of {absence.person} cancelled.")
    return redirect("absence_list")
