"""What the retention rules would purge or anonymise now: each kind's due rows (finished,
older than its rule, not under a legal hold, not waiting on rows that stay), the audit trail's
purgeable start, and the people who may be anonymised. Read by the command's dry run and by
the purge itself, so both count the same rows."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import DateField, Q
from django.db.models.functions import Cast, Coalesce

from helpdesk.models import AuditChainHead, AuditEvent, LegalHold, Person
from helpdesk.retention.kinds import PEOPLE, Holds, RecordKind, record_kinds

DueOf = Callable[[str], models.QuerySet[Any]]


@dataclass(frozen=True)
class Rule:
    years: int
    clock: str

    def cutoff(self, now: datetime) -> datetime:
        """The moment ``years`` before ``now``: what counted from before it is due."""
        try:
            return now.replace(year=now.year - self.years)
        except ValueError:  # 29 February
            return now.replace(year=now.year - self.years, day=28)

    def describe(self) -> dict[str, Any]:
        return {"years": self.years, "from": self.clock}


def rule_of(key: str) -> Rule:
    rule = settings.RETENTION[key]
    return Rule(int(rule["years"]), str(rule["from"]))


def active_holds() -> Holds:
    holds = LegalHold.objects.active()
    return Holds(
        persons=frozenset(holds.filter(person__isnull=False).values_list("person", flat=True)),
        agencies=frozenset(holds.filter(agency__isnull=False).values_list("agency", flat=True)),
        tickets=frozenset(holds.filter(ticket__isnull=False).values_list("ticket", flat=True)),
    )


def aged(kind: RecordKind, now: datetime) -> models.QuerySet[Any]:
    """Finished rows older than the kind's rule, hold or no hold."""
    rule = rule_of(kind.key)
    clock = kind.clocks[rule.clock]()
    return (
        kind.model._default_manager.filter(kind.finished())
        .alias(retention_clock=clock)
        .filter(retention_clock__lt=rule.cutoff(now))
    )


@dataclass(frozen=True)
class Selection:
    due: models.QuerySet[Any]  # what may be purged now
    kept_by_hold: int  # old enough, finished, but covered by a hold


def select(kind: RecordKind, *, now: datetime, holds: Holds, due_of: DueOf) -> Selection:
    rows = aged(kind, now)
    if kind.blocked is not None:
        rows = rows.exclude(kind.blocked(due_of))
    if not holds:
        return Selection(rows, 0)
    held = kind.model._default_manager.filter(kind.held(holds)).values("pk")
    return Selection(rows.exclude(pk__in=held), rows.filter(pk__in=held).count())


def none_due(kinds: Iterable[str], *, now: datetime, holds: Holds) -> DueOf:
    """``due_of`` for a run of ``kinds``: the due rows of a kind in the run (read when asked:
    after that kind's purge, nothing), and none of a kind left out of it."""
    chosen = set(kinds)

    def due_of(key: str) -> models.QuerySet[Any]:
        kind = record_kinds.get(key)
        if kind is None or key not in chosen:
            return kind.model._default_manager.none() if kind else Person.objects.none()
        return select(kind, now=now, holds=holds, due_of=due_of).due

    return due_of


# --- The audit trail: only its start -------------------------------------------------------------


@dataclass(frozen=True)
class ChainStart:
    rows: int  # how many rows from the start of the kept chain are due
    last_seq: int  # the place of the last of them (the anchor after the purge)
    kept_by_hold: int  # old enough, but after a row a hold covers: the start stops there


def chain_start(
    kind: RecordKind, *, now: datetime, holds: Holds, limit: int | None = None
) -> ChainStart:
    """The rows at the start of the kept chain that are due: in chain order, up to the first
    row that is too recent or under a hold (a chain is purged from its start, or it would not
    verify). ``limit`` stops after that many rows (one batch)."""
    head = AuditChainHead.objects.filter(pk=1).first()
    place = head.anchor_seq if head else 0
    cutoff = rule_of(kind.key).cutoff(now)
    held = kind.held(holds) if holds else None
    rows, last_seq, chunk = 0, place, 2000
    while limit is None or rows < limit:
        size = chunk if limit is None else min(chunk, limit - rows)
        window = list(
            AuditEvent.objects.filter(seq__gt=last_seq)
            .order_by("seq")
            .values_list("pk", "seq", "at")[:size]
        )
        if not window:
            break
        covered = set()
        if held is not None:
            ids = [pk for pk, _seq, _at in window]
            covered = set(AuditEvent.objects.filter(held, pk__in=ids).values_list("pk", flat=True))
        for pk, seq, at in window:
            if at >= cutoff or pk in covered:
                kept = 0
                if pk in covered:
                    kept = AuditEvent.objects.filter(seq__gte=seq, at__lt=cutoff).count()
                return ChainStart(rows, last_seq, kept)
            assert seq is not None  # seq__gt above
            rows, last_seq = rows + 1, seq
        if len(window) < size:
            break
    return ChainStart(rows, last_seq, 0)


# --- People ---------------------------------------------------------------------------------------


def gone(now: datetime) -> models.QuerySet[Person]:
    """People who left (or were deactivated) longer ago than the people rule, not anonymised."""
    cutoff = rule_of(PEOPLE).cutoff(now).date()
    left = Coalesce("left_on", Cast("updated_at", DateField()))
    return (
        Person.objects.filter(active=False, anonymised_at__isnull=True)
        .exclude(user__is_active=True)  # a login still on is live, whatever the directory says
        .alias(retention_left=left)
        .filter(retention_left__lt=cutoff)
    )


def people_selection(*, now: datetime, holds: Holds, due_of: DueOf) -> Selection:
    """Who may be anonymised: gone long enough, and named by no record that stays (a record
    of any kind, live or kept by its rule; rows purged in the same run do not count)."""
    people = gone(now)
    for kind in record_kinds:
        if kind.chain:
            continue  # audit rows keep ids, not names (docs/retention.md)
        staying = kind.model._default_manager.exclude(pk__in=due_of(kind.key).values("pk"))
        for path in kind.person_paths:
            named = staying.filter(**{f"{path}__isnull": False}).values(path)
            people = people.exclude(pk__in=named)
    if not holds:
        return Selection(people, 0)
    held = Q(pk__in=holds.persons) | Q(office__agency__in=holds.agencies)
    return Selection(people.exclude(held), people.filter(held).count())
