"""Security forms pages: tracking, issue, a person's forms, one form with its steps, and the
permission-checked, audited downloads. Thin: rules are in ``services`` and ``permissions``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from forms_4052_4055 import forms as ff
from forms_4052_4055 import selectors, services
from forms_4052_4055.models import OUTSTANDING, FormState, SecurityForm, SecurityFormQuerySet
from forms_4052_4055.permissions import (
    expert_agency_id,
    may_act,
    may_download_documents,
    may_issue_for,
    may_see_forms_of,
)
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.permissions import offices_visible_to
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.models import AuditEvent, AuditKind, Office, Person
from helpdesk.models.directory import PersonQuerySet
from helpdesk.transitions import ConflictError

PAGE_SIZE = 50


def _forms_visible_to(user: AnyUser) -> SecurityFormQuerySet:
    """Help desk staff and administrators: every form; a local expert: their agency's."""
    forms = SecurityForm.objects.select_related("form_type", "person__office__agency")
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return forms
    agency_id = expert_agency_id(user)
    if agency_id is not None:
        return forms.filter(person__office__agency_id=agency_id)
    return forms.none()


def _people_for(user: AnyUser) -> PersonQuerySet:
    """Whom ``user`` may issue forms for: anyone active for the help desk, the active staff of
    their own agency for a local expert, nobody for anyone else."""
    people = Person.objects.active().select_related("office__agency")
    if has_role(user, Role.HELP_DESK):
        return people
    agency_id = expert_agency_id(user)
    if agency_id is not None:
        return people.filter(office__agency_id=agency_id)
    return people.none()


def _may_issue_any(user: AnyUser) -> bool:
    return has_role(user, Role.HELP_DESK) or expert_agency_id(user) is not None


def _require_forms_user(user: AnyUser) -> None:
    if not has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR, Role.LOCAL_EXPERT):
        raise PermissionDenied("Security forms are for local experts and help desk staff.")


def _get_form(request: HttpRequest, pk: int) -> SecurityForm:
    form = get_object_or_404(
        SecurityForm.objects.select_related("form_type", "person__office__agency"), pk=pk
    )
    if not may_see_forms_of(request.user, form.person):
        raise Http404  # never a hint that it exists
    return form


@login_required
def tracking(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_forms_user(request.user)
    filters = ff.TrackingFilterForm(request.GET or None, offices=_filter_offices(request.user))
    data = filters.cleaned_data if filters.is_valid() else {}
    forms = _forms_visible_to(request.user)
    forms = forms.filter(state=data["state"]) if data.get("state") else forms.outstanding()
    for name in ("agency", "office", "form_type"):
        if data.get(name):
            lookup = {"agency": "person__office__agency", "office": "person__office"}.get(
                name, name
            )
            forms = forms.filter(**{lookup: data[name]})
    if data.get("overdue"):
        forms = forms.overdue()
    page = IdsFirstPaginator(forms.order_by("due_at", "id"), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "forms_4052_4055/tracking.html",
        {
            "filters": filters,
            "page": page,
            "query": query.urlencode(),
            "now": timezone.now(),
            "may_issue": _may_issue_any(request.user),
        },
    )


def _filter_offices(user: AnyUser) -> QuerySet[Office]:
    """The offices (and so agencies) a user may filter by: every one for help desk staff and
    administrators, their own agency's for a local expert; never a list of the others."""
    if has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR):
        return offices_visible_to(user)
    agency_id = expert_agency_id(user)
    offices = offices_visible_to(user)
    return offices.filter(agency_id=agency_id) if agency_id is not None else offices.none()


@login_required
def issue(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not _may_issue_any(request.user):
        raise PermissionDenied("Forms are issued by help desk staff and local experts.")
    people = _people_for(request.user)
    initial = {"person": request.GET.get("person")} if request.GET.get("person") else None
    form = ff.IssueForm(request.POST or None, initial=initial, people=people)
    if request.method == "POST" and form.is_valid():
        person = form.cleaned_data["person"]
        if not may_issue_for(request.user, person):
            raise PermissionDenied("You may issue forms only for people of your own agency.")
        try:
            result = services.issue_forms(
                person,
                form.cleaned_data["systems"],
                by=Actor.of(request.user),
                ccms_role=form.cleaned_data["ccms_role"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if result.issued:
                refs = ", ".join(f"{f.form_type.code} ({f.reference})" for f in result.issued)
                messages.success(request, f"Issued {refs}; emailed to {person.full_name}.")
            for current in result.already:
                messages.info(
                    request,
                    f"{current.form_type.code} not issued again: {current.reference} is "
                    f"{current.get_state_display().lower()}.",
                )
            return redirect("person_forms", person.pk)
    return render(request, "forms_4052_4055/issue.html", {"form": form})


@login_required
def person_forms(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(Person.objects.select_related("office__agency"), pk=pk)
    if not may_see_forms_of(request.user, person):
        raise Http404
    forms = person.security_forms.select_related("form_type").order_by("-issued_at", "-id")
    return render(
        request,
        "forms_4052_4055/person.html",
        {
            "person": person,
            "forms": forms,
            "may_issue": person.active and may_issue_for(request.user, person),
            "on_file": [
                selectors.forms_on_file(person, system) for system, _label in ff.SYSTEM_CHOICES
            ],
        },
    )


@login_required
def form_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = _get_form(request, pk)
    help_desk = has_role(request.user, Role.HELP_DESK)
    return render(
        request,
        "forms_4052_4055/detail.html",
        {
            "form": form,
            "documents": form.documents.select_related("uploaded_by"),
            "may_download": may_download_documents(request.user),
            "may_upload": form.state in (FormState.ISSUED, FormState.RETURNED, FormState.RECEIVED)
            and may_act(Actor.of(request.user), form, "receive"),
            "may_verify": help_desk and form.state == FormState.RECEIVED,
            "may_file": help_desk and form.state == FormState.VERIFIED,
            "may_void": help_desk and form.state in [*OUTSTANDING, FormState.FILED],
            "upload_form": ff.UploadForm(),
            "verify_form": ff.verify_form_for(form.form_type),
            "void_form": ff.VoidForm(),
            "audit": AuditEvent.objects.for_object(form).select_related("actor"),
            # Replies by email that filed no copy are for the help desk, who act on them.
            "replies": form.replies.all() if help_desk else [],
        },
    )


@login_required
@require_POST
def form_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = _get_form(request, pk)
    upload = ff.UploadForm(request.POST, request.FILES)
    if not upload.is_valid():
        # Why: no file, an empty one, one over the size limit (checked before it is read).
        errors = upload.errors.get("document", ["Choose a file."])
        messages.error(request, " ".join(map(str, errors)))
        return redirect("form_detail", pk)
    document = upload.cleaned_data["document"]
    try:
        services.receive(form, by=Actor.of(request.user), name=document.name, data=document.read())
    except (ValidationError, ConflictError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    else:
        messages.success(request, "Signed copy received.")
    return redirect("form_detail", pk)


@login_required
@require_POST
def form_verify(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = _get_form(request, pk)
    checks = ff.verify_form_for(form.form_type, request.POST)
    if not checks.is_valid():
        messages.error(request, "Answer every item of the checklist.")
        return redirect("form_detail", pk)
    results = {
        item: checks.cleaned_data[f"item_{index}"]
        for index, item in enumerate(form.form_type.checklist)
    }
    try:
        done = services.verify(
            form, by=Actor.of(request.user), results=results, note=checks.cleaned_data["note"]
        )
    except (ValidationError, ConflictError) as error:
        messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
        return redirect("form_detail", pk)
    if done.state == FormState.RETURNED:
        messages.warning(request, "Returned to the sender with the reasons.")
    else:
        messages.success(request, "Verified. File it to put it on record.")
    return redirect("form_detail", pk)


@login_required
@require_POST
def form_file(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = _get_form(request, pk)
    try:
        services.file_form(form, by=Actor.of(request.user))
    except ConflictError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{form.reference} filed.")
    return redirect("form_detail", pk)


@login_required
@require_POST
def form_void(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    form = _get_form(request, pk)
    void = ff.VoidForm(request.POST)
    if not void.is_valid():
        messages.error(request, "Say why the form is void.")
        return redirect("form_detail", pk)
    try:
        services.void_form(form, by=Actor.of(request.user), reason=void.cleaned_data["reason"])
    except ConflictError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{form.reference} is void.")
    return redirect("form_detail", pk)


def _private_download(
    request: AuthenticatedHttpRequest,
    file: FieldFile,
    *,
    name: str,
    content_type: str,
    target: Model,
    what: str,
) -> FileResponse:
    record(AuditKind.DOWNLOADED, actor=Actor.of(request.user), target=target, note=what)
    response = FileResponse(
        file.open("rb"), as_attachment=True, filename=name, content_type=content_type
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def document_download(request: AuthenticatedHttpRequest, pk: int, document_pk: int) -> FileResponse:
    if not may_download_documents(request.user):
        raise PermissionDenied("Signed forms are downloaded by help desk staff only.")
    form = get_object_or_404(SecurityForm, pk=pk)
    document = get_object_or_404(form.documents, pk=document_pk)
    return _private_download(
        request,
        document.file,
        name=document.original_name,
        content_type=document.content_type,
        target=form,
        what=f"Signed copy downloaded: {document.original_name}",
    )


@login_required
def blank_download(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    form = _get_form(request, pk)
    if not form.blank_pdf:
        raise Http404
    return _private_download(
        request,
        form.blank_pdf,
        name=f"{form.reference}.pdf",
        content_type="application/pdf",
        target=form,
        what="Issued form downloaded.",
    )
