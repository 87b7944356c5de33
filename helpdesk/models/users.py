from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A login. The person behind it, with office and contact details, is a ``Person``."""

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        ordering = ["username"]

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username
