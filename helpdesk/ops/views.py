"""The operations endpoints: ``/readyz`` for orchestrators (``/healthz``, alive, is the home
page's) and ``/metrics`` for Prometheus, which only ``METRICS_ALLOWED_ADDRESSES`` may read."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from helpdesk.lib.client_address import client_address
from helpdesk.ops import metrics as app_metrics
from helpdesk.ops.readiness import readiness


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer, 503 when either fails; each check's
    result (and the worker's and the mail poll's ages) as JSON."""
    report = readiness()
    return JsonResponse(report.as_json(), status=200 if report.ready else 503)


def metrics_allowed(request: HttpRequest) -> bool:
    """Whether the client's address (helpdesk.lib.client_address: PROXY_COUNT aware) is in
    one of the METRICS_ALLOWED_ADDRESSES networks."""
    try:
        address = ipaddress.ip_address(client_address(request))
    except ValueError:
        return False
    return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not metrics_allowed(request):
        return HttpResponseForbidden("Forbidden\n", content_type="text/plain")
    app_metrics.register()
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
