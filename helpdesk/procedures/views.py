"""The procedures library pages: list and search, one procedure, its history and diffs, the
staff's edits (new version, archive, restore, re-send), acknowledging (signed in, or by the
emailed link) and the acknowledgements report. Thin: rules live in
``helpdesk.procedures.services`` and ``helpdesk.procedures.onboarding``."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from helpdesk.actor import Actor
from helpdesk.directory.permissions import offices_visible_to, person_of
from helpdesk.lib.csv_export import csv_response
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.lib.markdown import render_markdown
from helpdesk.lib.pagination import IdsFirstPaginator
from helpdesk.lib.throttle import Limit, limited
from helpdesk.models import AuditEvent, Office, Procedure
from helpdesk.procedures import forms as pf
from helpdesk.procedures import onboarding
from helpdesk.procedures import services as ps

PAGE_SIZE = 25
ACK_PAGE_SIZE = 100


def _require_manager(request: HttpRequest) -> None:
    if not ps.may_manage_procedures(request.user):
        raise PermissionDenied("Only help desk staff and administrators change procedures.")


def _managed_procedure(request: HttpRequest, pk: int) -> Procedure:
    _require_manager(request)
    return ps.get_procedure_for_user(request.user, pk)


@login_required
def procedure_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = pf.ProcedureSearchForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    manager = ps.may_manage_procedures(request.user)
    procedures = ps.procedures_visible_to(request.user)
    if manager and data.get("archived"):
        procedures = procedures.exclude(archived_at=None)
    else:
        procedures = procedures.live()
    procedures = ps.search(procedures, text=data.get("q", ""), audience=data.get("audience", ""))
    page = IdsFirstPaginator(procedures.order_by("current_version__title", "pk"), PAGE_SIZE)
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/list.html",
        {
            "form": form,
            "manager": manager,
            "page": page.get_page(request.GET.get("page")),
            "query": query.urlencode(),
        },
    )


@login_required
def procedure_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = ps.get_procedure_for_user(request.user, pk)
    manager = ps.may_manage_procedures(request.user)
    version = procedure.current
    return render(
        request,
        "procedures/detail.html",
        {
            "procedure": procedure,
            "version": version,
            "body_html": render_markdown(version.body),
            "manager": manager,
            "acknowledged": onboarding.acknowledged_current(request.user, procedure),
            "may_acknowledge": person_of(request.user) is not None,
            "archive_form": pf.ArchiveForm(),
            "audit": AuditEvent.objects.for_object(procedure).select_related("actor")[:20]
            if manager
            else [],
        },
    )


@login_required
def procedure_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    _require_manager(request)
    form = pf.ProcedureForm(request.POST or None, initial={"change_note": "First version."})
    if request.method == "POST" and form.is_valid():
        procedure = ps.create_procedure(by=Actor.of(request.user), **form.cleaned_data)
        messages.success(request, "Procedure created.")
        return redirect("procedure_detail", procedure.pk)
    return render(request, "procedures/form.html", {"form": form, "procedure": None})


@login_required
def procedure_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = _managed_procedure(request, pk)
    form = pf.ProcedureForm.for_procedure(procedure, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            version = ps.edit_procedure(procedure, by=Actor.of(request.user), **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"Saved as version {version.number}.")
            return redirect("procedure_detail", procedure.pk)
    return render(request, "procedures/form.html", {"form": form, "procedure": procedure})


@login_required
@require_POST
def procedure_archive(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = _managed_procedure(request, pk)
    form = pf.ArchiveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say why the procedure is archived.")
        return redirect("procedure_detail", pk)
    try:
        ps.archive_procedure(
            procedure, by=Actor.of(request.user), reason=form.cleaned_data["reason"]
        )
        messages.success(request, "Archived. Readers no longer see it; its history is kept.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("procedure_detail", pk)


@login_required
@require_POST
def procedure_restore(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = _managed_procedure(request, pk)
    try:
        ps.restore_procedure(procedure, by=Actor.of(request.user))
        messages.success(request, "Restored. Its readers see it again.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("procedure_detail", pk)


@login_required
@require_POST
def procedure_resend(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = _managed_procedure(request, pk)
    try:
        count = onboarding.resend_procedure(procedure, by=Actor.of(request.user))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Sent to {count} {'person' if count == 1 else 'people'}.")
    return redirect("procedure_detail", pk)


@login_required
def procedure_history(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = ps.get_procedure_for_user(request.user, pk)
    versions = procedure.versions.select_related("created_by").order_by("-number")
    return render(
        request, "procedures/history.html", {"procedure": procedure, "versions": versions}
    )


@login_required
def procedure_version(request: AuthenticatedHttpRequest, pk: int, number: int) -> HttpResponse:
    """One version, with what changed since the one before it."""
    procedure = ps.get_procedure_for_user(request.user, pk)
    version = get_object_or_404(procedure.versions.select_related("created_by"), number=number)
    previous = ps.previous_version(version)
    return render(
        request,
        "procedures/version.html",
        {
            "procedure": procedure,
            "version": version,
            "previous": previous,
            "title_changed": previous is not None and previous.title != version.title,
            "diff": ps.version_diff(previous, version),
        },
    )


@login_required
@require_POST
def procedure_acknowledge(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    procedure = ps.get_procedure_for_user(request.user, pk)
    if procedure.archived:
        raise Http404("No such procedure.")
    try:
        onboarding.acknowledge_as_user(procedure, user=request.user)
        messages.success(request, "Thank you: your acknowledgement is recorded.")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("procedure_detail", pk)


# The emailed link a reader opened in this browser, by id (never its token).
OPENED_LINK = "procedures:opened_link"


@never_cache
@limited(Limit("token_links_per_address"))
def acknowledge_link(request: HttpRequest) -> HttpResponse:
    """The emailed link, for people who may have no login. Its token is in the URL's fragment,
    which browsers never send, so it is in no access log: the page's script posts it as
    ``code`` (or the reader pastes it). Once checked, the session remembers the link by id and
    the page shows its procedures; the button acknowledges them. A GET changes nothing (mail
    scanners follow links)."""
    if request.method == "POST" and "code" in request.POST:
        return _open_link(request, str(request.POST["code"]).strip())
    link_id = request.session.get(OPENED_LINK)
    if link_id is None:
        return _link_page(request, ask_for_code=True)
    try:
        if request.method == "POST":
            done = onboarding.acknowledge_by_link(link_id)
            del request.session[OPENED_LINK]
            return _link_page(request, posted=True, done=done)
        link = onboarding.opened_link(link_id)
    except onboarding.LinkError as problem:
        request.session.pop(OPENED_LINK, None)
        return _link_page(request, error=str(problem))
    rows = [
        (row, render_markdown(row.version.body))
        for row in link.acknowledgements.select_related("version").order_by("version__title")
    ]
    return _link_page(request, rows=rows)


@never_cache
@limited(Limit("token_links_per_address"), methods=("GET", "POST"))
def acknowledge_link_with_token_in_path(request: HttpRequest, token: str) -> HttpResponse:
    """Links mailed before the token moved to the fragment keep working: the token (in this
    one request line, as before) is checked and the reader goes on to the page without it."""
    return _open_link(request, token)


def _open_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = onboarding.link_for_token(token)
    except onboarding.LinkError as problem:
        return _link_page(request, error=str(problem), ask_for_code=True)
    request.session[OPENED_LINK] = link.pk
    return redirect("procedure_acknowledge_link")


def _link_page(request: HttpRequest, *, error: str = "", **context: object) -> HttpResponse:
    # The site's Referrer-Policy (same-origin) applies: no URL here holds the token, and
    # "no-referrer" made Chromium post the page's forms with "Origin: null", which CSRF refuses.
    return render(
        request,
        "procedures/acknowledge_link.html",
        {"error": error, "rows": [], "done": 0, "posted": False, "ask_for_code": False} | context,
        status=404 if error else 200,
    )


@login_required
def acknowledgement_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    scoped = onboarding.acknowledgements_visible_to(request.user)  # refuses anyone else
    form = pf.AcknowledgementFilterForm(
        request.GET or None,
        procedures=ps.procedures_visible_to(request.user).live(),
        offices=offices_visible_to(request.user),
    )
    data = form.cleaned_data if form.is_valid() else {}
    rows = onboarding.filter_acknowledgements(
        scoped,
        procedure=data.get("procedure"),
        agency=data.get("agency"),
        office=data.get("office"),
        outstanding_only=bool(data.get("outstanding")),
    )
    if request.GET.get("format") == "csv":
        return csv_response(
            f"acknowledgements-{timezone.localdate().isoformat()}.csv",
            onboarding.CSV_HEADER,
            onboarding.acknowledgement_csv_rows(rows),
        )
    counts_scope = onboarding.filter_acknowledgements(
        scoped, agency=data.get("agency"), office=data.get("office")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "procedures/acknowledgements.html",
        {
            "form": form,
            "counts": onboarding.counts_per_procedure(counts_scope),
            "page": IdsFirstPaginator(rows, ACK_PAGE_SIZE).get_page(request.GET.get("page")),
            "query": query.urlencode(),
            "office": data.get("office"),
            "manager": ps.may_manage_procedures(request.user),
        },
    )


@login_required
@require_POST
def office_send_welcome(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    _require_manager(request)
    office = get_object_or_404(Office, pk=pk)
    count = onboarding.send_welcome_packet_to_office(office, by=Actor.of(request.user))
    if count:
        messages.success(request, f"Welcome packet sent to {count} in {office}.")
    else:
        messages.info(request, f"Everyone in {office} has been sent the current procedures.")
    return redirect(f"{reverse('acknowledgement_list')}?office={office.pk}")
