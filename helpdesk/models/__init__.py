from helpdesk.models.audit import AuditEvent, AuditKind
from helpdesk.models.directory import (
    Absence,
    Agency,
    AgencyKind,
    DesignationRole,
    LocalExpertDesignation,
    Office,
    Person,
    PersonEmail,
    Region,
)
from helpdesk.models.users import User

__all__ = [
    "Absence",
    "Agency",
    "AgencyKind",
    "AuditEvent",
    "AuditKind",
    "DesignationRole",
    "LocalExpertDesignation",
    "Office",
    "Person",
    "PersonEmail",
    "Region",
    "User",
]
