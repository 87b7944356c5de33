"""The webhooks pages, for administrators only: the subscriptions, a new one (its secret shown
once), changing one, pausing, resuming, deleting, and each one's delivery log with a resend
(thin views over ``helpdesk.webhooks.services``)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from helpdesk.actor import Actor
from helpdesk.events import EVENT_TYPES
from helpdesk.lib.http import AuthenticatedHttpRequest
from helpdesk.models import DeliveryStatus, WebhookSubscription
from helpdesk.webhooks import selectors, services
from helpdesk.webhooks.forms import SubscriptionForm
from helpdesk.webhooks.permissions import require_webhook_manager

PER_PAGE = 25


def _manager(request: AuthenticatedHttpRequest) -> Actor:
    require_webhook_manager(request.user)
    return Actor.of(request.user)


def _subscription(actor: Actor, pk: int) -> WebhookSubscription:
    return get_object_or_404(selectors.subscriptions_for(actor), pk=pk)


def _add_errors(form: SubscriptionForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


@login_required
def webhook_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    actor = _manager(request)
    context = {"subscriptions": selectors.subscriptions_for(actor), "event_types": EVENT_TYPES}
    return render(request, "webhooks/list.html", context)


@login_required
def webhook_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            created = services.create_subscription(
                by=actor,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            # The secret is shown on this answer only: never stored in clear, never cached.
            response = render(
                request,
                "webhooks/created.html",
                {"subscription": created.subscription, "secret": created.secret},
                status=201,
            )
            add_never_cache_headers(response)
            return response
    return render(request, "webhooks/form.html", {"form": form}, status=400 if form.errors else 200)


@login_required
def webhook_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    subscription = _subscription(actor, pk)
    initial = {
        "url": subscription.url,
        "description": subscription.description,
        "event_types": subscription.event_types,
    }
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_subscription(
                subscription,
                by=actor,
                url=data["url"],
                event_types=data["event_types"],
                description=data["description"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Webhook changed."))
            return redirect("webhook_list")
    context = {"form": form, "subscription": subscription}
    return render(request, "webhooks/form.html", context, status=400 if form.errors else 200)


@login_required
@require_POST
def webhook_pause(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    services.pause(_subscription(actor, pk), by=actor)
    messages.success(request, _("Webhook paused: nothing is sent until it is resumed."))
    return redirect("webhook_list")


@login_required
@require_POST
def webhook_resume(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    services.resume(_subscription(actor, pk), by=actor)
    messages.success(request, _("Webhook resumed."))
    return redirect("webhook_list")


@login_required
def webhook_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """GET asks (deleting cannot be undone, and takes the delivery log with it); POST acts."""
    actor = _manager(request)
    subscription = _subscription(actor, pk)
    if request.method == "POST":
        services.delete_subscription(subscription, by=actor)
        messages.success(request, _("Webhook deleted."))
        return redirect("webhook_list")
    context = {"subscription": subscription, "deliveries": subscription.deliveries.count()}
    return render(request, "webhooks/delete.html", context)


@login_required
def webhook_deliveries(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    actor = _manager(request)
    subscription = _subscription(actor, pk)
    page = Paginator(selectors.deliveries_of(subscription), PER_PAGE).get_page(
        request.GET.get("page")
    )
    context = {"subscription": subscription, "page": page, "failed": DeliveryStatus.FAILED}
    return render(request, "webhooks/deliveries.html", context)


@login_required
@require_POST
def webhook_resend(request: AuthenticatedHttpRequest, pk: int, delivery_pk: int) -> HttpResponse:
    actor = _manager(request)
    subscription = _subscription(actor, pk)
    delivery = get_object_or_404(selectors.deliveries_of(subscription), pk=delivery_pk)
    try:
        services.resend(delivery, by=actor)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Delivery queued again."))
    return redirect("webhook_deliveries", pk=subscription.pk)
