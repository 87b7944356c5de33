from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from helpdesk.actor import Actor
from helpdesk.directory import staff
from helpdesk.directory.forms import (
    AbsenceForm,
    DecisionNoteForm,
    DesignationRequestForm,
    DirectoryFilterForm,
    ReactivationForm,
    ReasonForm,
    StaffChangeFilterForm,
    StaffPersonForm,
)
from helpdesk.directory.permissions import (
    can_manage_absences_of,
    has_left,
    may_reactivate,
    may_review_staff_lists,
    offices_visible_to,
    person_of,
    staff_offices_of,
)
from helpdesk.directory.roles import Role, has_role, roles_of
from helpdesk.directory.selectors import office_coverage
from helpdesk.directory.services import cancel_absence, reactivate_person, record_absence
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import (
    Absence,
    DesignationRequest,
    DesignationRequestState,
    Office,
    Person,
    StaffChange,
    StaffChangeKind,
    User,
)

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


# --- The agency's staff list (its page is the access app's: ``access.staff``) -----------------


def _my_office(request: AuthenticatedHttpRequest, office_pk: int) -> Office:
    """An office whose staff list the caller runs: 403 for who runs none, 404 for another's."""
    offices = staff_offices_of(request.user)
    if not offices.exists():
        raise PermissionDenied(gettext("The staff list is for the office's local experts."))
    return get_object_or_404(offices, pk=office_pk)


def _staff_list_url(office: Office) -> str:
    return reverse("staff_list_office", args=[office.pk])


def _service_errors(form: Any, error: ValidationError) -> None:
    """A service's refusal, next to its field when it names one."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@login_required
def staff_person_new(request: AuthenticatedHttpRequest, office_pk: int) -> HttpResponse:
    office = _my_office(request, office_pk)
    form = StaffPersonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            person = staff.add_person_to_office(
                office, by=Actor.of(request.user), **form.cleaned_data
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(
                request, gettext("%(person)s added to the staff list.") % {"person": person}
            )
            return redirect(_staff_list_url(office))
    return render(
        request,
        "helpdesk/staff_person_form.html",
        {
            "form": form,
            "office": office,
            "title": gettext("Add a person to %(office)s") % {"office": office},
            "button": gettext("Add the person"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def staff_person_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    offices = staff_offices_of(request.user)
    if not offices.exists():
        raise PermissionDenied(gettext("The staff list is for the office's local experts."))
    person = get_object_or_404(
        Person.objects.active().filter(office__in=offices).select_related("office"), pk=pk
    )
    form = StaffPersonForm(request.POST or None, initial=staff.staff_values(person))
    if request.method == "POST" and form.is_valid():
        try:
            staff.update_person(person, by=Actor.of(request.user), **form.cleaned_data)
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, gettext("%(person)s saved.") % {"person": person})
            return redirect(_staff_list_url(person.office))
    return render(
        request,
        "helpdesk/staff_person_form.html",
        {
            "form": form,
            "office": person.office,
            "title": gettext("Edit %(person)s") % {"person": person.full_name},
            "button": gettext("Save"),
        },
        status=400 if form.errors else 200,
    )


@login_required
def designation_request_new(request: AuthenticatedHttpRequest, office_pk: int) -> HttpResponse:
    office = _my_office(request, office_pk)
    form = DesignationRequestForm(request.POST or None, office=office)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            staff.request_designation_change(
                office,
                data["person"],
                data["role"],
                by=Actor.of(request.user),
                reason=data["reason"],
                effective_on=data["effective_on"],
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(
                request, gettext("Your request was sent to the help desk for approval.")
            )
            return redirect(_staff_list_url(office))
    return render(
        request,
        "helpdesk/designation_request_form.html",
        {
            "form": form,
            "office": office,
            "pending": office.designation_requests.filter(
                state=DesignationRequestState.PENDING
            ).select_related("person"),
        },
        status=400 if form.errors else 200,
    )


def _require_reviewer(request: AuthenticatedHttpRequest) -> None:
    if not may_review_staff_lists(request.user):
        raise PermissionDenied(gettext("Staff list changes are reviewed by the help desk."))


@login_required
def staff_changes(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reviewer(request)
    return _render_staff_changes(request)


def _render_staff_changes(
    request: AuthenticatedHttpRequest,
    sent: tuple[int, ReasonForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    narrowed = StaffChangeFilterForm(request.GET)
    data = narrowed.cleaned_data if narrowed.is_valid() else {}
    changes = StaffChange.objects.select_related("office__agency", "person", "made_by", "undone_by")
    if data.get("agency"):
        changes = changes.filter(office__agency=data["agency"])
    if data.get("office"):
        changes = changes.filter(office=data["office"])
    page = Paginator(changes, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = []
    for change in page.object_list:
        form = (
            sent[1]
            if sent and sent[0] == change.pk
            else ReasonForm(auto_id=f"id_undo{change.pk}_%s")
        )
        rows.append(
            {
                "change": change,
                "refusal": staff.undo_refusal(change),
                "form": form,
                "fields": _changed_fields(change),
            }
        )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "helpdesk/staff_changes.html",
        {"narrowed": narrowed, "page": page, "rows": rows, "query": query.urlencode()},
        status=status,
    )


_FIELD_LABELS = {name: StaffPersonForm.base_fields[name].label for name in staff.STAFF_FIELDS}


def _changed_fields(change: StaffChange) -> list[tuple[Any, str, str]]:
    """(label, before, after) of each field the change set or changed."""
    if change.kind == StaffChangeKind.LEFT:
        return []
    before, after = change.before or {}, change.after or {}
    return [
        (_FIELD_LABELS[name], before.get(name, ""), after.get(name, ""))
        for name in staff.STAFF_FIELDS
        if before.get(name, "") != after.get(name, "")
    ]


@login_required
@require_POST
def staff_change_undo(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_reviewer(request)
    change = get_object_or_404(StaffChange, pk=pk)
    form = ReasonForm(request.POST, auto_id=f"id_undo{change.pk}_%s")
    if form.is_valid():
        try:
            staff.undo_staff_change(
                change, by=Actor.of(request.user), reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            _service_errors(form, error)
        else:
            messages.success(request, gettext("Undone: %(change)s.") % {"change": change})
            return redirect("staff_changes")
    return _render_staff_changes(request, sent=(change.pk, form), status=400)


@login_required
def designation_requests(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_reviewer(request)
    return _render_designation_requests(request)


def _render_designation_requests(
    request: AuthenticatedHttpRequest,
    sent: tuple[int, str, ReasonForm | DecisionNoteForm] | None = None,
    status: int = 200,
) -> HttpResponse:
    pending = DesignationRequest.objects.filter(
        state=DesignationRequestState.PENDING
    ).select_related("office__agency", "person", "requested_by")
    coverage = office_coverage({r.office for r in pending})
    rows = []
    for asked in pending:
        approve = DecisionNoteForm(auto_id=f"id_approve{asked.pk}_%s")
        decline = ReasonForm(auto_id=f"id_decline{asked.pk}_%s")
        if sent and sent[0] == asked.pk:
            if sent[1] == "approve":
                approve = sent[2]  # type: ignore[assignment]
            else:
                decline = sent[2]  # type: ignore[assignment]
        rows.append(
            {
                "request": asked,
                "coverage": coverage[asked.office_id],
                "approve_form": approve,
                "decline_form": decline,
            }
        )
    decided = (
        DesignationRequest.objects.exclude(state=DesignationRequestState.PENDING)
        .select_related("office", "person", "decided_by")
        .order_by("-decided_at", "-id")[:PAGE_SIZE]
    )
    return render(
        request,
        "helpdesk/designation_requests.html",
        {"rows": rows, "decided": decided},
        status=status,
    )


@login_required
@require_POST
def designation_request_decide(
    request: AuthenticatedHttpRequest, pk: int, action: str
) -> HttpResponse:
    _require_reviewer(request)
    if action not in ("approve", "decline"):
        raise Http404
    asked = get_object_or_404(DesignationRequest, pk=pk)
    by = Actor.of(request.user)
    form: ReasonForm | DecisionNoteForm
    if action == "approve":
        form = DecisionNoteForm(request.POST, auto_id=f"id_approve{asked.pk}_%s")
    else:
        form = ReasonForm(request.POST, auto_id=f"id_decline{asked.pk}_%s")
    if form.is_valid():
        try:
            if action == "approve":
                staff.approve_designation_request(asked, by=by, note=form.cleaned_data["note"])
                done = gettext("Approved: %(request)s.")
            else:
                staff.decline_designation_request(asked, by=by, reason=form.cleaned_data["reason"])
                done = gettext("Declined: %(request)s.")
        except ValidationError as error:
            asked.refresh_from_db()
            if asked.state != DesignationRequestState.PENDING:
                # Decided meanwhile (another of the help desk): its forms are no longer offered.
                messages.error(request, " ".join(error.messages))
                return redirect("designation_requests")
            _service_errors(form, error)
        else:
            messages.success(request, done % {"request": asked})
            return redirect("designation_requests")
    return _render_designation_requests(request, sent=(asked.pk, action, form), status=400)
