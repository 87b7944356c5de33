"""Saved replies: text help desk or MIS staff send often, with placeholders filled from the
ticket (``helpdesk.tickets.saved_replies``), and optionally an action taken with it."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from escalation.workflow import Action

# The actions a saved reply may take with it: those that need nothing but a text (an
# assignment needs an assignee), and that help desk or MIS staff take (never a local expert's).
REPLY_ACTIONS = (
    Action.REQUEST_INFO,
    Action.RESOLVE,
    Action.ESCALATE_TO_MIS,
    Action.REPORT_MIS_RESOLUTION,
    Action.REJECT,
)


# The placeholders a body may use (their values: ``helpdesk.tickets.saved_replies``).
PLACEHOLDER_NAMES = ("tracking_number", "expert_name", "office", "summary")
# Anything written like a placeholder, to tell the author which names are unknown.
_BRACED = re.compile(r"\{([^{}\s]*)\}")


def unknown_placeholders(body: str) -> list[str]:
    """The braced names in ``body`` that are not placeholders (a typo the author should see)."""
    return sorted({name for name in _BRACED.findall(body) if name not in PLACEHOLDER_NAMES})


class ReplyOwner(models.TextChoices):
    """The role whose staff use and manage a saved reply (the values are the role names)."""

    HELP_DESK = "help_desk", _("Help desk")
    MIS = "mis", _("MIS")


class SavedReply(models.Model):
    title = models.CharField(_("title"), max_length=100)
    body = models.TextField(
        _("text"),
        max_length=5000,
        help_text=_(
            "Placeholders: {tracking_number}, {expert_name}, {office}, {summary}; "
            "each is filled from the ticket."
        ),
    )
    action = models.CharField(
        _("then"),
        max_length=30,
        blank=True,
        choices=[(a.value, a.label) for a in REPLY_ACTIONS],
        help_text=_("An action taken when the reply is sent, if the ticket allows it then."),
    )
    owner = models.CharField(_("for"), max_length=20, choices=ReplyOwner.choices)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["owner", "title", "id"]
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        constraints = [
            models.UniqueConstraint(fields=["owner", "title"], name="saved_reply_title_per_owner")
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        # Here, so the page and the admin refuse the same typos.
        unknown = unknown_placeholders(self.body)
        if unknown:
            raise ValidationError(
                {
                    "body": _("Unknown placeholders: %(unknown)s. Use %(known)s.")
                    % {
                        "unknown": ", ".join(f"{{{name}}}" for name in unknown),
                        "known": ", ".join(f"{{{name}}}" for name in PLACEHOLDER_NAMES),
                    }
                }
            )
