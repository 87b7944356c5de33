"""The request a signed-in view receives, for its annotation."""

from django.http import HttpRequest

from helpdesk.models import User


class AuthenticatedHttpRequest(HttpRequest):
    """A request past ``login_required``: ``user`` is a signed-in ``User``, never the anonymous
    one. Only an annotation (Django builds the request); a view without ``login_required``
    takes a plain ``HttpRequest`` and checks ``request.user`` itself."""

    user: User
