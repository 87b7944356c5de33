"""LDAP login, end to end: the real login page, django-axes, django-auth-ldap and a real slapd.

The settings come from ``config.ldap.ldap_settings`` fed with an environment dictionary, so the
environment-to-settings mapping is exercised with every login. The directory is described in
``tests/helpdesk/conftest.py``.
"""

from contextlib import contextmanager

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings
from django.urls import reverse

from config.ldap import ldap_settings
from helpdesk.actor import Actor
from helpdesk.directory.roles import Role
from helpdesk.directory.services import current_roles, deactivate_user
from helpdesk.models import AuditEvent, AuditKind, Person, SignInSource, User
from tests.factories import TEST_PASSWORD, DesignationFactory, OfficeFactory, PersonFactory
from tests.helpdesk.conftest import DIRECTORY_USERS, GROUPS, PEOPLE, group_dn

pytestmark = [pytest.mark.ldap, pytest.mark.django_db]

AXES = "axes.backends.AxesStandaloneBackend"
LDAP_BACKEND = "helpdesk.auth.backends.DirectoryBackend"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def directory_env(slapd, **extra: str) -> dict[str, str]:
    """The environment an operator would write for this directory."""
    return {
        "LDAP_SERVER_URI": slapd.ldap_uri,
        "LDAP_BIND_DN": slapd.root_dn,
        "LDAP_BIND_PASSWORD": slapd.root_pw,
        "LDAP_USER_SEARCH_BASE": PEOPLE,
        "LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid=%(user)s))",
        "LDAP_GROUP_SEARCH_BASE": GROUPS,
        "LDAP_GROUP_AGENCY_USER": group_dn("ccap-agency-users"),
        "LDAP_GROUP_LOCAL_EXPERT": group_dn("ccap-local-experts"),
        "LDAP_GROUP_HELP_DESK": group_dn("ccap-helpdesk"),
        # Written in another case than the directory's: DNs compare case-insensitively.
        "LDAP_GROUP_MIS": group_dn("ccap-mis").upper(),
        "LDAP_GROUP_ADMINISTRATOR": f"  {group_dn('ccap-admins')}  ",
        "LDAP_START_TLS": "false",
        "LDAP_TIMEOUT": "3",
        **extra,
    }


@contextmanager
def ldap_login_enabled(environ: dict[str, str]):
    config = ldap_settings(environ)
    assert config.enabled
    with override_settings(
        **config.django_settings, AUTHENTICATION_BACKENDS=[AXES, LDAP_BACKEND, MODEL_BACKEND]
    ):
        yield config


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def ldap_on(slapd):
    with ldap_login_enabled(directory_env(slapd)):
        yield slapd


def log_in(client, username: str, password: str | None = None):
    if password is None:
        password = DIRECTORY_USERS[username].password
    return client.post(reverse("login"), {"username": username, "password": password})


def assert_logged_in(client, response, backend: str = LDAP_BACKEND) -> User:
    assert response.status_code == 302, "the login page did not accept the credentials"
    assert response.url == reverse("home")
    assert client.session[BACKEND_SESSION_KEY] == backend
    return User.objects.get(pk=client.session[SESSION_KEY])


def assert_refused(client, response) -> None:
    assert response.status_code == 200
    assert response.context["form"].errors, "the login form shows no error"
    assert SESSION_KEY not in client.session


def role_audit(user) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.for_object(user).filter(kind=AuditKind.ROLES_CHANGED).order_by("id")
    )


# --- Logging in through the directory ----------------------------------------------------------


def test_a_help_desk_member_logs_in_with_name_email_and_role_from_the_directory(client, ldap_on):
    user = assert_logged_in(client, log_in(client, "hdesk"))

    assert user.username == "hdesk"
    assert (user.first_name, user.last_name, user.email) == (
        "Helen",
        "Desk",
        "Helen.Desk@example.org",
    )
    assert not user.has_usable_password(), "a directory login must not get a local password"
    assert current_roles(user) == {Role.HELP_DESK}
    [event] = role_audit(user)
    assert event.actor is None
    assert event.actor_label == "ldap"
    assert event.before == {"roles": []}
    assert event.after == {"roles": ["help_desk"]}


def test_it_logs_in_again_without_a_new_user_or_a_new_audit_event_when_nothing_changed(
    client, ldap_on
):
    assert_logged_in(client, log_in(client, "hdesk"))
    client.logout()

    user = assert_logged_in(client, log_in(client, "hdesk"))

    assert User.objects.filter(username="hdesk").count() == 1
    assert current_roles(user) == {Role.HELP_DESK}
    assert len(role_audit(user)) == 1


def test_it_gives_every_mapped_role_of_a_member_of_several_groups(client, ldap_on):
    user = assert_logged_in(client, log_in(client, "adamin"))

    assert current_roles(user) == {Role.LOCAL_EXPERT, Role.MIS, Role.ADMINISTRATOR}


def test_a_wrong_password_is_refused_and_opens_no_session(client, ldap_on):
    assert_refused(client, log_in(client, "mmover", "not-the-password"))
    assert not User.objects.filter(username="mmover").exists()

    # Once the directory login exists in Django, its unusable local password lets nobody in.
    assert_logged_in(client, log_in(client, "mmover"))
    client.logout()
    assert_refused(client, log_in(client, "mmover", "not-the-password"))
    assert_refused(client, log_in(client, "mmover", ""))


def test_an_unknown_user_is_refused_and_no_login_is_created(client, ldap_on):
    assert_refused(client, log_in(client, "nobody", "whatever-password"))

    assert not User.objects.filter(username="nobody").exists()


def test_a_group_move_in_the_directory_replaces_the_roles_at_next_login(
    client, ldap_on, reset_directory_groups
):
    user = assert_logged_in(client, log_in(client, "mmover"))
    assert current_roles(user) == {Role.MIS}
    client.logout()

    mover = DIRECTORY_USERS["mmover"].dn
    reset_directory_groups.ldapmodify(
        f"dn: {group_dn('ccap-mis')}\nchangetype: modify\ndelete: member\nmember: {mover}\n-\n\n"
        f"dn: {group_dn('ccap-helpdesk')}\nchangetype: modify\nadd: member\nmember: {mover}\n-\n"
    )
    user = assert_logged_in(client, log_in(client, "mmover"))

    assert current_roles(user) == {Role.HELP_DESK}, "roles must be replaced, not accumulated"
    first, second = role_audit(user)
    assert (first.before, first.after) == ({"roles": []}, {"roles": ["mis"]})
    assert (second.before, second.after) == ({"roles": ["mis"]}, {"roles": ["help_desk"]})
    assert second.actor_label == "ldap"


def test_a_role_given_by_hand_is_taken_back_at_the_next_directory_login(client, ldap_on):
    user = assert_logged_in(client, log_in(client, "hdesk"))
    client.logout()
    user.groups.add(Group.objects.get(name=Role.ADMINISTRATOR))

    user = assert_logged_in(client, log_in(client, "hdesk"))

    assert current_roles(user) == {Role.HELP_DESK}


def test_role_group_dns_match_however_the_operator_spaces_and_cases_them(client, slapd):
    spaced = "CN=ccap-helpdesk, OU=groups, DC=ccap, DC=example, DC=org"
    with ldap_login_enabled(directory_env(slapd, LDAP_GROUP_HELP_DESK=spaced)):
        user = assert_logged_in(client, log_in(client, "hdesk"))

    assert current_roles(user) == {Role.HELP_DESK}


# --- Linking the login to the directory person -------------------------------------------------


def test_a_login_is_linked_to_the_unlinked_person_with_its_email_whatever_the_case(client, ldap_on):
    person = PersonFactory(first_name="Casey", last_name="Worker", email="casey.worker@example.org")

    user = assert_logged_in(client, log_in(client, "cworker"))

    person.refresh_from_db()
    assert person.user == user
    assert current_roles(user) == {Role.AGENCY_USER}


def test_a_designated_local_expert_keeps_the_local_expert_role_outside_the_ldap_group(
    client, ldap_on
):
    office = OfficeFactory()
    person = PersonFactory(office=office, email="lee.expert@example.org")
    DesignationFactory(office=office, person=person)

    user = assert_logged_in(client, log_in(client, "lexpert"))

    person.refresh_from_db()
    assert person.user == user
    assert current_roles(user) == {Role.AGENCY_USER, Role.LOCAL_EXPERT}
    [event] = role_audit(user)
    assert event.after == {"roles": ["agency_user", "local_expert"]}

    # And at the next login too, though the directory still does not say so.
    client.logout()
    user = assert_logged_in(client, log_in(client, "lexpert"))
    assert current_roles(user) == {Role.AGENCY_USER, Role.LOCAL_EXPERT}


def test_a_login_is_not_linked_to_a_person_who_has_left(client, ldap_on):
    person = PersonFactory(left=True, email="gale.gone@example.org")

    user = assert_logged_in(client, log_in(client, "gone"))

    person.refresh_from_db()
    assert person.user is None
    assert not Person.objects.filter(user=user).exists()
    assert current_roles(user) == {Role.AGENCY_USER}


def test_a_login_does_not_take_over_a_person_already_linked_to_another_login(
    client, world, ldap_on
):
    alice = world.alice
    alice.emails.update(address="lee.expert@example.org")

    user = assert_logged_in(client, log_in(client, "lexpert"))

    alice.refresh_from_db()
    assert alice.user.username == "alice"
    assert current_roles(user) == {Role.AGENCY_USER}


# --- Restricting the login to a group ----------------------------------------------------------


def test_ldap_require_group_refuses_a_user_outside_that_group(client, slapd):
    with ldap_login_enabled(directory_env(slapd, LDAP_REQUIRE_GROUP=group_dn("ccap-staff"))):
        assert_refused(client, log_in(client, "outsider"))
        assert not User.objects.filter(username="outsider").exists()

        assert_logged_in(client, log_in(client, "hdesk"))


def test_without_a_required_group_a_user_in_no_group_logs_in_with_no_role(client, ldap_on):
    user = assert_logged_in(client, log_in(client, "outsider"))

    assert current_roles(user) == set()
    assert role_audit(user) == []


# --- Local accounts beside the directory -------------------------------------------------------


def test_a_local_account_still_logs_in_when_ldap_is_on(client, world, ldap_on):
    user = assert_logged_in(client, log_in(client, "hannah", TEST_PASSWORD), MODEL_BACKEND)

    assert user == world.hannah
    assert current_roles(user) == {Role.HELP_DESK}
    assert role_audit(user) == []


def test_a_directory_user_cannot_sign_in_to_a_local_account_with_the_same_username(
    client, world, ldap_on
):
    """A local account (here the superuser-like 'adamin') is never taken over by the
    directory entry that shares its username: the directory password is refused for it."""
    local = User.objects.create_user("adamin", password="the local password 123", is_superuser=True)

    assert_refused(client, log_in(client, "adamin"))
    local.refresh_from_db()
    assert local.check_password("the local password 123")
    assert current_roles(local) == set()
    assert_logged_in(client, log_in(client, "adamin", "the local password 123"), MODEL_BACKEND)


def test_a_login_the_directory_makes_is_marked_as_the_directorys(client, ldap_on):
    user = assert_logged_in(client, log_in(client, "hdesk"))

    assert user.sign_in_source == SignInSource.LDAP


def test_finding_ldap_does_not_take_over_local_account_without_usable_password(
    client, world, ldap_on
):
    """A local login whose password was never set (or was cleared) is not the directory's:
    before, no usable password was read as "made by LDAP", and the directory took it over."""
    local = User.objects.create_user("hdesk")  # no password: unusable, but local
    assert not local.has_usable_password()

    assert_refused(client, log_in(client, "hdesk"))
    local.refresh_from_db()
    assert local.sign_in_source == SignInSource.LOCAL
    assert local.last_login is None
    assert current_roles(local) == set()


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff"])
def test_finding_ldap_does_not_take_over_a_privileged_account(client, ldap_on, flag):
    """Not even one marked as the directory's: a superuser or staff-site login is local."""
    privileged = User.objects.create_user(
        "adamin", sign_in_source=SignInSource.LDAP, **{flag: True}
    )
    privileged.set_unusable_password()
    privileged.save()

    assert_refused(client, log_in(client, "adamin"))
    privileged.refresh_from_db()
    assert privileged.last_login is None
    assert current_roles(privileged) == set()


def test_finding_ldap_does_not_sign_in_or_reactivate_a_deactivated_login(client, world, ldap_on):
    user = assert_logged_in(client, log_in(client, "hdesk"))
    client.logout()
    deactivate_user(user, by=Actor.of(world.ada), reason="Left the help desk.")

    assert_refused(client, log_in(client, "hdesk"))

    user.refresh_from_db()
    assert not user.is_active, "a directory sign-in must never turn a login back on"
    assert not AuditEvent.objects.for_object(user).filter(kind=AuditKind.REACTIVATED).exists()


def test_finding_ldap_session_ends_when_its_login_is_deactivated(client, world, ldap_on):
    user = assert_logged_in(client, log_in(client, "hdesk"))
    # Signed in: help desk staff are asked for their second factor next, not for a password.
    assert client.get(reverse("home")).url.startswith(reverse("mfa_security"))

    deactivate_user(user, by=Actor.of(world.ada), reason="Left the help desk.")

    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_finding_ldap_backend_get_user_refuses_inactive_and_local_logins(world, ldap_on):
    """Whatever the session says, the directory's backend hands back only its own, active,
    unprivileged logins."""
    from helpdesk.auth.backends import DirectoryBackend

    backend = DirectoryBackend()
    directory_login = User.objects.create_user("ldap.person", sign_in_source=SignInSource.LDAP)
    assert backend.get_user(directory_login.pk) == directory_login
    assert backend.get_user(world.hannah.pk) is None  # local
    directory_login.is_active = False
    directory_login.save()
    assert backend.get_user(directory_login.pk) is None


def test_a_local_account_still_logs_in_when_the_directory_is_unreachable(client, world, slapd):
    unreachable = directory_env(slapd, LDAP_SERVER_URI="ldap://127.0.0.1:9/", LDAP_TIMEOUT="1")
    with ldap_login_enabled(unreachable):
        assert_logged_in(client, log_in(client, "hannah", TEST_PASSWORD), MODEL_BACKEND)
        client.logout()
        assert_refused(client, log_in(client, "hdesk"))


# --- From the environment to settings ----------------------------------------------------------


def test_ldap_is_off_without_a_server_uri():
    config = ldap_settings({})

    assert config.enabled is False
    assert config.django_settings == {"CCAP_LDAP_ROLE_GROUPS": {}}
    assert (
        ldap_settings({"LDAP_SERVER_URI": "   ", "LDAP_USER_SEARCH_BASE": PEOPLE}).enabled is False
    )


def test_a_server_without_a_user_search_base_is_refused():
    with pytest.raises(ImproperlyConfigured, match="LDAP_USER_SEARCH_BASE"):
        ldap_settings({"LDAP_SERVER_URI": "ldap://ldap.example.org"})


def test_role_groups_without_a_group_search_base_are_refused():
    with pytest.raises(ImproperlyConfigured, match="LDAP_GROUP_SEARCH_BASE"):
        ldap_settings(
            {
                "LDAP_SERVER_URI": "ldap://ldap.example.org",
                "LDAP_USER_SEARCH_BASE": PEOPLE,
                "LDAP_GROUP_HELP_DESK": group_dn("ccap-helpdesk"),
            }
        )


def test_the_environment_maps_to_django_auth_ldap_settings(slapd):
    settings = ldap_settings(directory_env(slapd)).django_settings

    assert settings["AUTH_LDAP_SERVER_URI"] == slapd.ldap_uri
    assert settings["AUTH_LDAP_BIND_DN"] == slapd.root_dn
    assert settings["AUTH_LDAP_USER_SEARCH"].base_dn == PEOPLE
    assert settings["AUTH_LDAP_GROUP_SEARCH"].base_dn == GROUPS
    assert settings["AUTH_LDAP_START_TLS"] is False
    assert "AUTH_LDAP_REQUIRE_GROUP" not in settings
    assert settings["CCAP_LDAP_ROLE_GROUPS"] == {
        "agency_user": group_dn("ccap-agency-users"),
        "local_expert": group_dn("ccap-local-experts"),
        "help_desk": group_dn("ccap-helpdesk"),
        "mis": group_dn("ccap-mis").upper(),
        "administrator": group_dn("ccap-admins"),
    }


@pytest.mark.parametrize("variable", ["LDAP_GROUP_MIS", "LDAP_REQUIRE_GROUP"])
def test_a_group_that_is_not_a_dn_is_refused(variable):
    environ = {
        "LDAP_SERVER_URI": "ldap://ldap.example.org",
        "LDAP_USER_SEARCH_BASE": PEOPLE,
        "LDAP_GROUP_SEARCH_BASE": GROUPS,
        variable: "ccap-mis",
    }
    with pytest.raises(ImproperlyConfigured, match=variable):
        ldap_settings(environ)
