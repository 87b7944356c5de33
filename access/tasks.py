"""django-q2 tasks of access management: thin, they load by id and call a service."""

import ldap
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from access import provisioning, services
from access.models import AccessRequest, RequestKind, RequestState
from forms_4052_4055.selectors import forms_on_file
from helpdesk.actor import Actor
from helpdesk.directory.selectors import role_addresses
from helpdesk.emails import automatic_headers, new_message_id
from helpdesk.models import OutboundEmail


def provision(request_id: int, password_hash: str = "") -> str:
    """Carry a submitted request out in the directory, then complete it. A directory that is
    down leaves it submitted with the error shown, for the sweep to retry."""
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


def _carry_out(connection, request, entry, password_hash: str) -> None:
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
    context = {"request": request, "forms": gate, "site_url": settings.SITE_URL}
    return _send("access_request", request, to, context)


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
    return _send(
        "revocation_overdue", request, recipients, {"request": request, "now": timezone.now()}
    )


def _send(kind: str, request, recipients: list[str], context: dict) -> int:
    subject = " ".join(render_to_string(f"emails/{kind}-subject.txt", context).split())
    body = render_to_string(f"emails/{kind}-body.txt", context)
    message_id = new_message_id(f"access{request.pk}")
    with transaction.atomic():
        OutboundEmail.objects.create(
            kind=kind, message_id=message_id, recipients=recipients, subject=subject
        )
    EmailMessage(
        subject,
        body,
        settings.DEFAULT_FROM_EMAIL,
        recipients,
        headers={"Message-ID": message_id, **automatic_headers(replied=False)},
    ).send()
    OutboundEmail.objects.filter(message_id=message_id).update(sent_at=timezone.now())
    return len(recipients)


def send_review_emails(campaign_id: int, kind: str) -> int:
    """Each agency with accounts to review: its local experts get the count and the link."""
    from access.models import ReviewCampaign
    from access.selectors import pending_by_agency
    from helpdesk.models import LocalExpertDesignation

    campaign = ReviewCampaign.objects.get(pk=campaign_id)
    sent = 0
    for agency_id, pending in pending_by_agency(campaign).items():
        experts = LocalExpertDesignation.objects.filter(
            office__agency_id=agency_id, person__active=True
        ).select_related("person")
        recipients = list(
            dict.fromkeys(d.person.primary_email for d in experts if d.person.primary_email)
        )
        if recipients:
            context = {
                "campaign": campaign,
                "pending": pending,
                "kind": kind,
                "site_url": settings.SITE_URL,
            }
            sent += _send("access_review", campaign, recipients, context)
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
