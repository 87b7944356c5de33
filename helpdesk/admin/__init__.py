from helpdesk.admin import audit, directory, users  # noqa: F401  (registers the model admins)
