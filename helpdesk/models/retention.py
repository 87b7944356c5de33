"""Legal holds: while a hold is on a person, an agency or a ticket, nothing it covers is purged
or anonymised by the retention rules (``helpdesk.retention``). A hold is released, never
deleted: who placed it, when and why, and who released it, stay on the row."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class LegalHoldQuerySet(models.QuerySet["LegalHold"]):
    def active(self) -> "LegalHoldQuerySet":
        return self.filter(released_at__isnull=True)


class LegalHold(models.Model):
    """A hold on exactly one of a person, an agency (its offices' people, tickets, forms and
    access with it) or a ticket. Placed and released only through
    ``helpdesk.retention.services``, which audit both."""

    person = models.ForeignKey(
        "helpdesk.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_holds",
        verbose_name=_("person"),
    )
    agency = models.ForeignKey(
        "helpdesk.Agency",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="legal_holds",
        verbose_name=_("agency"),
    )
    # A released hold outlives the ticket it was on (purged later by its rule): the row keeps
    # the ticket's id, so no database constraint, and nothing happens to it on delete.
    ticket = models.ForeignKey(
        "helpdesk.Ticket",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="legal_holds",
        verbose_name=_("ticket"),
    )
    reason = models.TextField(_("reason"), help_text=_("The matter, case or request it serves."))
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("placed by"),
    )
    placed_at = models.DateTimeField(_("placed at"), default=timezone.now)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("released by"),
    )
    released_at = models.DateTimeField(_("released at"), null=True, blank=True)
    release_note = models.TextField(_("release note"), blank=True)

    objects = LegalHoldQuerySet.as_manager()

    class Meta:
        ordering = ["-placed_at", "-id"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(person__isnull=False, agency__isnull=True, ticket__isnull=True)
                    | Q(person__isnull=True, agency__isnull=False, ticket__isnull=True)
                    | Q(person__isnull=True, agency__isnull=True, ticket__isnull=False)
                ),
                name="legal_hold_on_one_thing",
                violation_error_message=_("A hold is on one person, one agency or one ticket."),
            )
        ]

    def __str__(self) -> str:
        # Ids, never names: the audit trail copies this and keeps it after an anonymisation.
        return f"Legal hold #{self.pk} on {self.subject_label}"

    @property
    def subject_label(self) -> str:
        if self.person_id:
            return f"person #{self.person_id}"
        if self.agency_id:
            return f"agency #{self.agency_id}"
        return f"ticket #{self.ticket_id}"

    @property
    def active(self) -> bool:
        return self.released_at is None
