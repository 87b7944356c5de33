"""Access records for the retention rules (``helpdesk.retention.kinds``): access requests
once closed, departures once no request of theirs stays, revoked accounts once no review of
them stays, and closed access reviews. Each counts from the change it records."""

from collections.abc import Callable
from typing import Any

from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce

from access.models import (
    AccessRequest,
    Account,
    AccountState,
    Departure,
    RequestState,
    ReviewCampaign,
    ReviewItem,
)
from helpdesk.retention.kinds import RecordKind

DueOf = Callable[[str], models.QuerySet[Any]]


def _departure_blocked(due_of: DueOf) -> Q:
    staying = AccessRequest.objects.filter(departure=OuterRef("pk")).exclude(
        pk__in=due_of("access_requests").values("pk")
    )
    return Q(Exists(staying))


def _account_blocked(due_of: DueOf) -> Q:
    staying = ReviewItem.objects.filter(account=OuterRef("pk")).exclude(
        campaign__in=due_of("access_reviews").values("pk")
    )
    return Q(Exists(staying))


ACCESS_REQUESTS = RecordKind(
    key="access_requests",
    model=AccessRequest,
    clocks={"closed": lambda: Coalesce("closed_at", "updated_at")},
    finished=lambda: Q(
        state__in=[RequestState.COMPLETED, RequestState.DENIED, RequestState.CANCELLED]
    ),
    person_paths=("person",),
    order=40,
    label="access requests",
)

ACCESS_REVIEWS = RecordKind(
    key="access_reviews",
    model=ReviewCampaign,
    clocks={"closed": lambda: F("closed_at")},
    finished=lambda: Q(closed_at__isnull=False),
    person_paths=("items__account__person",),
    order=40,
    label="access reviews",
)

DEPARTURES = RecordKind(
    key="departures",
    model=Departure,
    clocks={"effective": lambda: F("effective_on")},
    finished=Q,
    person_paths=("person",),
    blocked=_departure_blocked,
    order=50,
    label="departures",
)

ACCOUNTS = RecordKind(
    key="accounts",
    model=Account,
    clocks={"revoked": lambda: F("updated_at")},
    finished=lambda: Q(state=AccountState.REVOKED),
    person_paths=("person",),
    blocked=_account_blocked,
    order=50,
    label="revoked accounts",
)

KINDS = [ACCESS_REQUESTS, ACCESS_REVIEWS, DEPARTURES, ACCOUNTS]
