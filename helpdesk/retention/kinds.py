"""The kinds of record the retention rules purge, each declared by the app that owns it and
registered from its ``AppConfig.ready`` (like the audit scopes): the help desk's tickets, mail
and audit trail (``helpdesk.retention.records``), the security forms (``forms_4052_4055``),
access requests, departures, accounts and reviews (``access``).

A kind says which rows may be purged at all (``finished``: never a live one, whatever its age),
what its clock may count from (the rule in ``settings.RETENTION`` picks one), how its rows
reach a person, an agency and a ticket (what a legal hold covers, and which people a kept row
still names), and what to remove with them: files on disk, after the commit.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.db.models import Q

from helpdesk.registry import Registry


@dataclass(frozen=True)
class Holds:
    """The ids under an active legal hold, one set per kind of subject."""

    persons: frozenset[int] = frozenset()
    agencies: frozenset[int] = frozenset()
    tickets: frozenset[int] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.persons or self.agencies or self.tickets)


@dataclass(frozen=True)
class RecordKind:
    key: str  # the rule's name in settings.RETENTION
    model: type[models.Model]
    # What the clock may count from: name -> the expression of the moment, per row.
    clocks: Mapping[str, Callable[[], Any]]
    # Rows that are over: closed, processed, revoked... A row outside it is never due.
    finished: Callable[[], Q]
    # Lookups from a row to the people, agencies and tickets it concerns.
    person_paths: tuple[str, ...] = ()
    agency_paths: tuple[str, ...] = ()
    ticket_paths: tuple[str, ...] = ()
    # Coverage a path cannot say (mail by its addresses): Holds -> the rows it also covers.
    also_held: Callable[[Holds], Q] | None = None
    # Rows that must wait for rows of another kind that are not due (a foreign key that
    # protects them): given ``due_of(key)``, that kind's due queryset, the rows still blocked.
    # Asking what stays, not what is there, gives a dry run the counts of the real run.
    blocked: Callable[[Callable[[str], models.QuerySet[Any]]], Q] | None = None
    # The files on disk (default storage names) of the given rows, removed after the commit.
    files: Callable[[models.QuerySet[Any]], list[str]] | None = None
    # Deletes the rows (and what goes with them); default: the queryset's delete().
    delete: Callable[[models.QuerySet[Any]], int] | None = None
    # Purge order: lower first (rows that protect others wait for them).
    order: int = 100
    # The audit trail: purged from the start of its chain only (helpdesk.audit.purge_through).
    chain: bool = False
    label: str = field(default="")

    def held(self, holds: Holds) -> Q:
        """The rows a hold covers."""
        covered = Q(pk__in=[])
        for path in self.person_paths:
            if holds.persons:
                covered |= Q(**{f"{path}__in": holds.persons})
            if holds.agencies:
                covered |= Q(**{f"{path}__office__agency__in": holds.agencies})
        for path in self.agency_paths:
            if holds.agencies:
                covered |= Q(**{f"{path}__in": holds.agencies})
        for path in self.ticket_paths:
            if holds.tickets:
                covered |= Q(**{f"{path}__in": holds.tickets})
        if self.also_held is not None and holds:
            covered |= self.also_held(holds)
        return covered

    def naming(self, person_ids: Any) -> Q:
        """The rows that name any of ``person_ids`` (a list or a subquery)."""
        named = Q(pk__in=[])
        for path in self.person_paths:
            named |= Q(**{f"{path}__in": person_ids})
        return named


record_kinds: Registry[RecordKind] = Registry(
    "retention record kinds", key=lambda k: k.key, order=lambda k: k.order
)

# The people rule is not a kind of record: people are anonymised, not deleted, once no record
# of any kind names them (helpdesk.retention.services.anonymise_people).
PEOPLE = "people"
PEOPLE_CLOCKS = ("left",)
