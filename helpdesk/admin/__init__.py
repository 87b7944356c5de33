from helpdesk.admin import (  # noqa: F401  (registers the admins)
    audit,
    directory,
    emails,
    notices,
    procedures,
    retention,
    second_factors,
    users,
    workflow,
)
