"""Which access records concern an agency, a person or a system, for the audit export
(``helpdesk.audit_export.audit_scopes``): accounts, requests and departures are where the
access history of the audit trail points."""

from django.db.models import Q

from access.models import AccessRequest, Account, Departure
from helpdesk.audit_export import AuditScope

SCOPES = [
    AuditScope(
        Account,
        agency=lambda agency: Q(person__office__agency=agency),
        person=lambda person: Q(person=person),
        system=lambda code: Q(credential_group__systems__code=code),
    ),
    AuditScope(
        AccessRequest,
        agency=lambda agency: Q(person__office__agency=agency),
        person=lambda person: Q(person=person),
        system=lambda code: Q(system__code=code),
    ),
    AuditScope(
        Departure,
        agency=lambda agency: Q(person__office__agency=agency),
        person=lambda person: Q(person=person),
    ),
]
