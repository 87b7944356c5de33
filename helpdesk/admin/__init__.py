from helpdesk.admin import audit, directory, users, workflow  # noqa: F401  (registers the admins)
