"""The ``oidc_provider`` session fixture: a real django-oidc-provider on a free loopback port,
with a confidential client for the help desk and test users. It fails, never skips, when the
provider cannot start: single sign-on is a feature, and a machine that cannot test it must
say so."""

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CLIENT_ID = "ccap-helpdesk"
CLIENT_SECRET = "ccap-test-client-secret"
PASSWORD = "idp password 2026"
# The help desk's callback as pytest-django's test client sees it.
TEST_CALLBACK = "http://testserver/oidc/callback/"


@dataclass
class Provider:
    url: str
    env: dict[str, str]

    def control(self, *args: str) -> None:
        _control(self.env, *args)

    def add_user(self, username: str, *groups: str) -> None:
        self.control("user", username, PASSWORD, f"{username}@idp.example.org", *groups)

    def allow_redirect(self, uri: str) -> None:
        self.control("client", CLIENT_ID, CLIENT_SECRET, uri)

    def settings(self) -> dict[str, object]:
        """The help desk settings that point single sign-on at this provider."""
        return {
            "OIDC_ENABLED": True,
            "OIDC_PROVIDER_NAME": "Test IdP",
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_RP_SIGN_ALGO": "RS256",
            "OIDC_RP_SCOPES": "openid email profile groups",
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.url}/authorize",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.url}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.url}/userinfo",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.url}/jwks",
            "OIDC_USE_PKCE": True,
            "OIDC_PKCE_CODE_CHALLENGE_METHOD": "S256",
            "OIDC_USERNAME_CLAIM": "sub",
            "OIDC_ROLES_CLAIM": "groups",
            "OIDC_ROLE_GROUPS": {
                "help_desk": "ccap-helpdesk",
                "mis": "ccap-mis",
                "agency_user": "ccap-agency",
            },
            "LOGIN_REDIRECT_URL_FAILURE": "/accounts/login/?sso=failed",
        }

    def switch_on_for(self, settings) -> "Provider":
        """Point the help desk's single sign-on at this provider, for one test (pytest-django's
        ``settings``), with the backends as a configured deployment has them."""
        for name, value in self.settings().items():
            setattr(settings, name, value)
        settings.AUTHENTICATION_BACKENDS = [
            "axes.backends.AxesStandaloneBackend",
            "helpdesk.auth.oidc.SingleSignOnBackend",
            "django.contrib.auth.backends.ModelBackend",
        ]
        return self


def _control(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tests.oidc_provider.control", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        pytest.fail(f"The test OIDC provider refused {args[0]}:\n{done.stderr}", pytrace=False)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory) -> Iterator[Provider]:
    folder = tmp_path_factory.mktemp("oidc-provider")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
        "OIDC_TEST_PROVIDER_DB": str(folder / "provider.sqlite3"),
        "PYTHONPATH": str(ROOT),
    }
    _control(env, "setup")
    _control(env, "client", CLIENT_ID, CLIENT_SECRET, TEST_CALLBACK)
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.oidc_provider.control", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        url = _wait_until_serving(server, folder / "server.log")
        yield Provider(url=url, env=env)
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def _wait_until_serving(server: subprocess.Popen, log: Path) -> str:
    assert server.stdout is not None
    port = server.stdout.readline().strip()
    if not port.isdigit():
        pytest.fail(f"The test OIDC provider did not start:\n{log.read_text()}", pytrace=False)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{url}/.well-known/openid-configuration", timeout=2).raise_for_status()
            return url
        except requests.RequestException:
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"The test OIDC provider does not answer:\n{log.read_text()}")
            time.sleep(0.1)
