"""The four-tier escalation as a reusable abstract model on django-fsm-2.

The machine (states, transitions, which action each transition is) lives here. *Who* may take
an action is not: it needs the directory and the roles, which this app does not know
(DESIGN.md, layering), so the project's one transition path (``helpdesk.transitions``) asks the
ticket rules (``helpdesk.tickets.permissions.may_act``) before it calls a transition. That is
also why no transition declares django-fsm's ``permission=``: a callable there would make the
model import the rules, and the rules import the models.

Transitions change fields only. Clocks, audit, timeline and notifications are the services'.
"""

import operator
from collections.abc import Iterator
from functools import reduce
from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q
from django_fsm import RETURN_VALUE, FSMField, Transition, transition

if TYPE_CHECKING:
    import django_fsm

    # django-fsm-2 4.2 imports ``typing.override`` (Python 3.12) and falls back to
    # typing_extensions at run time; mypy on 3.11 takes the failed import as Any, and with it
    # the decorated ``__init__`` of this mixin, which hides the managers and relations of every
    # model built on it. The same class with its constructor typed, for mypy only: models
    # import it from here, and nothing changes at run time.
    class ConcurrentTransitionMixin(django_fsm.ConcurrentTransitionMixin):
        def __init__(self, *args: Any, **kwargs: Any) -> None: ...

else:
    from django_fsm import ConcurrentTransitionMixin


class TicketState(models.TextChoices):
    WITH_LOCAL_EXPERT = "with_local_expert", "With the local expert"
    RESOLVED_LOCALLY = "resolved_locally", "Resolved locally"
    SUBMITTED = "submitted", "Submitted to the help desk"
    IN_PROGRESS = "in_progress", "In progress at the help desk"
    ESCALATED_TO_MIS = "escalated_to_mis", "Escalated to MIS"
    AWAITING_INFO = "awaiting_info", "Awaiting information"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    REJECTED = "rejected", "Rejected"


S = TicketState

# --- The rules of the workflow, each defined once: here, as a set of states or fields, and
# evaluated two ways, on one ticket (the properties below) and in the database (the Q objects,
# which every queryset, queue filter and dashboard count uses).

# Open: still being worked, at some tier. "Resolved" waits for the local expert's word and is
# not open; the finished states never change again.
OPEN_STATES = frozenset(
    {S.WITH_LOCAL_EXPERT, S.SUBMITTED, S.IN_PROGRESS, S.ESCALATED_TO_MIS, S.AWAITING_INFO}
)
FINAL_STATES = frozenset({S.RESOLVED_LOCALLY, S.CLOSED, S.REJECTED})
OPEN = Q(state__in=OPEN_STATES)
# A duplicate report may be merged into another while the help desk or MIS works it; it ends
# rejected (DESIGN.md: a duplicate is a rejection), with a link to the ticket it went into.
MERGEABLE_STATES = (S.SUBMITTED, S.IN_PROGRESS, S.ESCALATED_TO_MIS, S.AWAITING_INFO)
# States a request for information may pause, and so the states a reply may return to.
PAUSABLE_STATES = (S.IN_PROGRESS, S.ESCALATED_TO_MIS)
# The tier follows from the state; a paused ticket is in the tier it was paused in.
TIER_OF_STATE: dict[str, int] = {
    S.WITH_LOCAL_EXPERT: 2,
    S.RESOLVED_LOCALLY: 2,
    S.SUBMITTED: 3,
    S.IN_PROGRESS: 3,
    S.ESCALATED_TO_MIS: 4,
    S.RESOLVED: 3,
}
TIER_OF_PAUSE: dict[str, int] = {S.ESCALATED_TO_MIS: 4}  # paused anywhere else: tier 3


def tier_q(tier: int) -> Q:
    """The tickets at ``tier`` now (``EscalationWorkflow.tier``'s rule, as a query)."""
    states = [state for state, at in TIER_OF_STATE.items() if at == tier]
    paused_here = Q(state=S.AWAITING_INFO, state_before_pause__in=TIER_OF_PAUSE)
    if tier == 4:
        return Q(state__in=states) | paused_here
    if tier == 3:
        return Q(state__in=states) | (Q(state=S.AWAITING_INFO) & ~paused_here)
    return Q(state__in=states)


# Breached: a target was missed at some time and is on record (the sweep flags each breach once,
# escalation.sla); these fields hold when.
BREACH_FIELDS = ("response_breached_at", "resolution_breached_at", "mis_update_breached_at")
BREACHED = reduce(operator.or_, (Q(**{f"{name}__isnull": False}) for name in BREACH_FIELDS))


class Action(models.TextChoices):
    """Every transition, by the name of its method."""

    RESOLVE_LOCALLY = "resolve_locally", "Resolve locally"
    ESCALATE_TO_HELP_DESK = "escalate_to_help_desk", "Escalate to the help desk"
    ASSIGN = "assign", "Assign"
    ESCALATE_TO_MIS = "escalate_to_mis", "Escalate to MIS"
    REPORT_MIS_RESOLUTION = "report_mis_resolution", "Report MIS resolution"
    REQUEST_INFO = "request_info", "Request information"
    PROVIDE_INFO = "provide_info", "Provide information"
    RESOLVE = "resolve", "Resolve"
    REOPEN = "reopen", "Reopen"
    CLOSE = "close", "Close"
    REJECT = "reject", "Reject"
    WITHDRAW = "withdraw", "Withdraw"
    MERGE = "merge", "Merge into another ticket"


class TicketKind(models.TextChoices):
    """What a local expert sends the help desk: a problem with a system, or one of the other
    requests agencies send (each with its own SLA policy)."""

    PROBLEM = "problem", "Problem with a system"
    POLICY_QUESTION = "policy_question", "Policy question"
    TECHNICAL_ASSISTANCE = "technical_assistance", "Technical assistance request"


class Priority(models.TextChoices):
    CRITICAL = "p1", "P1 - critical (whole agency)"
    HIGH = "p2", "P2 - high (whole team)"
    NORMAL = "p3", "P3 - normal (some coworkers)"
    LOW = "p4", "P4 - low (one person)"


class EscalationWorkflow(ConcurrentTransitionMixin, models.Model):
    """A problem moving through the tiers."""

    state = FSMField(
        max_length=20, choices=TicketState.choices, default=S.WITH_LOCAL_EXPERT, protected=True
    )
    state_changed_at = models.DateTimeField(null=True, blank=True)
    # The state a request for information paused, so a reply returns the ticket there.
    state_before_pause = models.CharField(max_length=20, choices=TicketState.choices, blank=True)
    priority = models.CharField(max_length=2, choices=Priority.choices, default=Priority.NORMAL)
    kind = models.CharField(max_length=24, choices=TicketKind.choices, default=TicketKind.PROBLEM)

    # SLA clocks, kept by escalation.sla; due times are absolute, in business time.
    submitted_at = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    # When it was last escalated to MIS; the MIS clocks count from there.
    mis_escalated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    mis_update_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True)
    response_breached_at = models.DateTimeField(null=True, blank=True)
    resolution_breached_at = models.DateTimeField(null=True, blank=True)
    mis_update_breached_at = models.DateTimeField(null=True, blank=True)
    # A resolved ticket closes itself at this time unless someone replies.
    auto_close_at = models.DateTimeField(null=True, blank=True)
    # When the sweep reminds the local expert that it will close; cleared once the reminder is
    # claimed (so it is sent once) and whenever the ticket leaves "resolved".
    auto_close_reminder_at = models.DateTimeField(null=True, blank=True)
    # Which sweep claimed the row last (see escalation.sla.claim_breaches).
    sweep_token = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True

    if TYPE_CHECKING:
        # Added by django-fsm's FSMField, named after the field.
        def get_available_state_transitions(self) -> Iterator[Transition]: ...

    @property
    def tier(self) -> int | None:
        if self.state == S.AWAITING_INFO:
            return TIER_OF_PAUSE.get(self.state_before_pause, 3)
        return TIER_OF_STATE.get(self.state)

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def is_breached(self) -> bool:
        """A target missed and on record (``BREACHED``'s rule, on one ticket)."""
        return any(getattr(self, name) is not None for name in BREACH_FIELDS)

    # --- Tier 2: the local expert ---------------------------------------------------------------
    @transition(
        field=state,
        source=S.WITH_LOCAL_EXPERT,
        target=S.RESOLVED_LOCALLY,
    )
    def resolve_locally(self) -> None:
        pass

    @transition(
        field=state,
        source=S.WITH_LOCAL_EXPERT,
        target=S.SUBMITTED,
    )
    def escalate_to_help_desk(self) -> None:
        pass

    @transition(
        field=state,
        source=[S.WITH_LOCAL_EXPERT, S.SUBMITTED],
        target=S.REJECTED,
    )
    def withdraw(self) -> None:
        pass

    # --- Tier 3: the help desk ------------------------------------------------------------------
    @transition(
        field=state,
        source=[S.SUBMITTED, S.IN_PROGRESS],
        target=S.IN_PROGRESS,
    )
    def assign(self) -> None:
        pass

    @transition(
        field=state,
        source=S.IN_PROGRESS,
        target=S.ESCALATED_TO_MIS,
    )
    def escalate_to_mis(self) -> None:
        pass

    @transition(
        field=state,
        source=S.IN_PROGRESS,
        target=S.RESOLVED,
    )
    def resolve(self) -> None:
        pass

    @transition(
        field=state,
        source=[S.SUBMITTED, S.IN_PROGRESS],
        target=S.REJECTED,
    )
    def reject(self) -> None:
        pass

    @transition(
        field=state,
        source=S.RESOLVED,
        target=S.IN_PROGRESS,
    )
    def reopen(self) -> None:
        pass

    @transition(
        field=state,
        source=S.RESOLVED,
        target=S.CLOSED,
    )
    def close(self) -> None:
        pass

    @transition(
        field=state,
        source=list(MERGEABLE_STATES),
        target=S.REJECTED,
    )
    def merge(self) -> None:
        # A merged ticket waits on no one: a pause it was in ends with it.
        self.state_before_pause = ""

    # --- Tier 3 or 4: asking child care staff for more information ---------------------------
    @transition(
        field=state,
        source=list(PAUSABLE_STATES),
        target=S.AWAITING_INFO,
    )
    def request_info(self) -> None:
        self.state_before_pause = self.state

    @transition(
        field=state,
        source=S.AWAITING_INFO,
        target=RETURN_VALUE(*PAUSABLE_STATES),
    )
    def provide_info(self) -> str:
        resumed = self.state_before_pause or S.IN_PROGRESS
        self.state_before_pause = ""
        return resumed

    # --- Tier 4: MIS --------------------------------------------------------------------------
    @transition(
        field=state,
        source=S.ESCALATED_TO_MIS,
        target=S.IN_PROGRESS,
    )
    def report_mis_resolution(self) -> None:
        pass
