"""Access management: the systems (data, not code), people's accounts on them, access
requests and their life as a django-fsm machine, departures with their 2-working-day deadline,
and the yearly access reviews."""

import re
import uuid
from datetime import date, datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from escalation.workflow import ConcurrentTransitionMixin
from helpdesk.models import Agency, MailReply, Person


class Fulfiller(models.TextChoices):
    HELP_DESK = "help_desk", "CCAP Help Desk"
    CMS = "cms", "Central Management Services (CMS)"
    MIS = "mis", "IDHS/MIS"


class CredentialGroup(models.Model):
    """One ID and password shared by several systems (CCMS and InfoView share one)."""

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    id_label = models.CharField(max_length=100, help_text='e.g. "RACF ID", "Illinois.gov ID"')
    id_hint = models.CharField(max_length=200, blank=True, help_text="How the ID looks.")
    id_pattern = models.CharField(
        max_length=200, blank=True, help_text="A regular expression every ID must match."
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TargetSystem(models.Model):
    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=100)
    credential_group = models.ForeignKey(
        CredentialGroup, on_delete=models.PROTECT, related_name="systems"
    )
    description = models.TextField(blank=True)
    fulfils_new = models.CharField(max_length=10, choices=Fulfiller.choices)
    fulfils_reset = models.CharField(max_length=10, choices=Fulfiller.choices)
    fulfils_revoke = models.CharField(max_length=10, choices=Fulfiller.choices)
    forms_system = models.CharField(
        max_length=30,
        blank=True,
        help_text="The system code security forms are issued for (blank: no forms needed).",
    )
    reset_route = models.TextField(
        blank=True, help_text="For resets done by others: the portal and phone to give the user."
    )
    fulfiller_email = models.EmailField(
        blank=True, help_text="Where requests fulfilled by CMS or MIS are sent."
    )
    directory_base_dn = models.CharField(
        max_length=200,
        blank=True,
        help_text="Provisioned through LDAP under this base DN (blank: not provisioned).",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def fulfiller_for(self, kind: str) -> str:
        fulfillers: dict[str, str] = {
            RequestKind.NEW: self.fulfils_new,
            RequestKind.MODIFY: self.fulfils_new,
            RequestKind.RESET: self.fulfils_reset,
            RequestKind.REVOKE: self.fulfils_revoke,
        }
        return fulfillers[kind]


class AccountState(models.TextChoices):
    REQUESTED = "requested", "Requested"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REVOKED = "revoked", "Revoked"


class Account(models.Model):
    """A person's ID on a credential group. Its history is the audit trail."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="accounts")
    credential_group = models.ForeignKey(
        CredentialGroup, on_delete=models.PROTECT, related_name="accounts"
    )
    identifier = models.CharField(max_length=100, blank=True)
    state = models.CharField(
        max_length=10, choices=AccountState.choices, default=AccountState.REQUESTED
    )
    ccms_role = models.CharField("CCMS security role", max_length=100, blank=True)
    organisation = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    last_reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["person", "credential_group"]
        constraints = [
            # One live account per person per credential group; revoked ones are history.
            models.UniqueConstraint(
                fields=["person", "credential_group"],
                condition=~Q(state="revoked"),
                name="one_live_account_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.identifier or '(no ID yet)'} on {self.credential_group} for {self.person}"


class RequestKind(models.TextChoices):
    NEW = "new", "New access"
    RESET = "reset", "Password reset"
    MODIFY = "modify", "Change of access"
    REVOKE = "revoke", "Revoke access"


class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    AWAITING_FORMS = "awaiting_forms", "Waiting for security forms or agreement"
    READY = "ready", "Ready to submit"
    SUBMITTED = "submitted", "Submitted to the fulfiller"
    COMPLETED = "completed", "Completed"
    DENIED = "denied", "Denied"
    CANCELLED = "cancelled", "Cancelled"


OPEN_REQUEST_STATES = [
    RequestState.DRAFT,
    RequestState.AWAITING_FORMS,
    RequestState.READY,
    RequestState.SUBMITTED,
]


class Departure(models.Model):
    """Someone left, or changed job function: all their access is revoked within 2 working
    days of the effective date (``access.services.departure_clock``)."""

    class Kind(models.TextChoices):
        LEFT = "left", "Left the agency"
        CHANGED_FUNCTION = "changed_function", "Changed job function"

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="departures")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    effective_on = models.DateField()
    note = models.TextField(blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    reported_at = models.DateTimeField(default=timezone.now)
    # When the revocations are due: 2 working days after the effective date (the contract's
    # deadline), or, when that had passed before the help desk was told, within 4 business
    # hours of the report; then the departure is late by that many working days.
    deadline = models.DateTimeField()
    contract_deadline = models.DateTimeField(null=True, blank=True)
    late_working_days = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-reported_at"]

    def __str__(self) -> str:
        return f"{self.person} ({self.get_kind_display().lower()}, {self.effective_on})"

    @property
    def reported_late(self) -> bool:
        return self.late_working_days > 0


class AccessRequestQuerySet(models.QuerySet["AccessRequest"]):
    def open(self) -> "AccessRequestQuerySet":
        return self.filter(state__in=OPEN_REQUEST_STATES)

    def overdue_revocations(self, now: datetime | None = None) -> "AccessRequestQuerySet":
        now = now or timezone.now()
        return self.open().filter(kind=RequestKind.REVOKE, deadline__lt=now)


class AccessRequest(ConcurrentTransitionMixin, models.Model):
    kind = models.CharField(max_length=10, choices=RequestKind.choices)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="access_requests")
    system = models.ForeignKey(TargetSystem, on_delete=models.PROTECT, related_name="requests")
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="requests"
    )
    state = FSMField(default=RequestState.DRAFT, choices=RequestState.choices, protected=True)
    fulfiller = models.CharField(max_length=10, choices=Fulfiller.choices)
    ccms_role = models.CharField("CCMS security role", max_length=100, blank=True)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome_note = models.TextField(blank=True)
    departure = models.ForeignKey(
        Departure, null=True, blank=True, on_delete=models.PROTECT, related_name="requests"
    )
    deadline = models.DateTimeField(null=True, blank=True, help_text="Revocations: 2 working days.")
    escalated_at = models.DateTimeField(null=True, blank=True)
    # Provisioning through LDAP: the last attempt's error, shown and retried; never "done".
    provisioning_error = models.TextField(blank=True)
    provisioning_attempts = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "kind", "deadline"], name="accessreq_state_deadline"),
            models.Index(fields=["person", "state"], name="accessreq_person_state"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.system} for {self.person}"

    @property
    def tag(self) -> str:
        """How the request is named in mail to its fulfiller and found again in the reply."""
        return request_tag(self.pk)

    @property
    def is_help_desk_reset(self) -> bool:
        """A reset the help desk does itself: submitted by "Reset to a temporary password" with
        the new password's hash, never by a bare "Submit"."""
        return self.kind == RequestKind.RESET and self.fulfiller == Fulfiller.HELP_DESK

    @property
    def overdue(self) -> bool:
        return (
            self.deadline is not None
            and self.state in OPEN_REQUEST_STATES
            and self.deadline < timezone.now()
        )

    @transition(
        state, source=RequestState.DRAFT, target=RequestState.AWAITING_FORMS,
    )  # fmt: skip
    def wait_for_forms(self) -> None:
        pass

    @transition(
        state, source=[RequestState.DRAFT, RequestState.AWAITING_FORMS], target=RequestState.READY,
    )  # fmt: skip
    def make_ready(self) -> None:
        pass

    @transition(
        state, source=RequestState.READY, target=RequestState.SUBMITTED,
    )  # fmt: skip
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        state, source=RequestState.SUBMITTED, target=RequestState.COMPLETED,
    )  # fmt: skip
    def complete(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        state, source=[RequestState.READY, RequestState.SUBMITTED], target=RequestState.DENIED,
    )  # fmt: skip
    def deny(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        state, source=OPEN_REQUEST_STATES, target=RequestState.CANCELLED,
    )  # fmt: skip
    def cancel(self) -> None:
        self.closed_at = timezone.now()


REQUEST_TAG = re.compile(r"\brequest\s*#\s*(\d{1,9})\b", re.IGNORECASE)


def request_tag(pk: int) -> str:
    """The one spelling of a request's tag ("request #6"): ``REQUEST_TAG`` reads it back."""
    return f"request #{pk}"


class RequestReply(MailReply):
    """A fulfiller's (CMS's, MIS's) answer by email, shown on the request for the help desk,
    who record the completion it confirms. The raw message keeps everything, attachments too."""

    request = models.ForeignKey(AccessRequest, on_delete=models.CASCADE, related_name="replies")

    @property
    def answered(self) -> AccessRequest:
        return self.request

    def __str__(self) -> str:
        return f"Reply from {self.from_address} on {self.request.tag}"


class ReviewCampaign(models.Model):
    """A yearly access review (midPoint's certification campaign): each agency's local expert
    confirms, or marks for removal, every account of their people. The results are kept."""

    name = models.CharField(max_length=150)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.name

    @property
    def open(self) -> bool:
        return self.closed_at is None


class ReviewDecision(models.TextChoices):
    PENDING = "pending", "Not reviewed yet"
    KEEP = "keep", "Confirmed"
    REMOVE = "remove", "Marked for removal"
    NOT_REVIEWED = "not_reviewed", "Not reviewed by the deadline"


class ReviewItem(models.Model):
    campaign = models.ForeignKey(ReviewCampaign, on_delete=models.CASCADE, related_name="items")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="review_items")
    agency_id_snapshot = models.PositiveIntegerField(db_index=True)
    decision = models.CharField(
        max_length=15, choices=ReviewDecision.choices, default=ReviewDecision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    revoke_request = models.ForeignKey(
        AccessRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["account__person__last_name", "account__person__first_name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "account"], name="one_item_per_account")
        ]

    def __str__(self) -> str:
        return f"{self.account} in {self.campaign}"


def _agreement_path(instance: "DataSharingAgreement", filename: str) -> str:
    return f"agreements/{instance.agency_id}/{uuid.uuid4().hex}"


class DataSharingAgreementQuerySet(models.QuerySet["DataSharingAgreement"]):
    def current(self, on: date) -> "DataSharingAgreementQuerySet":
        """Signed by ``on`` and not expired on it."""
        return self.filter(signed_on__lte=on, expires_on__gte=on)


class DataSharingAgreement(models.Model):
    """An agency's Data Sharing Agreement with IDHS: access to the systems it covers depends on
    a current one (``access.services.missing_prerequisites``)."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="agreements")
    signed_on = models.DateField()
    expires_on = models.DateField()
    systems = models.ManyToManyField(TargetSystem, related_name="agreements")
    document = models.FileField(upload_to=_agreement_path, max_length=200, blank=True)
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=timezone.now)
    # Set once the sweep has told the agency and the help desk that it will expire soon.
    reminded_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = DataSharingAgreementQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "-expires_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gt=models.F("signed_on")),
                name="agreement_expires_after_signing",
            )
        ]

    def __str__(self) -> str:
        return f"{self.agency}: data sharing agreement, {self.signed_on} to {self.expires_on}"
