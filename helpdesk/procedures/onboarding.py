"""Onboarding: sending procedures to the people who must read them (a welcome packet for
newcomers, a re-send after a change) and tracking each person's acknowledgement of each
version.

A packet is one email per person (``helpdesk.emails``), queued after commit in batches. Each
email carries a link with a random token, made when the email leaves, so people without a
login can acknowledge; only the token's SHA-256 is stored, in the database and in the mail
record alike. The link page acknowledges on POST only: mail scanners follow links.
"""

import hashlib
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.audit import record
from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import AnyUser, Role, has_role
from helpdesk.models import (
    AcknowledgedHow,
    AcknowledgementLink,
    Agency,
    AgencyKind,
    AuditKind,
    LocalExpertDesignation,
    Office,
    Person,
    Procedure,
    ProcedureAcknowledgement,
    ProcedureAudience,
    User,
)
from helpdesk.models.procedures import AcknowledgementQuerySet
from helpdesk.procedures.services import (
    NEW_STAFF_AUDIENCE,
    may_manage_procedures,
    procedures_visible_to,
)

WELCOME = "welcome_packet"
RESENT = "procedure_resent"
SEND_TASK = "helpdesk.procedures.tasks.send_packet_batch"
# Who sends a newcomer their packet: nobody clicked anything, the directory changed.
NEWCOMER = Actor.system("welcome packet for a newcomer")
LINK_VALID_DAYS = 60
ONBOARDED_KINDS = tuple(NEW_STAFF_AUDIENCE)

# --- Who is in which audience -------------------------------------------------------------------


def audiences_of(person: Person) -> set[str]:
    """The audiences whose procedures ``person`` is sent: everyone's and their agency kind's
    new-staff ones, and the local experts' when designated. State staff are not onboarded."""
    kind_audience = NEW_STAFF_AUDIENCE.get(person.office.agency.kind)
    if not person.active or kind_audience is None:
        return set()
    audiences: set[str] = {ProcedureAudience.ALL, kind_audience}
    if person.designations.all():  # uses a prefetch when there is one
        audiences.add(ProcedureAudience.LOCAL_EXPERTS)
    return audiences


def people_in_audience(audience: str) -> QuerySet[Person]:
    """Everyone ``audiences_of`` puts in ``audience``, as one query."""
    people = Person.objects.active().filter(office__agency__kind__in=ONBOARDED_KINDS)
    if audience == ProcedureAudience.NEW_CCRR_STAFF:
        people = people.filter(office__agency__kind=AgencyKind.CCRR)
    elif audience == ProcedureAudience.NEW_SITE_STAFF:
        people = people.filter(office__agency__kind=AgencyKind.SITE)
    elif audience == ProcedureAudience.LOCAL_EXPERTS:
        people = people.filter(designations__isnull=False)
    return people.distinct()


# --- Sending ------------------------------------------------------------------------------------


def welcome(newcomer: Person | LocalExpertDesignation) -> None:
    """The directory's newcomer hook (``directory.services.newcomer_hooks``, registered in
    ``apps.py``): a person was added, or designated local expert. After commit, when the
    person's email addresses are saved too, their packet is sent. Nothing is queued when no
    procedure is for them."""
    if not Procedure.objects.live().exists():  # an empty library: no need to look further
        return
    audiences: set[str]
    if isinstance(newcomer, LocalExpertDesignation):
        person, audiences = newcomer.person, {ProcedureAudience.LOCAL_EXPERTS}
    else:
        person, audiences = newcomer, audiences_of(newcomer)
    if not audiences or not Procedure.objects.live().for_audiences(audiences).exists():
        return
    transaction.on_commit(partial(send_packets, [person.pk], kind=WELCOME, audiences=audiences))


def send_welcome_packet_to_office(office: Office, *, by: Actor) -> int:
    """Staff action: everyone in the office who has not been sent the current versions."""
    people = office.people.active().values_list("pk", flat=True)
    return send_packets(list(people), kind=WELCOME, by=by, target=office)


def resend_procedure(procedure: Procedure, *, by: Actor) -> int:
    """After a change: the procedure's audience is asked to acknowledge the current version."""
    if procedure.archived:
        raise ValidationError("An archived procedure is not sent.")
    people = people_in_audience(procedure.audience).values_list("pk", flat=True)
    return send_packets(list(people), kind=RESENT, by=by, procedure=procedure, target=procedure)


@transaction.atomic
def send_packets(
    person_ids: list[int],
    *,
    kind: str,
    by: Actor = NEWCOMER,
    audiences: set[str] | None = None,
    procedure: Procedure | None = None,
    target: models.Model | None = None,
) -> int:
    """Ask each person to acknowledge the current versions meant for them (limited to
    ``audiences`` or to one ``procedure``) that they have not been sent yet; the emails leave
    after commit, one per person. Returns how many people will get one."""
    people = list(
        Person.objects.active()
        .filter(pk__in=person_ids, emails__isnull=False)
        .distinct()
        .select_related("office__agency")
        .prefetch_related("designations")
    )
    versions = _current_version_ids(procedure)
    rows = [
        ProcedureAcknowledgement(person=person, version_id=version_id)
        for person in people
        for audience in audiences_of(person) & (audiences or set(ProcedureAudience.values))
        for version_id in versions.get(audience, [])
    ]
    ProcedureAcknowledgement.objects.bulk_create(rows, ignore_conflicts=True)
    version_ids = sorted({row.version_id for row in rows})
    waiting = sorted(
        set(
            ProcedureAcknowledgement.objects.filter(
                person__in=people, version_id__in=version_ids, sent_at__isnull=True
            ).values_list("person_id", flat=True)
        )
    )
    if not waiting:
        return 0
    batches = emails.queue_in_batches_on_commit(
        SEND_TASK, waiting, kind=kind, version_ids=version_ids
    )
    record(
        AuditKind.PROCEDURES_SENT,
        actor=by,
        target=target or people[0],
        after={"kind": kind, "people": len(waiting), "versions": version_ids, "batches": batches},
    )
    return len(waiting)


def _current_version_ids(procedure: Procedure | None) -> dict[str, list[int]]:
    procedures = Procedure.objects.live().filter(current_version__isnull=False)
    if procedure is not None:
        procedures = procedures.filter(pk=procedure.pk)
    by_audience: dict[str, list[int]] = {}
    for audience, version_id in procedures.values_list("audience", "current_version_id"):
        by_audience.setdefault(audience, []).append(version_id)
    return by_audience


def send_packet_batch(person_ids: list[int], *, kind: str, version_ids: list[int]) -> int:
    """The django-q2 task: one email per person for their rows not sent yet. A retried batch
    finds the rows of the emails it queued already marked sent, and queues only the rest."""
    people = Person.objects.filter(pk__in=person_ids).prefetch_related("emails")
    return sum(_send_one_packet(person, kind, version_ids) for person in people)


def _send_one_packet(person: Person, kind: str, version_ids: list[int]) -> bool:
    with transaction.atomic():
        rows = list(
            # Lock only these rows, not the procedures they join (an edit may be saving).
            ProcedureAcknowledgement.objects.select_for_update(of=("self",))
            .of_current_versions()
            .filter(person=person, version_id__in=version_ids, sent_at__isnull=True)
            .select_related("version")
            .order_by("version__title")
        )
        address = person.primary_email
        if not rows or not address:
            return False
        row_ids = [row.pk for row in rows]
        # The same rows always make the same key, so their email is never queued twice.
        key = f"{kind}:person:{person.pk}:" + _digest(",".join(map(str, row_ids)))[:16]
        if emails.is_queued(key, [address]):  # queued before these rows were marked
            _mark_sent(row_ids)
            return False
        # The link, the rows marked sent and the email are one commit: the link already lists
        # what it acknowledges when the email leaves, and a retried batch finds nothing to do.
        link = _new_link(person)
        ProcedureAcknowledgement.objects.filter(pk__in=row_ids).update(link=link)
        _mark_sent(row_ids)
        context = _packet_context(person, rows)
        # The link's token is made when the email leaves (``link_url``): never stored in clear.
        secrets = {"acknowledge_url": (LINK_MAKER, link.pk)}
        return (
            emails.queue(kind, to=[address], key=key, context=context, secrets=secrets) is not None
        )


def _mark_sent(row_ids: list[int]) -> None:
    ProcedureAcknowledgement.objects.filter(pk__in=row_ids).update(sent_at=timezone.now())


def _packet_context(person: Person, rows: Iterable[ProcedureAcknowledgement]) -> dict[str, Any]:
    return {
        "person": person,
        "procedures": [
            (
                row.version.title,
                settings.SITE_URL + reverse("procedure_detail", args=[row.version.procedure_id]),
            )
            for row in rows
        ],
        "valid_days": LINK_VALID_DAYS,
    }


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _new_link(person: Person) -> AcknowledgementLink:
    """A link with no usable token yet (its hash is of a random value nobody keeps): the token
    is made when its email leaves."""
    return AcknowledgementLink.objects.create(
        person=person,
        token_hash=_digest(secrets.token_urlsafe(32)),
        expires_at=timezone.now() + timedelta(days=LINK_VALID_DAYS),
    )


LINK_MAKER = "procedure acknowledgement link"


def link_url(link_id: int) -> str:
    """The emailed link of ``link_id``, with a new token: only its hash is kept, so the token
    exists only in the email that carries it (made when the email leaves, helpdesk.emails).
    The token rides in the URL's fragment, which browsers never send: it stays out of every
    access log and proxy; the page's script posts it (or the reader pastes it)."""
    token = secrets.token_urlsafe(32)
    AcknowledgementLink.objects.filter(pk=link_id).update(token_hash=_digest(token))
    return f"{settings.SITE_URL}{reverse('procedure_acknowledge_link')}#{token}"


def revoke_links_of_leaver(user: User | None, person: Person | None, by: Actor) -> None:
    """The directory's leaver hook: a leaver's unused links stop working now (each audited);
    a reactivated person gets new ones with the next packet, never these back."""
    if person is None:
        return
    now = timezone.now()
    live = AcknowledgementLink.objects.filter(person=person, used_at__isnull=True)
    for link in live.filter(expires_at__gt=now).select_for_update():
        link.expires_at = now
        link.save(update_fields=["expires_at"])
        record(
            AuditKind.TOKEN_REVOKED,
            actor=by,
            target=link,
            note=f"{person} left: the emailed acknowledgement link no longer works.",
        )


# --- Acknowledging ------------------------------------------------------------------------------


class LinkError(Exception):
    """The emailed link cannot be used; the message says why, for the person who clicked."""


def link_for_token(token: str) -> AcknowledgementLink:
    """The usable link whose token this is (the page then remembers the link, not the token)."""
    link = (
        AcknowledgementLink.objects.select_related("person")
        .filter(token_hash=_digest(token or ""))
        .first()
    )
    if link is None:
        raise LinkError("This link is not valid. Check that the whole link was copied.")
    return _usable(link)


def opened_link(link_id: int) -> AcknowledgementLink:
    """The link a reader opened earlier with its token (kept by id in their session)."""
    link = AcknowledgementLink.objects.select_related("person").filter(pk=link_id).first()
    if link is None:
        raise LinkError("This link is not valid. Check that the whole link was copied.")
    return _usable(link)


def _usable(link: AcknowledgementLink) -> AcknowledgementLink:
    if link.used_at is not None:
        raise LinkError(
            "These procedures were already acknowledged with this link on "
            f"{date_format(timezone.localtime(link.used_at), 'F j, Y')}. Thank you."
        )
    if not link.person.active:  # revoked when they left; refused here too, whatever missed it
        raise LinkError(gettext("This link no longer works. Ask the help desk if you need it."))
    if link.expires_at <= timezone.now():
        raise LinkError(
            "This link has expired. Ask your local expert or the help desk to send it again."
        )
    return link


def acknowledge_by_link(link_id: int) -> int:
    """The person behind the link (opened with its token, ``link_for_token``) has read the
    procedures it lists. Returns how many acknowledgements were recorded; the link cannot be
    used again."""
    with transaction.atomic():
        link = (
            AcknowledgementLink.objects.select_for_update()
            .select_related("person")
            .filter(pk=link_id)
            .first()
        )
        if link is None:
            raise LinkError("This link is not valid. Check that the whole link was copied.")
        _usable(link)  # a double click that lost the race finds it used
        rows = list(link.acknowledgements.outstanding().select_related("version"))
        for row in rows:
            # No sign-in: the audit trail names the person the link was sent to.
            by_link = Actor.system("acknowledged through the emailed link", label=str(link.person))
            _acknowledge(row, AcknowledgedHow.LINK, actor=by_link)
        link.used_at = timezone.now()
        link.save(update_fields=["used_at"])
    return len(rows)


@transaction.atomic
def acknowledge_as_user(procedure: Procedure, *, user: User) -> ProcedureAcknowledgement:
    """A signed-in reader acknowledges the current version (the view checked they may read)."""
    person = person_of(user)
    if person is None:
        raise ValidationError("Only people in the agency directory acknowledge procedures.")
    row, _ = ProcedureAcknowledgement.objects.select_for_update().get_or_create(
        person=person, version_id=procedure.current_version_id
    )
    if row.acknowledged_at is not None:
        raise ValidationError("You have already acknowledged this version.")
    _acknowledge(row, AcknowledgedHow.WEB, actor=Actor.of(user))
    return row


def _acknowledge(row: ProcedureAcknowledgement, how: str, *, actor: Actor) -> None:
    row.acknowledged_at = timezone.now()
    row.how = how
    row.save(update_fields=["acknowledged_at", "how"])
    record(
        AuditKind.PROCEDURE_ACKNOWLEDGED,
        actor=actor,
        target=row,
        after={"version": row.version_id, "how": how},
    )


def awaiting_acknowledgement(user: AnyUser) -> AcknowledgementQuerySet:
    """The current versions this user has been asked to read and has not acknowledged."""
    person = person_of(user)
    if person is None:
        return ProcedureAcknowledgement.objects.none()
    return (
        ProcedureAcknowledgement.objects.of_current_versions()
        .outstanding()
        .filter(person=person, version__procedure__in=procedures_visible_to(user))
        .select_related("version")
    )


def acknowledged_current(user: AnyUser, procedure: Procedure) -> ProcedureAcknowledgement | None:
    person = person_of(user)
    if person is None:
        return None
    return (
        ProcedureAcknowledgement.objects.filter(
            person=person, version_id=procedure.current_version_id
        )
        .exclude(acknowledged_at=None)
        .first()
    )


# --- The acknowledgements report ----------------------------------------------------------------


def acknowledgements_visible_to(user: AnyUser) -> AcknowledgementQuerySet:
    """Help desk staff and administrators: everyone's; a local expert: their own agency's."""
    rows = ProcedureAcknowledgement.objects.of_current_versions().select_related(
        "person__office__agency", "version"
    )
    if may_manage_procedures(user):
        return rows
    me = person_of(user)
    if me is None or not has_role(user, Role.LOCAL_EXPERT):
        raise PermissionDenied("Acknowledgements are for help desk staff and local experts.")
    return rows.filter(person__office__agency_id=me.office.agency_id)


@dataclass(frozen=True)
class ProcedureCount:
    procedure_id: int
    title: str
    asked: int
    acknowledged: int

    @property
    def outstanding(self) -> int:
        return self.asked - self.acknowledged


def filter_acknowledgements(
    rows: AcknowledgementQuerySet,
    *,
    procedure: Procedure | None = None,
    agency: Agency | None = None,
    office: Office | None = None,
    outstanding_only: bool = False,
) -> AcknowledgementQuerySet:
    if procedure is not None:
        rows = rows.filter(version__procedure=procedure)
    if agency is not None:
        rows = rows.filter(person__office__agency=agency)
    if office is not None:
        rows = rows.filter(person__office=office)
    if outstanding_only:
        rows = rows.outstanding()
    return rows.order_by("version__title", "person__last_name", "person__first_name", "pk")


def counts_per_procedure(rows: QuerySet[ProcedureAcknowledgement]) -> list[ProcedureCount]:
    grouped = (
        rows.order_by()
        .values("version__procedure_id", "version__title")
        .annotate(
            asked=Count("pk"), acknowledged=Count("pk", filter=Q(acknowledged_at__isnull=False))
        )
        .order_by("version__title")
    )
    return [
        ProcedureCount(
            g["version__procedure_id"], g["version__title"], g["asked"], g["acknowledged"]
        )
        for g in grouped
    ]


CSV_HEADER = ["Person", "Email", "Agency", "Office", "Procedure", "Version", "Sent", "Acknowledged"]


def acknowledgement_csv_rows(rows: QuerySet[ProcedureAcknowledgement]) -> Iterator[list[object]]:
    """The report's rows as CSV cells (under ``CSV_HEADER``); ``csv_export`` makes them safe."""
    for row in rows.prefetch_related("person__emails"):
        person = row.person
        yield [
            person.full_name,
            person.primary_email,
            person.office.agency.name,
            person.office.name,
            row.version.title,
            row.version.number,
            _when(row.sent_at),
            _when(row.acknowledged_at),
        ]


def _when(at: datetime | None) -> str:
    return timezone.localtime(at).strftime("%Y-%m-%d %H:%M") if at else ""
