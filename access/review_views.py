"""Access review pages and the access report (CSV). Thin: rules are in ``access.reviews``."""

from datetime import datetime, time

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from access import reviews
from access.models import Account, ReviewCampaign, ReviewDecision, ReviewItem
from access.services import LIVE_ACCOUNT_STATES
from forms_4052_4055.permissions import expert_agency_id
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role, has_role
from helpdesk.models import Agency


class CampaignForm(forms.Form):
    # A callable: the year of the day the form is shown, not of the day the worker started.
    name = forms.CharField(
        max_length=150, initial=lambda: f"Access review {timezone.localdate().year}"
    )
    deadline = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


def _staff(user) -> bool:
    return has_role(user, Role.HELP_DESK, Role.ADMINISTRATOR)


@login_required
def campaigns(request: HttpRequest) -> HttpResponse:
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
                campaign = reviews.start_campaign(
                    by=Actor.of(request.user), name=form.cleaned_data["name"], deadline=deadline
                )
            except ValidationError as error:
                form.add_error("deadline", error)
            else:
                messages.success(request, f"{campaign} started: {campaign.items.count()} accounts.")
                return redirect("review_campaign", campaign.pk)
    items = ReviewItem.objects.all()
    agency = expert_agency_id(request.user)
    if not _staff(request.user):
        items = items.filter(agency_id_snapshot=agency)
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
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = get_object_or_404(ReviewCampaign, pk=pk)
    items = campaign.items.select_related(
        "account__person__office", "account__credential_group", "decided_by", "revoke_request"
    )
    if _staff(request.user):
        summary = (
            items.values("agency_id_snapshot")
            .annotate(
                total=Count("pk"),
                pending=Count("pk", filter=Q(decision=ReviewDecision.PENDING)),
                removed=Count("pk", filter=Q(decision=ReviewDecision.REMOVE)),
            )
            .order_by("agency_id_snapshot")
        )
        names = dict(Agency.objects.values_list("pk", "name"))
        summary = [{**row, "agency": names.get(row["agency_id_snapshot"], "")} for row in summary]
    else:
        summary = None
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
def decide(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    item = get_object_or_404(
        ReviewItem.objects.select_related("account__person"), pk=item_pk, campaign_id=pk
    )
    try:
        reviews.decide(
            item,
            by=Actor.of(request.user),
            decision=request.POST.get("decision", ""),
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("review_campaign", pk)


@login_required
def access_report(request: HttpRequest) -> HttpResponse:
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
    response = HttpResponse(reviews.report_csv(accounts), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="access-report-{stamp}.csv"'
    response["X-Content-Type-Options"] = "nosniff"
    return response
