"""The local expert's "My office's staff" page (issue 18): each person of an office they are
designated for, with their role in the office, contact details, status and the access they
hold, and the actions on them. It lives in the access app because it shows access; adding and
editing people are the directory's pages (``helpdesk.directory.views``), requesting access and
reporting a departure the person's access page (``access.views.person_access``), with its
confirmation and the departure clock."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from access.selectors import staff_access
from helpdesk.directory.permissions import staff_offices_of
from helpdesk.directory.selectors import office_coverage
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import DesignationRequestState


@login_required
def staff_list(request: AuthenticatedHttpRequest, office_pk: int | None = None) -> HttpResponse:
    offices = list(staff_offices_of(request.user).order_by("agency__name", "name"))
    if not offices:
        raise PermissionDenied(_("The staff list is for the office's local experts."))
    if office_pk is None:
        if len(offices) == 1:
            return redirect("staff_list_office", offices[0].pk)
        return render(request, "access/staff_offices.html", {"offices": offices})
    office = get_object_or_404(staff_offices_of(request.user), pk=office_pk)
    people = list(
        office.people.prefetch_related("emails", "designations").order_by(
            "-active", "last_name", "first_name"
        )
    )
    held = staff_access(people)
    coverage = office_coverage([office])[office.pk]
    return render(
        request,
        "access/staff.html",
        {
            "office": office,
            "offices": offices,
            "coverage": coverage,
            "rows": [(person, held[person.pk]) for person in people],
            "pending_designations": office.designation_requests.filter(
                state=DesignationRequestState.PENDING
            ).select_related("person"),
        },
    )
