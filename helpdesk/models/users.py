from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. The person behind it, with office and contact details, is a ``Person``."""

    # Per-request caches of helpdesk.directory (roles_of, designated_office_ids): not fields.
    _ccap_roles: frozenset[str]
    _ccap_expert_offices: frozenset[int]

    # django-stubs does not declare AbstractUser.Meta, which Django has (verbose names).
    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
