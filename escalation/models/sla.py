"""SLA targets, as data: per priority and tier, in business hours."""

from django.core.validators import MinValueValidator
from django.db import models

from escalation.workflow import Priority, TicketKind


class SlaPolicy(models.Model):
    class Tier(models.IntegerChoices):
        HELP_DESK = 3, "Tier 3 - CCAP Help Desk"
        MIS = 4, "Tier 4 - IDHS/MIS"

    priority = models.CharField(max_length=2, choices=Priority.choices)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    # A policy question or a technical-assistance request has targets of its own; a kind
    # without a policy at a tier takes the problem's.
    kind = models.CharField(max_length=24, choices=TicketKind.choices, default=TicketKind.PROBLEM)
    first_response_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Business hours from arrival to the first response (tier 3).",
    )
    resolve_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text="Business hours to resolve, or to escalate to the next tier.",
    )
    update_interval_hours = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="Business hours between progress updates while MIS has it (tier 4).",
    )

    class Meta:
        ordering = ["tier", "priority"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["priority", "tier", "kind"], name="one_sla_policy_per_priority_tier_kind"
            )
        ]

    def __str__(self) -> str:
        kind = "" if self.kind == TicketKind.PROBLEM else f", {self.get_kind_display()}"
        return f"{self.get_tier_display()}, {self.get_priority_display()}{kind}"
