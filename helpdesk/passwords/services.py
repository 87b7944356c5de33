"""Password reset by email, in two halves so the web answer says nothing about an address.

The page only validates what was typed and queues ``send_reset_link(email, request_key)``: no
lookup, no token, the same answer at once whatever the address (bench/password_reset.py times
it). The worker finds the logins with that address, as Django's own form does (active, with a
usable password: LDAP and single sign-on logins have none here), and queues one email per
login through the outgoing-mail path. The link is that email's secret: made by
``reset_url`` when the email leaves, so the token is in no task argument, row or log.
Django's ``PasswordResetConfirmView`` then checks it, as the one reset path."""

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from helpdesk import emails
from helpdesk.auth.tokens import password_reset_tokens
from helpdesk.lib.background import enqueue
from helpdesk.models import User

RESET_LINK_MAKER = "password reset link"
SEND_RESET_LINK = "helpdesk.passwords.tasks.send_reset_link"


def request_reset(email: str, *, request_key: str) -> None:
    """Someone typed ``email`` on the reset page: the worker takes it from here.
    ``request_key`` (random, from the page) makes a retried task send one email, not two."""
    enqueue(SEND_RESET_LINK, email, request_key)


def send_reset_link(email: str, *, request_key: str) -> int:
    """One reset email to each login with ``email``; how many were queued (0 for an address
    no login has: nothing is sent, and the page said the same either way)."""
    queued = 0
    for user in PasswordResetForm().get_users(email):
        row = emails.queue(
            "password_reset",
            to=[user.email],
            key=f"password_reset:user:{user.pk}:{request_key}",
            context={"user": user, "valid_hours": settings.PASSWORD_RESET_TIMEOUT // 3600},
            secrets={"reset_url": (RESET_LINK_MAKER, user.pk)},
        )
        queued += row is not None
    return queued


def reset_url(user_id: int) -> str:
    """The link of a reset email, made when it leaves (the leaver-aware token: it stops working
    once the password changes, the login is deactivated, or PASSWORD_RESET_TIMEOUT passes)."""
    user = User.objects.get(pk=user_id)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = password_reset_tokens.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])
