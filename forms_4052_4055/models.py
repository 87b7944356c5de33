"""Security forms: which forms exist (data, not code), each form issued to a person, its life
as a django-fsm machine, and the signed documents that come back."""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django_fsm import FSMField, transition

from escalation.workflow import ConcurrentTransitionMixin
from helpdesk.models import MailReply, Person, YearlySequence


class FormType(models.Model):
    """A kind of security form: 4052, 4055, IL 444-2022, a training attestation... An
    administrator adds one when the state changes its forms."""

    code = models.CharField(max_length=30, unique=True, help_text='e.g. "4052", "IL 444-2022"')
    title = models.CharField(max_length=200)
    systems = models.JSONField(
        default=list,
        help_text='The systems it is required for, e.g. ["ccts", "ccms", "infoview"].',
    )
    checklist = models.JSONField(
        default=list,
        help_text="What the help desk checks before filing it: a list of short sentences.",
    )
    carries_ccms_role = models.BooleanField(
        default=False, help_text="It names the CCMS security role requested."
    )
    return_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days the person has to return it signed before it expires."
    )
    valid_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days a filed form stays valid (a yearly training: 365). Empty: until replaced.",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    def covers(self, system: str) -> bool:
        return system in self.systems


class FormState(models.TextChoices):
    ISSUED = "issued", "Issued"
    RECEIVED = "received", "Received"
    RETURNED = "returned", "Returned for correction"
    VERIFIED = "verified", "Verified"
    FILED = "filed", "Filed"
    EXPIRED = "expired", "Expired (not returned)"
    SUPERSEDED = "superseded", "Superseded"
    VOID = "void", "Void"


OUTSTANDING = [FormState.ISSUED, FormState.RECEIVED, FormState.RETURNED, FormState.VERIFIED]
DEFAULT_CCMS_ROLE = "CCAP caseworker"


class SecurityFormQuerySet(models.QuerySet["SecurityForm"]):
    def outstanding(self) -> "SecurityFormQuerySet":
        return self.filter(state__in=OUTSTANDING)

    def overdue(self, now: datetime | None = None) -> "SecurityFormQuerySet":
        now = now or timezone.now()
        return self.filter(state__in=[FormState.ISSUED, FormState.RETURNED], due_at__lt=now)

    def valid_on(self, when: datetime | None = None) -> "SecurityFormQuerySet":
        when = when or timezone.now()
        return self.filter(state=FormState.FILED).filter(
            Q(valid_until__isnull=True) | Q(valid_until__gt=when)
        )


class SecurityForm(ConcurrentTransitionMixin, models.Model):
    """One form issued to one person. Transitions change the state only; they are called
    through the one transition path by ``forms_4052_4055.services``, which checks who may
    take each (``forms_4052_4055.permissions.may_act``) and audits it."""

    reference = models.CharField(max_length=16, unique=True)
    form_type = models.ForeignKey(FormType, on_delete=models.PROTECT, related_name="forms")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="security_forms")
    systems = models.JSONField(default=list)
    ccms_role = models.CharField("CCMS security role", max_length=100, blank=True)
    state = FSMField(default=FormState.ISSUED, choices=FormState.choices, protected=True)

    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField()
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    received_at = models.DateTimeField(null=True, blank=True)
    returned_reasons = models.JSONField(default=list, blank=True)
    checklist_results = models.JSONField(default=dict, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    void_reason = models.TextField(blank=True)
    blank_pdf = models.FileField(upload_to="forms/blank/", max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SecurityFormQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at", "-id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="secform_state_due"),
            models.Index(fields=["person", "form_type", "state"], name="secform_person_type"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.form_type.code}) for {self.person}"

    @property
    def overdue(self) -> bool:
        return self.state in (FormState.ISSUED, FormState.RETURNED) and self.due_at < timezone.now()

    # --- The machine --------------------------------------------------------------------------

    @transition(
        state, source=[FormState.ISSUED, FormState.RETURNED], target=FormState.RECEIVED,
    )  # fmt: skip
    def receive(self) -> None:
        self.received_at = timezone.now()

    @transition(
        state, source=FormState.RECEIVED, target=FormState.RETURNED,
    )  # fmt: skip
    def return_for_correction(self) -> None:
        # The person gets as long again to send it back corrected.
        self.due_at = timezone.now() + timedelta(days=self.form_type.return_days)

    @transition(
        state, source=FormState.RECEIVED, target=FormState.VERIFIED,
    )  # fmt: skip
    def verify(self) -> None:
        self.verified_at = timezone.now()

    @transition(
        state, source=FormState.VERIFIED, target=FormState.FILED,
    )  # fmt: skip
    def file(self) -> None:
        self.filed_at = timezone.now()
        days = self.form_type.valid_days
        self.valid_until = self.filed_at + timedelta(days=days) if days else None

    @transition(
        state, source=[FormState.ISSUED, FormState.RETURNED], target=FormState.EXPIRED,
    )  # fmt: skip
    def expire(self) -> None:
        pass

    @transition(
        state, source=FormState.FILED, target=FormState.SUPERSEDED,
    )  # fmt: skip
    def supersede(self) -> None:
        pass

    @transition(
        state, source=[*OUTSTANDING, FormState.FILED], target=FormState.VOID,
    )  # fmt: skip
    def void(self) -> None:
        pass


class FormReferenceSequence(YearlySequence):
    """The last SF-YYYY-NNNNN number given in a year."""


def _document_path(instance: "SignedDocument", filename: str) -> str:
    return f"forms/signed/{instance.form_id}/{uuid.uuid4().hex}"


class SignedDocument(models.Model):
    """A signed copy that came back (web upload or email), kept outside any public path."""

    form = models.ForeignKey(SecurityForm, on_delete=models.CASCADE, related_name="documents")
    file = models.FileField(upload_to=_document_path, max_length=200)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    source = models.CharField(max_length=10, choices=[("web", "Web"), ("email", "Email")])
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.original_name} for {self.form.reference}"


class FormReply(MailReply):
    """An answer by email to the form's mail (the issue, a reminder, a return) that filed no
    signed copy: a question, a "signed it on paper", a copy we could not accept. Shown on the
    form for the help desk; the raw message keeps everything, attachments too."""

    form = models.ForeignKey(SecurityForm, on_delete=models.CASCADE, related_name="replies")

    @property
    def answered(self) -> SecurityForm:
        return self.form

    def __str__(self) -> str:
        return f"Reply from {self.from_address} on {self.form.reference}"
