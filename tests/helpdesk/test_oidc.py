"""Single sign-on against a real OpenID Connect provider (django-oidc-provider, started by the
``oidc_provider`` fixture): the code exchange with PKCE, the roles from the groups claim, the
provider's second factor, and the logins single sign-on must never take over."""

from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse

from config.oidc import oidc_settings
from helpdesk.directory.roles import roles_of
from helpdesk.models import AuditEvent, AuditKind, SignInSource, User
from tests.factories import UserFactory
from tests.oidc_provider.fixture import PASSWORD, TEST_CALLBACK

pytestmark = pytest.mark.django_db


@pytest.fixture
def sso(settings, oidc_provider):
    return oidc_provider.switch_on_for(settings)


def _through_provider(client, provider, username, *, before_callback=None):
    """Start at the help desk, sign in at the provider as a browser would, and come back."""
    start = client.get(reverse("oidc_authentication_init"))
    assert start.status_code == 302
    browser = requests.Session()
    at_provider = browser.get(start["Location"], allow_redirects=False, timeout=10)
    login_url = urljoin(provider.url, at_provider.headers["Location"])
    browser.get(login_url, timeout=10)
    signed_in = browser.post(
        login_url,
        data={
            "username": username,
            "password": PASSWORD,
            "csrfmiddlewaretoken": browser.cookies["idp_csrftoken"],
            "next": parse_qs(urlsplit(login_url).query)["next"][0],
        },
        allow_redirects=False,
        timeout=10,
    )
    assert signed_in.status_code == 302, "the provider should accept its own user"
    back = browser.get(
        urljoin(provider.url, signed_in.headers["Location"]), allow_redirects=False, timeout=10
    )
    callback = back.headers["Location"]
    assert callback.startswith(TEST_CALLBACK), callback
    if before_callback is not None:
        before_callback()
    return client.get(callback.removeprefix("http://testserver"))


def test_single_sign_on_makes_a_login_of_its_own_with_roles_from_the_groups_claim(client, sso):
    sso.add_user("casey", "ccap-agency", "unmapped-group")
    response = _through_provider(client, sso, "casey")
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = User.objects.get(username="idp-casey")
    assert user.sign_in_source == SignInSource.OIDC
    assert not user.has_usable_password()
    assert user.email == "casey@idp.example.org"
    assert roles_of(user) == {"agency_user"}
    event = AuditEvent.objects.get(kind=AuditKind.ROLES_CHANGED)
    assert event.actor_label == "oidc"
    assert event.after == {"roles": ["agency_user"]}
    assert client.get(reverse("home")).status_code == 200


def test_finding_the_authorization_request_carries_a_pkce_challenge(client, sso):
    start = client.get(reverse("oidc_authentication_init"))
    query = parse_qs(urlsplit(start["Location"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["response_type"] == ["code"]


def test_finding_a_code_exchanged_without_its_pkce_verifier_signs_nobody_in(client, sso):
    """The provider checks the verifier the help desk sends: swap it and the code is useless."""
    sso.add_user("pkce", "ccap-agency")

    def lose_the_verifier():
        session = client.session
        for state in session["oidc_states"].values():
            state["code_verifier"] = "x" * 64
        session.save()

    response = _through_provider(client, sso, "pkce", before_callback=lose_the_verifier)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert not User.objects.filter(username="idp-pkce").exists()
    assert "_auth_user_id" not in client.session


def test_staff_from_single_sign_on_still_pass_our_second_factor(client, sso):
    sso.add_user("dana", "ccap-helpdesk")
    _through_provider(client, sso, "dana")
    assert roles_of(User.objects.get(username="idp-dana")) == {"help_desk"}
    response = client.get(reverse("queue", args=["help_desk"]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("mfa_security"))


def test_a_second_factor_the_provider_vouches_for_in_amr_counts(client, sso):
    sso.add_user("erin", "ccap-helpdesk", "used-mfa")
    _through_provider(client, sso, "erin")
    assert client.get(reverse("queue", args=["help_desk"])).status_code == 200


@pytest.mark.parametrize("source", [SignInSource.LOCAL, SignInSource.LDAP])
def test_finding_single_sign_on_never_signs_in_to_a_local_or_ldap_login(client, sso, source):
    local = UserFactory(username="idp-lee", sign_in_source=source, roles=["help_desk"])
    sso.add_user("lee", "ccap-agency")
    response = _through_provider(client, sso, "lee")
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session
    local.refresh_from_db()
    assert local.sign_in_source == source
    assert roles_of(local) == {"help_desk"}


def test_finding_a_name_differing_only_in_case_does_not_make_a_second_login(client, sso):
    UserFactory(username="IDP-Mo")
    sso.add_user("mo", "ccap-agency")
    assert _through_provider(client, sso, "mo")["Location"] == "/accounts/login/?sso=failed"
    assert User.objects.filter(username__iexact="idp-mo").count() == 1


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_finding_single_sign_on_never_signs_in_a_privileged_login(client, sso, flag):
    UserFactory(username="idp-root", sign_in_source=SignInSource.OIDC, **{flag: True})
    sso.add_user("root", "ccap-agency")
    assert _through_provider(client, sso, "root")["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session


def test_finding_single_sign_on_refuses_a_deactivated_login(client, sso):
    UserFactory(username="idp-gone", sign_in_source=SignInSource.OIDC, is_active=False)
    sso.add_user("gone", "ccap-agency")
    assert _through_provider(client, sso, "gone")["Location"] == "/accounts/login/?sso=failed"
    assert "_auth_user_id" not in client.session


def test_the_groups_claim_decides_the_roles_at_every_sign_in(client, sso):
    sso.add_user("fran", "ccap-agency")
    _through_provider(client, sso, "fran")
    client.post(reverse("logout"))
    sso.add_user("fran", "ccap-mis", "used-mfa")
    _through_provider(client, sso, "fran")
    assert roles_of(User.objects.get(username="idp-fran")) == {"mis"}
    changes = AuditEvent.objects.filter(kind=AuditKind.ROLES_CHANGED).order_by("at", "id")
    assert [e.after["roles"] for e in changes] == [["agency_user"], ["mis"]]


def test_the_login_page_offers_single_sign_on_only_when_it_is_configured(client, sso, settings):
    page = client.get(reverse("login")).content.decode()
    assert "Sign in with Test IdP" in page
    settings.OIDC_ENABLED = False
    assert "Sign in with" not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404
    assert client.get(reverse("oidc_authentication_callback")).status_code == 404


def test_single_sign_on_is_configured_from_the_environment():
    assert oidc_settings({}).enabled is False
    env = {
        "OIDC_RP_CLIENT_ID": "ccap",
        "OIDC_RP_CLIENT_SECRET": "s3cret",
        "OIDC_OP_AUTHORIZATION_ENDPOINT": "https://idp.example/authorize",
        "OIDC_OP_TOKEN_ENDPOINT": "https://idp.example/token",
        "OIDC_OP_USER_ENDPOINT": "https://idp.example/userinfo",
        "OIDC_OP_JWKS_ENDPOINT": "https://idp.example/jwks",
        "OIDC_GROUP_HELP_DESK": "helpdesk-staff",
    }
    config = oidc_settings(env)
    assert config.enabled
    assert config.django_settings["OIDC_USE_PKCE"] is True
    assert config.django_settings["OIDC_ROLE_GROUPS"] == {"help_desk": "helpdesk-staff"}
    with pytest.raises(ImproperlyConfigured, match="OIDC_OP_TOKEN_ENDPOINT"):
        oidc_settings({k: v for k, v in env.items() if k != "OIDC_OP_TOKEN_ENDPOINT"})
