"""The worker's half of a password reset (``services.send_reset_link``)."""

from helpdesk.passwords import services


def send_reset_link(email: str, request_key: str) -> int:
    return services.send_reset_link(email, request_key=request_key)
