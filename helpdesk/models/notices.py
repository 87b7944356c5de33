"""Notices of system problems to the field: what is broken, for whom, since when, until when,
and every update sent about it."""

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from escalation.workflow import ConcurrentTransitionMixin
from helpdesk.models.directory import Agency, AgencyKind, Region


class Severity(models.TextChoices):
    # Ordered from least to most severe; the banner shows the worst first.
    PLANNED = "planned", "Planned maintenance"
    DEGRADED = "degraded", "Degraded"
    OUTAGE = "outage", "Outage"


SEVERITY_RANK: dict[str, int] = {Severity.PLANNED: 0, Severity.DEGRADED: 1, Severity.OUTAGE: 2}


class NoticeAudience(models.TextChoices):
    ALL = "all", "All local experts"
    AGENCY_KIND = "agency_kind", "Local experts of one kind of agency"
    REGION = "region", "Local experts of some regions"
    AGENCY = "agency", "Local experts of some agencies"


class NoticeState(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"


class NoticeQuerySet(models.QuerySet["Notice"]):
    def open(self) -> "NoticeQuerySet":
        return self.filter(state=NoticeState.OPEN)

    def resolved(self) -> "NoticeQuerySet":
        return self.filter(state=NoticeState.RESOLVED)

    def about(self, system: str) -> "NoticeQuerySet":
        """The notices naming ``system``. ``systems`` is a JSON list, which SQLite cannot search
        inside; there are few notices, so their ids are picked here (one small query)."""
        ids = [pk for pk, systems in self.values_list("pk", "systems") if system in systems]
        return self.filter(pk__in=ids)

    def for_agency(self, agency: Agency) -> "NoticeQuerySet":
        return self.for_agencies(Agency.objects.filter(pk=agency.pk))

    def for_agencies(self, agencies: models.QuerySet[Agency]) -> "NoticeQuerySet":
        """The notices whose audience includes any of ``agencies`` (a queryset, used as a
        subquery: one query however the agency is known). The one rule of who a notice is
        for; ``Notice.audience_agencies`` is the same rule the other way round."""
        return self.filter(
            Q(audience=NoticeAudience.ALL)
            | Q(audience=NoticeAudience.AGENCY_KIND, agency_kind__in=agencies.values("kind"))
            | Q(audience=NoticeAudience.REGION, regions__agencies__in=agencies)
            | Q(audience=NoticeAudience.AGENCY, agencies__in=agencies)
        ).distinct()


def agencies_of_audience(
    audience: str,
    agency_kind: str = "",
    *,
    regions: Iterable[Any] = (),
    agencies: Iterable[Any] = (),
) -> models.QuerySet[Agency]:
    """The active agencies an audience means: one rule for a published notice and for a draft
    whose recipients are counted before it is published."""
    active = Agency.objects.active()
    if audience == NoticeAudience.AGENCY_KIND:
        return active.filter(kind=agency_kind)
    if audience == NoticeAudience.REGION:
        return active.filter(region__in=regions)
    if audience == NoticeAudience.AGENCY:
        if not isinstance(agencies, models.QuerySet):  # a draft's chosen agencies
            agencies = [agency.pk for agency in agencies]
        return active.filter(pk__in=agencies)
    return active


class Notice(ConcurrentTransitionMixin, models.Model):
    """A known problem, open until the help desk resolves it (through the one transition path:
    ``helpdesk.notices.services.resolve_notice``)."""

    title = models.CharField(max_length=200)
    # Values of helpdesk.models.System; few notices are open at once, so a list is enough.
    systems = models.JSONField(default=list)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    audience = models.CharField(
        max_length=12, choices=NoticeAudience.choices, default=NoticeAudience.ALL
    )
    agency_kind = models.CharField(max_length=20, choices=AgencyKind.choices, blank=True)
    regions = models.ManyToManyField(Region, blank=True, related_name="notices")
    agencies = models.ManyToManyField(Agency, blank=True, related_name="notices")
    starts_at = models.DateTimeField(default=timezone.now)
    expected_end_at = models.DateTimeField(null=True, blank=True)
    text = models.TextField(help_text="What is wrong, what to do meanwhile (the latest word).")

    published_at = models.DateTimeField(default=timezone.now, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = FSMField(
        max_length=10, choices=NoticeState.choices, default=NoticeState.OPEN, protected=True
    )
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Bumped by every change, so two people updating at once get a conflict, not an overwrite.
    version = models.PositiveIntegerField(default=1)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["state", "published_at"], name="notice_state_published")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.state == NoticeState.OPEN

    @transition(field=state, source=NoticeState.OPEN, target=NoticeState.RESOLVED)
    def resolve(self) -> None:
        pass

    @property
    def reference(self) -> str:
        return f"Notice {self.pk}"

    def system_labels(self) -> list[str]:
        from helpdesk.models.tickets import System

        labels = dict(System.choices)
        return [labels.get(value, value) for value in self.systems]

    def audience_agencies(self) -> models.QuerySet[Agency]:
        """The active agencies this notice is for."""
        return agencies_of_audience(
            self.audience,
            self.agency_kind,
            regions=self.regions.all(),
            agencies=self.agencies.all(),
        )

    def audience_label(self) -> str:
        if self.audience == NoticeAudience.AGENCY_KIND:
            return f"Local experts of every {AgencyKind(self.agency_kind).label}"
        if self.audience == NoticeAudience.REGION:
            names = ", ".join(f"Region {r.number}" for r in self.regions.all())
            return f"Local experts in {names}"
        if self.audience == NoticeAudience.AGENCY:
            return "Local experts of " + ", ".join(a.name for a in self.agencies.all())
        return NoticeAudience.ALL.label


class UpdateKind(models.TextChoices):
    PUBLISHED = "published", "Published"
    UPDATE = "update", "Update"
    RESOLVED = "resolved", "Resolved"


class NoticeUpdate(models.Model):
    """One message about a notice, as it was sent: the first publication, each update and the
    resolution. The notice's history."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(max_length=10, choices=UpdateKind.choices)
    text = models.TextField()
    expected_end_at = models.DateTimeField(null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0, help_text="Addresses it was queued to.")
    # For a resolution that resolved linked tickets: {address: [ticket ids]} so each local
    # expert's one message lists their own tickets.
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.notice}"
