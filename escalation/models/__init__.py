from escalation.models.calendar import BusinessClosure
from escalation.models.sla import SlaPolicy

__all__ = [
    "BusinessClosure",
    "SlaPolicy",
]
