"""Password reset links that a deactivation revokes.

Django's generator hashes the password, the last login and the email, and accepts a link for
a login that is no longer active. This one also hashes the session generation (raised by every
deactivation, helpdesk.directory.services) and refuses inactive logins outright, so a link
mailed before someone left never works afterwards, even once they are reactivated."""

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from helpdesk.models import User


class LeaverAwareTokenGenerator(PasswordResetTokenGenerator):
    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}:{user.session_generation}"

    def check_token(self, user: User | None, token: str | None) -> bool:
        if user is None or not user.is_active:
            return False
        return super().check_token(user, token)


password_reset_tokens = LeaverAwareTokenGenerator()
