"""Who may place and release legal holds: administrators (records management answers to
counsel; the help desk does not decide what the law keeps)."""

from helpdesk.directory.roles import AnyUser, Role, has_role


def may_manage_holds(user: AnyUser) -> bool:
    return bool(getattr(user, "is_active", False)) and has_role(user, Role.ADMINISTRATOR)
