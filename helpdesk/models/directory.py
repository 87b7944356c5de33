"""The agency directory: agencies, offices, people, local expert designations and absences."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone


class AgencyKind(models.TextChoices):
    CCRR = "ccrr", "CCR&R"
    SITE = "site", "Site"
    STATE_UNIT = "state_unit", "State unit"


class Region(models.Model):
    """A CCR&R service delivery area; Illinois has sixteen."""

    number = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(99)]
    )
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return f"Region {self.number}: {self.name}"


class AgencyQuerySet(models.QuerySet["Agency"]):
    def active(self) -> "AgencyQuerySet":
        return self.filter(active=True)


class Agency(models.Model):
    name = models.CharField(max_length=200, unique=True)
    code = models.SlugField(
        max_length=40, unique=True, help_text="Short stable identifier, e.g. 'ccrr-03'."
    )
    kind = models.CharField(max_length=20, choices=AgencyKind.choices)
    region = models.ForeignKey(
        Region,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agencies",
        help_text="Required for CCR&Rs and Sites; state units have none.",
    )
    phone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=AgencyKind.STATE_UNIT) | Q(region__isnull=False),
                name="agency_region_required_unless_state_unit",
                violation_error_message="CCR&Rs and Sites belong to a region.",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Office(models.Model):
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="offices")
    name = models.CharField(max_length=200)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    zip_code = models.CharField("ZIP code", max_length=10, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency__name", "name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="office_name_unique_in_agency")
        ]

    def __str__(self) -> str:
        return f"{self.agency.name} - {self.name}"


class PersonQuerySet(models.QuerySet["Person"]):
    def active(self) -> "PersonQuerySet":
        return self.filter(active=True)

    def with_email(self, address: str) -> "PersonQuerySet":
        """People owning ``address`` on any of their addresses, case-insensitively."""
        return self.filter(emails__address__iexact=address.strip())


class Person(models.Model):
    """Someone in the directory; linked to a ``User`` when they have a login."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="people")
    job_title = models.CharField(max_length=150, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    active = models.BooleanField(default=True)
    left_on = models.DateField(
        null=True, blank=True, help_text="The day they left or changed job function."
    )
    # Set when the retention rule replaced their name and contact details
    # (``helpdesk.retention.services.anonymise_person``); never cleared.
    anonymised_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name_plural = "people"
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(active=False),
                name="person_who_left_is_inactive",
                violation_error_message="Someone who has left cannot be active.",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def agency(self) -> Agency:
        return self.office.agency

    @property
    def primary_email(self) -> str:
        emails = list(self.emails.all())  # uses a prefetch when there is one
        for email in emails:
            if email.primary:
                return email.address
        return emails[0].address if emails else ""

    def is_absent_at(self, at: datetime) -> bool:
        return self.absences.covering(at).exists()


class PersonEmail(models.Model):
    """One of a person's addresses. An address belongs to one person, whatever its case,
    so that a sender is never ambiguous."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="emails")
    address = models.EmailField(max_length=254)
    primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-primary", "address"]
        verbose_name = "email address"
        verbose_name_plural = "email addresses"
        constraints = [
            models.UniqueConstraint(
                Lower("address"),
                name="person_email_unique_ci",
                violation_error_message="This address already belongs to someone.",
            ),
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(primary=True),
                name="person_one_primary_email",
                violation_error_message="A person has one primary address.",
            ),
        ]

    def __str__(self) -> str:
        return self.address

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.address = self.address.strip()
        super().save(*args, **kwargs)


class DesignationRole(models.TextChoices):
    PRIMARY = "primary", "Primary"
    ALTERNATE = "alternate", "Alternate"


class LocalExpertDesignation(models.Model):
    """A person designated as an office's primary or alternate local expert.

    The database keeps at most one of each role per office and a person in one role per office;
    ``clean`` keeps the designee inside the office's agency and active.
    """

    office = models.ForeignKey(Office, on_delete=models.CASCADE, related_name="designations")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="designations")
    role = models.CharField(max_length=10, choices=DesignationRole.choices)
    designated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["office", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["office", "role"],
                name="one_designation_per_role_per_office",
                violation_error_message="This office already has a local expert in that role.",
            ),
            models.UniqueConstraint(
                fields=["office", "person"],
                name="one_role_per_person_per_office",
                violation_error_message="This person is already a local expert of this office.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} local expert of {self.office}: {self.person}"

    def clean(self) -> None:
        if not (self.office_id and self.person_id):
            return
        if self.person.office.agency_id != self.office.agency_id:
            raise ValidationError(
                {"person": "A local expert must work for the office's own agency."}
            )
        if not self.person.active:
            raise ValidationError({"person": "Someone who has left cannot be a local expert."})


class AbsenceQuerySet(models.QuerySet["Absence"]):
    def covering(self, at: datetime) -> "AbsenceQuerySet":
        return self.filter(starts_at__lte=at, ends_at__gt=at)

    def current_or_upcoming(self, now: datetime | None = None) -> "AbsenceQuerySet":
        return self.filter(ends_at__gt=now or timezone.now())


class Absence(models.Model):
    """A period [starts_at, ends_at) when a person is away; their alternate acts meanwhile."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="absences")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = AbsenceQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["person", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="absence_ends_after_it_starts",
                violation_error_message="An absence must end after it starts.",
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.person} away {self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%Y-%m-%d %H:%M}"
        )

    def clean(self) -> None:
        if not (self.person_id and self.starts_at and self.ends_at):
            return
        overlapping = Absence.objects.filter(
            person_id=self.person_id, starts_at__lt=self.ends_at, ends_at__gt=self.starts_at
        ).exclude(pk=self.pk)
        if overlapping.exists():
            raise ValidationError("This overlaps an absence already recorded for this person.")
