"""Which help desk records concern an agency or a person, for the audit export
(``helpdesk.audit_export.audit_scopes``); registered from ``HelpdeskConfig.ready``."""

from django.db.models import Q

from helpdesk.audit_export import AuditScope
from helpdesk.models import Agency, DesignationRequest, Office, Person, Ticket, User

SCOPES = [
    AuditScope(
        Agency,
        agency=lambda agency: Q(pk=agency.pk),
    ),
    AuditScope(
        Office,
        agency=lambda agency: Q(agency=agency),
    ),
    AuditScope(
        Person,
        agency=lambda agency: Q(office__agency=agency),
        person=lambda person: Q(pk=person.pk),
    ),
    AuditScope(
        User,
        agency=lambda agency: Q(person__office__agency=agency),
        person=lambda person: Q(pk=person.user_id) if person.user_id else Q(pk__in=[]),
    ),
    AuditScope(
        Ticket,
        agency=lambda agency: Q(office__agency=agency),
        person=lambda person: Q(local_expert=person) | Q(reported_by=person),
    ),
    AuditScope(
        DesignationRequest,
        agency=lambda agency: Q(office__agency=agency),
        person=lambda person: Q(person=person),
    ),
]
