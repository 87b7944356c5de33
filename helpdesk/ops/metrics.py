"""The app's own Prometheus metrics, counted in the database when ``/metrics`` is scraped: seven
aggregate queries (plus the broker's queue length), the same number whatever the volume, each
at most one pass over its table; next to django-prometheus's request metrics. Names
(docs/operations.md):

- ``ccap_inbound_messages_total{outcome}``: stored inbound mail by the intake's outcome;
- ``ccap_inbound_messages_by_status{status}``: by status (``received`` waits, ``failed``);
- ``ccap_outbound_emails{status}``: outgoing mail pending, sent and failed (no more attempts);
- ``ccap_outbound_emails_retrying``: pending after at least one failed attempt;
- ``ccap_sla_breaches_total{target}``: missed targets on record (response, resolution, MIS
  update), and ``ccap_tickets_breached_open``: open tickets that missed one;
- ``ccap_tickets_open{tier}``: the open tickets at each tier (2 local expert, 3 help desk,
  4 MIS): the queues' lengths;
- ``ccap_task_queue_length``: background tasks waiting on the broker;
- ``ccap_heartbeat_age_seconds{name}``: since the worker's heartbeat and the last mail poll.
"""

import threading
from collections.abc import Iterator
from contextlib import suppress

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django_q.brokers import get_broker
from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from escalation.workflow import BREACH_FIELDS, BREACHED, OPEN, tier_q
from helpdesk.lib import heartbeats
from helpdesk.models import InboundMessage, OutboundEmail, OutboundStatus, Ticket

TIERS = (2, 3, 4)


def _families() -> dict[str, CounterMetricFamily | GaugeMetricFamily]:
    return {
        "inbound": CounterMetricFamily(
            "ccap_inbound_messages", "Inbound messages stored, by outcome.", labels=["outcome"]
        ),
        "inbound_status": GaugeMetricFamily(
            "ccap_inbound_messages_by_status", "Inbound messages by status.", labels=["status"]
        ),
        "outbound": GaugeMetricFamily(
            "ccap_outbound_emails", "Outgoing emails by status.", labels=["status"]
        ),
        "retrying": GaugeMetricFamily(
            "ccap_outbound_emails_retrying", "Outgoing emails pending after a failed attempt."
        ),
        "breaches": CounterMetricFamily(
            "ccap_sla_breaches", "Missed SLA targets on record, by target.", labels=["target"]
        ),
        "breached_open": GaugeMetricFamily(
            "ccap_tickets_breached_open", "Open tickets that missed an SLA target."
        ),
        "open": GaugeMetricFamily("ccap_tickets_open", "Open tickets by tier.", labels=["tier"]),
        "tasks": GaugeMetricFamily(
            "ccap_task_queue_length", "Background tasks waiting on the broker."
        ),
        "heartbeat": GaugeMetricFamily(
            "ccap_heartbeat_age_seconds", "Seconds since each heartbeat.", labels=["name"]
        ),
    }


class AppCollector(Collector):
    def describe(self) -> Iterator[Metric]:
        """The names, without a query (the registry asks when the collector is registered)."""
        yield from _families().values()

    def collect(self) -> Iterator[Metric]:
        families = _families()
        inbound, inbound_status = families["inbound"], families["inbound_status"]
        for outcome, n in _grouped(InboundMessage.objects.exclude(outcome=""), "outcome"):
            inbound.add_metric([outcome], n)
        for status, n in _grouped(InboundMessage.objects.all(), "status"):
            inbound_status.add_metric([status], n)
        counted = dict(_grouped(OutboundEmail.objects.all(), "status"))
        for status in OutboundStatus.values:
            families["outbound"].add_metric([status], counted.get(status, 0))
        families["retrying"].add_metric(
            [],
            OutboundEmail.objects.filter(status=OutboundStatus.PENDING, attempts__gt=0).count(),
        )
        tickets = Ticket.objects.aggregate(
            breached_open=Count("pk", filter=OPEN & BREACHED),
            **{f"tier{tier}": Count("pk", filter=OPEN & tier_q(tier)) for tier in TIERS},
            **{name: Count("pk", filter=Q(**{f"{name}__isnull": False})) for name in BREACH_FIELDS},
        )
        for name in BREACH_FIELDS:
            families["breaches"].add_metric([name.removesuffix("_breached_at")], tickets[name])
        families["breached_open"].add_metric([], tickets["breached_open"])
        for tier in TIERS:
            families["open"].add_metric([str(tier)], tickets[f"tier{tier}"])
        with suppress(Exception):  # a broker down is /readyz's to say
            families["tasks"].add_metric([], get_broker().queue_size())
        now = timezone.now()
        for name, at in heartbeats.last_beats().items():
            families["heartbeat"].add_metric([name], (now - at).total_seconds())
        yield from families.values()


def _grouped(queryset: QuerySet, field: str) -> list[tuple[str, int]]:
    rows = queryset.order_by().values_list(field).annotate(n=Count("pk"))
    return [(str(value), n) for value, n in rows]


_registered = threading.Lock()
_collector: AppCollector | None = None


def register() -> None:
    """Add the app's collector to the default registry, once per process."""
    global _collector
    with _registered:
        if _collector is None:
            _collector = AppCollector()
            REGISTRY.register(_collector)
