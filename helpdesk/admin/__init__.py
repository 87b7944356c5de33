from helpdesk.admin import (  # noqa: F401  (registers the admins)
    audit,
    directory,
    notices,
    procedures,
    users,
    workflow,
)
