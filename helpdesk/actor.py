"""Who acts: the one typed ``Actor`` every service takes as ``by``.

An actor is either a signed-in user, with the directory person behind the login and the roles
the login holds, or the system itself, which always says why it acts (a schedule, the mail
intake, a release from quarantine). There is no other way to act: no ``None`` meaning "the
system", and no flag that skips a permission check. Views, the API, commands and tasks build
the actor at their edge (``Actor.of(request.user)``, ``Actor.system("SLA sweep")``) and hand
it down; the rules in the ``permissions`` modules decide what each actor may do.
"""

from dataclasses import dataclass, field, replace

from helpdesk.directory.permissions import person_of
from helpdesk.directory.roles import roles_of
from helpdesk.models import Person, User

SYSTEM_LABEL = "system"


@dataclass(frozen=True)
class Actor:
    user: User | None
    person: Person | None = field(default=None, compare=False)
    roles: frozenset[str] = frozenset()
    # Why the system acts; empty for a user.
    reason: str = ""
    # How the audit trail names the system here (e.g. "ldap", "seed_demo"); "system" by default.
    system_label: str = SYSTEM_LABEL
    # The personal access token the user acts through (the API, ``helpdesk.api``), by its id;
    # None on a page. The audit trail records it with every change.
    token_id: int | None = field(default=None, compare=False)

    @classmethod
    def of(cls, user: User) -> "Actor":
        """A signed-in user: their roles and directory person, read once (cached on the user)."""
        if not isinstance(user, User):
            raise TypeError(f"An actor is made of a user, not {type(user).__name__}.")
        return cls(user=user, person=person_of(user), roles=roles_of(user))

    def through_token(self, token_id: int) -> "Actor":
        """The same user, acting through one of their API tokens."""
        if self.user is None:
            raise ValueError("Only a user acts through an API token.")
        return replace(self, token_id=token_id)

    @classmethod
    def system(cls, reason: str, *, label: str = SYSTEM_LABEL) -> "Actor":
        if not reason.strip():
            raise ValueError("The system says why it acts.")
        return cls(user=None, reason=reason.strip(), system_label=label)

    @property
    def is_system(self) -> bool:
        return self.user is None

    @property
    def is_active(self) -> bool:
        """The system always is; a user only while their login is active."""
        return self.user is None or self.user.is_active

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))

    @property
    def label(self) -> str:
        """How the audit trail and timelines name the actor: the username, or the system's."""
        return self.user.get_username() if self.user is not None else self.system_label

    @property
    def display_name(self) -> str:
        """For messages people read: the full name, else the username, else the system's."""
        if self.user is None:
            return self.system_label
        return self.user.get_full_name() or self.user.get_username()

    def __str__(self) -> str:
        return self.label if self.user is not None else f"{self.label} ({self.reason})"
