"""The procedures library: written procedures and requirements for CCR&R and Site staff, each
edit kept as a version, and who acknowledged reading which version.

Written only through ``helpdesk.procedures.services`` and ``helpdesk.procedures.onboarding``.
"""

from collections.abc import Iterable

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from helpdesk.models.directory import Person


class ProcedureAudience(models.TextChoices):
    NEW_CCRR_STAFF = "new_ccrr_staff", "New CCR&R staff"
    NEW_SITE_STAFF = "new_site_staff", "New Site staff"
    LOCAL_EXPERTS = "local_experts", "Local experts"
    ALL = "all", "Everyone"


class ProcedureQuerySet(models.QuerySet["Procedure"]):
    def live(self) -> "ProcedureQuerySet":
        return self.filter(archived_at__isnull=True)

    def for_audiences(self, audiences: Iterable[str]) -> "ProcedureQuerySet":
        return self.filter(audience__in=list(audiences))


class Procedure(models.Model):
    """A procedure; its title and text are those of ``current_version``."""

    audience = models.CharField(max_length=20, choices=ProcedureAudience.choices)
    current_version = models.ForeignKey(
        "ProcedureVersion",
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Empty only while the first version is being written.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True, db_index=True)
    archived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    archive_reason = models.TextField(blank=True)

    objects = ProcedureQuerySet.as_manager()

    class Meta:
        ordering = ["current_version__title", "pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return (
            self.current_version.title
            if self.current_version is not None
            else f"Procedure {self.pk}"
        )

    @property
    def current(self) -> "ProcedureVersion":
        """``current_version``, which every procedure has once its first version is saved."""
        if self.current_version is None:
            raise ProcedureVersion.DoesNotExist(f"Procedure {self.pk} has no version yet.")
        return self.current_version

    @property
    def archived(self) -> bool:
        return self.archived_at is not None


class ProcedureVersion(models.Model):
    """One edit of a procedure, never changed once written."""

    procedure = models.ForeignKey(Procedure, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    change_note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["procedure", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["procedure", "number"], name="procedure_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} (version {self.number})"


class AcknowledgementLink(models.Model):
    """The link emailed to a person so they can acknowledge without signing in. Only the
    SHA-256 of its random token is kept: the database never holds a usable link."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Acknowledgement link for {self.person} ({self.created_at:%Y-%m-%d})"


class AcknowledgedHow(models.TextChoices):
    WEB = "web", "Signed in"
    LINK = "link", "Emailed link"


class AcknowledgementQuerySet(models.QuerySet["ProcedureAcknowledgement"]):
    def outstanding(self) -> "AcknowledgementQuerySet":
        return self.filter(acknowledged_at__isnull=True)

    def of_current_versions(self) -> "AcknowledgementQuerySet":
        """Rows for the version each live procedure shows now; older versions are history."""
        return self.filter(
            version__procedure__current_version=models.F("version"),
            version__procedure__archived_at__isnull=True,
        )


class ProcedureAcknowledgement(models.Model):
    """A person asked to read one procedure version, and whether and how they said they had."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="acknowledgements")
    version = models.ForeignKey(
        ProcedureVersion, on_delete=models.CASCADE, related_name="acknowledgements"
    )
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    link = models.ForeignKey(
        AcknowledgementLink,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="acknowledgements",
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    how = models.CharField(max_length=10, choices=AcknowledgedHow.choices, blank=True)

    objects = AcknowledgementQuerySet.as_manager()

    class Meta:
        ordering = ["person", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "version"], name="one_acknowledgement_per_person_and_version"
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | ~Q(how=""),
                name="acknowledgement_says_how",
            ),
        ]
        indexes = [models.Index(fields=["version", "acknowledged_at"])]

    def __str__(self) -> str:
        return f"{self.person} - {self.version}"
