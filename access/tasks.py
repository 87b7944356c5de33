"""django-q2 tasks of access management: thin, they load by id and call a service."""

import ldap
from django.conf import settings
from django.db.models import F
from django.utils import timezone
from ldap.ldapobject import LDAPObject

from access import provisioning, services
from access.models import (
    AccessRequest,
    DataSharingAgreement,
    Departure,
    RequestKind,
    RequestState,
)
from forms_4052_4055.selectors import forms_on_file
from helpdesk import emails
from helpdesk.actor import Actor
from helpdesk.directory.selectors import role_addresses
from helpdesk.models import LocalExpertDesignation


def provision(request_id: int, password_hash: str = "") -> str:
    """Carry a submitted request out in the directory, then complete it. A directory that is
    down leaves it submitted with the error shown, for the sweep to retry. Queued with the
    request's id only; a reset's ``password_hash`` comes only from a call in the process that
    made it (access.services._provision_on_commit), never through the queue, which stores
    its arguments."""
    request = AccessRequest.objects.select_related("system", "account", "person").get(pk=request_id)
    if request.state != RequestState.SUBMITTED or not request.system.directory_base_dn:
        return "nothing to do"
    if request.kind == RequestKind.RESET and not password_hash:
        # Never complete a reset without setting the password the staff member read out.
        AccessRequest.objects.filter(pk=request.pk).update(
            provisioning_error="No temporary password to set: reset it again from this page."
        )
        return "needs a new reset"
    account = request.account
    entry = provisioning.Entry(
        base_dn=request.system.directory_base_dn,
        uid=account.identifier if account and account.identifier else _uid_for(request),
        first_name=request.person.first_name,
        last_name=request.person.last_name,
        email=request.person.primary_email,
    )
    try:
        connection = provisioning.connect()
        try:
            _carry_out(connection, request, entry, password_hash)
        finally:
            connection.unbind_s()
    except (provisioning.DirectoryUnavailableError, ldap.LDAPError) as error:
        AccessRequest.objects.filter(pk=request.pk).update(
            provisioning_error=str(error)[:500] or type(error).__name__,
            provisioning_attempts=F("provisioning_attempts") + 1,  # not a stale copy's count
        )
        return "failed"
    AccessRequest.objects.filter(pk=request.pk).update(provisioning_error="")
    services.complete(
        request,
        by=Actor.system("the provisioning task: done in the directory"),
        identifier=entry.uid,
        note="Done in the directory by the help desk.",
    )
    return "done"


def _carry_out(
    connection: LDAPObject, request: AccessRequest, entry: provisioning.Entry, password_hash: str
) -> None:
    if request.kind == RequestKind.NEW:
        provisioning.create(connection, entry)
    elif request.kind == RequestKind.RESET:
        provisioning.create(connection, entry)  # missing in the directory: recreate first
        if password_hash:
            provisioning.set_password_hash(connection, entry, password_hash)
    elif request.kind == RequestKind.REVOKE:
        provisioning.disable(connection, entry)
        provisioning.delete(connection, entry)


def _uid_for(request: AccessRequest) -> str:
    return f"{request.person.first_name}.{request.person.last_name}".replace(" ", "")


def send_fulfiller_email(request_id: int) -> int:
    """Everything CMS or MIS needs to do the request; never a password."""
    request = AccessRequest.objects.select_related(
        "system", "account", "person__office__agency"
    ).get(pk=request_id)
    to = [request.system.fulfiller_email] if request.system.fulfiller_email else []
    if not to and request.fulfiller == "mis":
        to = role_addresses("mis")
    elif not to:
        to = [settings.ACCESS_CMS_EMAIL] if settings.ACCESS_CMS_EMAIL else []
    if not to:
        return 0
    gate = (
        forms_on_file(request.person, request.system.forms_system)
        if request.system.forms_system
        else None
    )
    context = {"request": request, "forms": gate}
    return _send("access_request", f"access:{request.pk}:access_request", to, context)


def send_overdue_revocation_email(request_id: int) -> int:
    """A revocation past its 2-working-day deadline: to the help desk supervisors and the
    agency's local experts."""
    request = AccessRequest.objects.select_related("system", "person__office__agency").get(
        pk=request_id
    )
    experts = [
        d.person.primary_email
        for d in request.person.office.designations.select_related("person")
        if d.person.primary_email
    ]
    recipients = list(dict.fromkeys([*settings.HELP_DESK_SUPERVISORS, *experts]))
    key = f"access:{request.pk}:revocation_overdue"
    return _send("revocation_overdue", key, recipients, {"request": request, "now": timezone.now()})


def send_departure_confirmation(departure_id: int) -> int:
    """To whoever reported a departure: what will be revoked, by when, and whether it was
    reported late."""
    departure = Departure.objects.select_related("person", "reported_by").get(pk=departure_id)
    reporter = departure.reported_by
    if reporter is None or not reporter.email:
        return 0
    revocations = departure.requests.select_related("system", "account").order_by("system__name")
    context = {"departure": departure, "revocations": list(revocations)}
    key = f"access:departure:{departure.pk}:confirmation"
    return _send("departure_confirmation", key, [reporter.email], context)


def send_agreement_reminder(agreement_id: int) -> int:
    """An agency's Data Sharing Agreement expires soon: to its local experts and the help
    desk's supervisors, so a new one is signed before access for new staff is held."""
    agreement = DataSharingAgreement.objects.select_related("agency").get(pk=agreement_id)
    experts = [
        d.person.primary_email
        for d in LocalExpertDesignation.objects.filter(office__agency=agreement.agency)
        .select_related("person")
        .order_by("office__name", "role")
        if d.person.primary_email
    ]
    recipients = list(dict.fromkeys([*experts, *settings.HELP_DESK_SUPERVISORS]))
    context = {"agreement": agreement, "systems": list(agreement.systems.order_by("name"))}
    key = f"access:agreement:{agreement.pk}:expiring"
    return _send("agreement_expiring", key, recipients, context)


def _send(kind: str, key: str, recipients: list[str], context: dict) -> int:
    sent = emails.queue(kind, to=recipients, key=key, context=context)
    return len(sent.recipients) if sent else 0


def send_review_emails(campaign_id: int, kind: str, reminder: int | None = None) -> int:
    """Each agency with accounts to review: its local experts get the count and the link.
    ``reminder``: which reminder this is (the campaign's count when the sweep sent it), so a
    retried task queues nothing twice."""
    from access.models import ReviewCampaign
    from access.selectors import pending_by_agency
    from helpdesk.models import LocalExpertDesignation

    campaign = ReviewCampaign.objects.get(pk=campaign_id)
    event = kind if kind != "reminder" else f"reminder{reminder or campaign.reminders_sent}"
    sent = 0
    for agency_id, pending in pending_by_agency(campaign).items():
        experts = LocalExpertDesignation.objects.filter(
            office__agency_id=agency_id, person__active=True
        ).select_related("person")
        recipients = [d.person.primary_email for d in experts]
        context = {"campaign": campaign, "pending": pending, "kind": kind}
        key = f"review:{campaign.pk}:{event}:agency:{agency_id}"
        sent += _send("access_review", key, recipients, context)
    return sent


def access_schedule() -> dict:
    from access.services import review_sweep

    return {**services.access_sweep(), **review_sweep()}


__all__ = [
    "access_schedule",
    "provision",
    "send_fulfiller_email",
    "send_overdue_revocation_email",
    "send_review_emails",
]
