"""Commands the fixture runs against the provider's database, in a process of its own (the
provider's Django settings, not the help desk's):

    python -m tests.oidc_provider.control setup
    python -m tests.oidc_provider.control client CLIENT_ID SECRET REDIRECT_URI...
    python -m tests.oidc_provider.control user USERNAME PASSWORD EMAIL [GROUP...]
    python -m tests.oidc_provider.control serve      (prints the port it listens on)
"""

import os
import sys
from collections.abc import Callable


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    import django

    django.setup()
    command, *args = argv
    commands: dict[str, Callable[..., None]] = {
        "setup": _setup,
        "client": _client,
        "user": _user,
        "serve": _serve,
    }
    commands[command](*args)


def _setup() -> None:
    from django.core.management import call_command
    from oidc_provider.models import RSAKey

    call_command("migrate", verbosity=0, interactive=False)
    if not RSAKey.objects.exists():
        call_command("creatersakey", verbosity=0)


def _client(client_id: str, secret: str, *redirect_uris: str) -> None:
    from oidc_provider.models import Client, ResponseType

    client, _ = Client.objects.get_or_create(
        client_id=client_id,
        defaults={"name": "CCAP Help Desk", "client_type": "confidential", "jwt_alg": "RS256"},
    )
    client.client_secret = secret
    client.require_consent = False
    known = [uri for uri in client.redirect_uris if uri]
    client.redirect_uris = known + [uri for uri in redirect_uris if uri not in known]
    client.save()
    client.response_types.add(ResponseType.objects.get(value="code"))


def _user(username: str, password: str, email: str, *groups: str) -> None:
    from django.contrib.auth.models import Group, User

    user, _ = User.objects.get_or_create(username=username)
    user.set_password(password)
    user.email = email
    user.first_name, user.last_name = username.title(), "Sso"
    user.save()
    user.groups.set([Group.objects.get_or_create(name=g)[0] for g in groups])


def _serve() -> None:
    """Serve on a free port, and say which on the first line of stdout."""
    from django.core.servers.basehttp import run
    from django.core.wsgi import get_wsgi_application

    def announce(port: int | str) -> None:
        print(port, flush=True)  # noqa: T201

    run("127.0.0.1", 0, get_wsgi_application(), threading=True, on_bind=announce)


if __name__ == "__main__":
    main(sys.argv[1:])
