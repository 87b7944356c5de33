from helpdesk.admin import audit, directory, notices, users, workflow  # noqa: F401  (registers)
