"""A person's saved queue filters: a name for a set of queue filter values, kept so the same
view of the work is one click away, and optionally shared with everyone of one role."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class SavedFilter(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_filters"
    )
    # The queue it belongs to (helpdesk.tickets.selectors.QUEUES): filters differ per queue.
    queue = models.CharField(max_length=30)
    name = models.CharField(_("name"), max_length=80)
    # The queue filter form's values as a query string; read back through that form, so a
    # filter saved before a field changed is validated like any typed URL.
    query = models.CharField(max_length=1000, blank=True)
    # A role name (helpdesk.directory.roles.Role) whose members also see it; "" for private.
    shared_with = models.CharField(_("shared with"), max_length=30, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "queue", "name"], name="saved_filter_unique_name"
            ),
        ]
        indexes = [models.Index(fields=["queue", "shared_with"], name="saved_filter_shared")]
        verbose_name = _("saved filter")
        verbose_name_plural = _("saved filters")

    def __str__(self) -> str:
        return self.name
