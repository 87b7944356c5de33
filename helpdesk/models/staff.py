"""The agency's own staff list (issue 18): each change a local expert makes to their office's
people, kept for the help desk to review and undo, and the designation changes an agency asks
the help desk for. Written only through ``helpdesk.directory.staff``."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from helpdesk.models.directory import DesignationRole, Office, Person


class StaffChangeKind(models.TextChoices):
    ADDED = "added", _("Person added")
    EDITED = "edited", _("Person edited")
    LEFT = "left", _("Person left")


class StaffChange(models.Model):
    """One change to an office's staff list, with the values before and after. The person is
    kept by name when an undo removes them (``person_label``)."""

    office = models.ForeignKey(Office, on_delete=models.PROTECT, related_name="staff_changes")
    person = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="staff_changes"
    )
    person_label = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=StaffChangeKind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    made_at = models.DateTimeField(default=timezone.now, db_index=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    undo_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-made_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.person_label} ({self.office})"


class DesignationRequestState(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class DesignationRequest(models.Model):
    """An agency's local expert asks the help desk: make this person the office's primary (or
    alternate) local expert, from this date, for this reason."""

    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="designation_requests"
    )
    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="designation_requests"
    )
    role = models.CharField(max_length=10, choices=DesignationRole.choices)
    reason = models.TextField()
    effective_on = models.DateField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(
        max_length=10,
        choices=DesignationRequestState.choices,
        default=DesignationRequestState.PENDING,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]

    def __str__(self) -> str:
        return _("%(person)s as %(role)s of %(office)s") % {
            "person": self.person,
            "role": self.get_role_display().lower(),
            "office": self.office,
        }
