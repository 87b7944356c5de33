"""Tickets: the Problem Report Form on the escalation workflow, with messages, attachments and
a timeline of events (the emails sent about them are ``helpdesk.models.outbound``)."""

import uuid
from collections.abc import Mapping
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.sla import overdue_q
from escalation.workflow import (
    BREACHED,
    OPEN,
    EscalationWorkflow,
    Priority,
    TicketKind,
    TicketState,
)
from helpdesk.models.directory import Office, Person


class System(models.TextChoices):
    CCTS = "ccts", "CCTS"
    CCMS = "ccms", "CCMS"
    INFOVIEW = "infoview", "InfoView"
    IVR = "ivr", "IVR (provider billing line)"
    OTHER = "other", "Other"


class WhoAffected(models.TextChoices):
    JUST_ME = "just_me", "Just me"
    SOME_COWORKERS = "some_coworkers", "Some coworkers"
    ENTIRE_TEAM = "entire_team", "My entire team"
    ENTIRE_AGENCY = "entire_agency", "My entire CCR&R/Site"


# "Who is experiencing the problem" drives the default priority (help desk staff may change it).
PRIORITY_FOR_AFFECTED: dict[str, Priority] = {
    WhoAffected.JUST_ME: Priority.LOW,
    WhoAffected.SOME_COWORKERS: Priority.NORMAL,
    WhoAffected.ENTIRE_TEAM: Priority.HIGH,
    WhoAffected.ENTIRE_AGENCY: Priority.CRITICAL,
}


# The Problem Report Form's fields a report needs before the help desk can work it (seed 000,
# DESIGN.md), in form order: the one rule the web form and the mail reader both apply. The
# form asks for the steps taken and the expected result inside the full description.
REQUIRED_REPORT_FIELDS = (
    "contact_name",
    "contact_phone",
    "contact_email",
    "occurred_at",
    "can_duplicate",
    "who_affected",
    "system",
    "description",
)


# Asked of a problem only: a policy question or a request for assistance has no moment it
# occurred and nothing to reproduce.
PROBLEM_ONLY_FIELDS = ("occurred_at", "can_duplicate")


def missing_report_fields(values: Mapping[str, object]) -> list[str]:
    """The required fields ``values`` (a Problem Report, by field name) lacks, by field name:
    the required ones, and the other system's name when the system is "other"."""
    required: tuple[str, ...] = REQUIRED_REPORT_FIELDS
    if values.get("kind") not in (None, "", TicketKind.PROBLEM):  # a question happened nowhere
        required = tuple(n for n in required if n not in PROBLEM_ONLY_FIELDS)
    missing = [name for name in required if values.get(name) in (None, "")]
    if values.get("system") == System.OTHER and not values.get("system_other"):
        missing.append("system_other")
    return missing


class Source(models.TextChoices):
    WEB = "web", "Web"
    EMAIL = "email", "Email"


# Reached MIS: escalated to MIS at some time, whatever its state now (what MIS may see).
REACHED_MIS = Q(mis_escalated_at__isnull=False)


class TicketQuerySet(models.QuerySet["Ticket"]):
    """The workflow's rules (escalation.workflow, escalation.sla) as ticket querysets."""

    def open(self) -> "TicketQuerySet":
        return self.filter(OPEN)

    def breached(self) -> "TicketQuerySet":
        return self.filter(BREACHED)

    def overdue(self, now: datetime | None = None) -> "TicketQuerySet":
        return self.filter(overdue_q(now or timezone.now()))

    def reached_mis(self) -> "TicketQuerySet":
        return self.filter(REACHED_MIS)

    def reached_help_desk(self) -> "TicketQuerySet":
        """Escalated to the help desk at some time (given a tracking number), whatever now."""
        return self.filter(submitted_at__isnull=False)


class Ticket(EscalationWorkflow):
    tracking_number = models.CharField(max_length=16, unique=True, null=True, blank=True)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="tickets")
    reported_by = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reported_tickets",
        help_text="The agency user who raised the problem.",
    )
    local_expert = models.ForeignKey(
        Person,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="expert_tickets",
        help_text="The local expert who has it or escalated it.",
    )
    # Reported while neither the primary nor the alternate could act: it went straight to the
    # help desk, which works it without a local expert.
    no_local_expert = models.BooleanField(_("no local expert available"), default=False)
    summary = models.CharField(max_length=200)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)

    # The Problem Report Form.
    contact_name = models.CharField("local expert contact", max_length=150, blank=True)
    contact_phone = models.CharField("phone", max_length=40, blank=True)
    contact_email = models.EmailField("email", blank=True)
    secondary_name = models.CharField("secondary contact", max_length=150, blank=True)
    secondary_phone = models.CharField("secondary phone", max_length=40, blank=True)
    secondary_email = models.EmailField("secondary email", blank=True)
    occurred_at = models.DateTimeField("date and time the problem occurred", null=True, blank=True)
    can_duplicate = models.BooleanField("can you duplicate the problem?", null=True, blank=True)
    who_affected = models.CharField(
        "who is experiencing the problem?",
        max_length=20,
        choices=WhoAffected.choices,
        default=WhoAffected.JUST_ME,
    )
    security_group = models.CharField(max_length=100, blank=True)
    ccms_screen = models.CharField("CCMS screen name", max_length=150, blank=True)
    system = models.CharField(max_length=10, choices=System.choices)
    system_other = models.CharField("other system", max_length=100, blank=True)
    description = models.TextField(
        help_text="A full description: what happened, the steps taken, the expected result."
    )
    steps_taken = models.TextField(blank=True)
    expected_result = models.TextField(blank=True)
    incomplete_fields = models.JSONField(default=list, blank=True)

    # Work on it.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    # The MIS staff member who took the ticket on: MIS mail about it goes to them alone.
    mis_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="mis_owned_tickets",
        verbose_name=_("MIS owner"),
    )
    mis_reference = models.CharField("MIS ticket number", max_length=50, blank=True)
    mis_resolution = models.TextField(blank=True)
    resolution = models.TextField(blank=True)
    rejection_reason = models.TextField(blank=True)
    related = models.ManyToManyField("self", blank=True, symmetrical=True)
    # The notice of a system problem this ticket is one report of (helpdesk.models.notices).
    notice = models.ForeignKey(
        "helpdesk.Notice",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )

    # A duplicate report merged into another (helpdesk.tickets.merging): the ticket it went into.
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
    )
    # Contacts beyond the form's two, brought by merged duplicates: each {"name", "phone",
    # "email", "from"}; they hear about the ticket as its local expert does.
    extra_contacts = models.JSONField(default=list, blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Bumped by every change; forms carry it so a stale page gets a conflict, not an overwrite.
    version = models.PositiveIntegerField(default=1)

    objects = TicketQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "priority", "created_at"]),
            models.Index(fields=["office", "state"]),
            models.Index(fields=["assignee", "state"]),
            # The sweep and the overdue filter look for due clocks within a state.
            models.Index(fields=["state", "response_due_at"], name="ticket_state_response_due"),
            models.Index(fields=["state", "resolution_due_at"], name="ticket_state_resolution_due"),
            models.Index(fields=["state", "mis_update_due_at"], name="ticket_state_mis_update_due"),
            models.Index(fields=["resolution_due_at"], name="ticket_resolution_due"),
            models.Index(fields=["state", "auto_close_at"], name="ticket_auto_close"),
            models.Index(fields=["sweep_token"], name="ticket_sweep_token"),
            # The search finds a ticket by MIS's number in any case (mis_reference__iexact).
            models.Index(Upper("mis_reference"), name="ticket_mis_reference_upper"),
            # The queues' (and the API's keyset pages') sorts by priority and by last change,
            # each then by -id: read in index order, not sorted whole (bench/api_list.py).
            models.Index(F("priority").asc(), F("id").desc(), name="ticket_priority_id"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated_id"),
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.summary}"

    @property
    def reference(self) -> str:
        # Every ticket takes its tracking number when it is created (issue 16); the fallback
        # names a ticket not yet saved.
        return self.tracking_number or f"Report #{self.pk}"


def report_field_label(name: str) -> str:
    """How the Problem Report Form names one of its fields (a plain field of the ticket)."""
    field = Ticket._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return str(field.verbose_name)


class YearlySequence(models.Model):
    """The last number given in a year; one row per year, locked to increment
    (``helpdesk.lib.sequences``)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.year}: {self.last_value}"


class TrackingSequence(YearlySequence):
    """The last tracking number given in a year."""


class TicketMessage(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField(max_length=150)
    body = models.TextField()
    internal = models.BooleanField(
        default=False, help_text="Internal notes are seen by help desk and MIS staff only."
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"])]

    def __str__(self) -> str:
        kind = "note" if self.internal else "reply"
        return f"{kind} by {self.author_label} on {self.ticket.reference}"


def _attachment_path(instance: "TicketAttachment", filename: str) -> str:
    # Never the uploader's name on disk: a random one, under the ticket's folder.
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}"


class TicketAttachment(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(
        TicketMessage, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments"
    )
    file = models.FileField(upload_to=_attachment_path, max_length=200)
    original_name = models.CharField(max_length=200, help_text="Cleaned for display and download.")
    content_type = models.CharField(max_length=100, help_text="Detected from the content.")
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    internal = models.BooleanField(default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class EventKind(models.TextChoices):
    TRANSITION = "transition", "State changed"
    ASSIGNED = "assigned", "Assigned"
    PRIORITY = "priority", "Priority changed"
    MIS_REFERENCE = "mis_reference", "MIS ticket number recorded"
    LINKED = "linked", "Linked to a ticket"
    SLA_BREACH = "sla_breach", "SLA target missed"
    NOTIFIED = "notified", "Email sent"
    EMAIL_RECEIVED = "email_received", "Email received"
    FORM_COMPLETED = "form_completed", "Missing form fields received"
    NOTICE = "notice", "Linked to a notice"
    MIS_OWNER = "mis_owner", "MIS owner"
    MERGED = "merged", "Merged"


class TicketEvent(models.Model):
    """One line of a ticket's timeline other than a message."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    action = models.CharField(max_length=30, blank=True)
    from_state = models.CharField(max_length=20, blank=True, choices=TicketState.choices)
    to_state = models.CharField(max_length=20, blank=True, choices=TicketState.choices)
    note = models.TextField(blank=True)
    internal = models.BooleanField(default=False)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["ticket", "at"]),
            # The search finds a ticket by an MIS ticket number it had before (few such rows).
            models.Index(
                fields=["ticket"],
                condition=Q(kind="mis_reference"),
                name="ticketevent_mis_reference",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.ticket_id} at {self.at:%Y-%m-%d %H:%M}"
