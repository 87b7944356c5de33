"""The confirmation step of what cannot be undone (reporting a departure, publishing a notice,
discarding mail): the first POST shows what will happen, with the numbers the acting service
will use; only a POST carrying the token of that page acts. The token is signed, names the
person, the action, its target and the numbers shown, and expires: a direct POST, a page for
another target, or numbers that changed since (one more account, one more expert) act on
nothing, and the page is shown again with the numbers as they are now."""

from collections.abc import Sequence
from dataclasses import dataclass

from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise

FIELD = "confirm"
SALT = "helpdesk.lib.confirm"
MAX_AGE_SECONDS = 30 * 60


@dataclass(frozen=True)
class Confirmation:
    """What one confirmation is about: ``numbers`` are the consequences' counts, so a token
    issued for "3 accounts" does not confirm 4."""

    user_id: int | None
    purpose: str
    target: str
    numbers: tuple[int, ...] = ()

    def _payload(self) -> list[object]:
        return [self.user_id, self.purpose, self.target, list(self.numbers)]

    def token(self) -> str:
        return signing.dumps(self._payload(), salt=SALT)

    def given_in(self, request: HttpRequest) -> bool:
        sent = request.POST.get(FIELD, "")
        if not sent:
            return False
        try:
            return bool(signing.loads(sent, salt=SALT, max_age=MAX_AGE_SECONDS) == self._payload())
        except signing.BadSignature:  # also an expired one (SignatureExpired)
            return False


def render_confirmation(
    request: HttpRequest,
    confirmation: Confirmation,
    *,
    title: str | Promise,
    consequences: Sequence[str | Promise],
    button: str | Promise,
    cancel_url: str,
    details: Sequence[str] = (),
    changed: bool = False,
) -> HttpResponse:
    """The confirmation page: the consequences, the form as it was sent (hidden, re-sent as is)
    with the token, a button styled as dangerous, and a way back. ``changed``: a token was sent
    but no longer matches (the numbers moved), so the page says to look again."""
    hidden = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", FIELD)
        for value in values
    ]
    return render(
        request,
        "helpdesk/confirm.html",
        {
            "title": title,
            "consequences": consequences,
            "details": details,
            "button": button,
            "cancel_url": cancel_url,
            "action_url": request.get_full_path(),
            "hidden": hidden,
            "field": FIELD,
            "token": confirmation.token(),
            "changed": changed,
        },
    )
