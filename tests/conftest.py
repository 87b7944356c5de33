"""Shared personas. One agency ("Northern Lights CCR&R") with an office whose primary and
alternate local experts are Pat and Alex, an agency user Alice, help desk staff Hannah, MIS
staff Mike, an administrator Ada, and Otto, a local expert of another agency."""

import os
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from helpdesk.directory.roles import Role
from helpdesk.models import DesignationRole, Office, Person, User
from tests.factories import (
    TEST_PASSWORD,
    AgencyFactory,
    DesignationFactory,
    OfficeFactory,
    PersonFactory,
    UserFactory,
)

# The real OpenID Connect provider of the single sign-on tests (tests/oidc_provider/).
pytest_plugins = ["tests.oidc_provider.fixture"]


def pytest_sessionstart(session) -> None:
    """With CCAP_REQUIRE_SERVICES (set by .ci/run), a missing PostgreSQL or Redis stops the
    run at once with a clear error instead of letting tests fall back or skip."""
    required = {s.strip() for s in os.environ.get("CCAP_REQUIRE_SERVICES", "").split(",") if s}
    if not required:
        return
    from django.conf import settings

    problems = []
    if "postgresql" in required:
        problems += _postgresql_problems(settings)
    if "redis" in required:
        problems += _redis_problems(settings)
    if problems:
        pytest.exit("Required services are missing:\n  " + "\n  ".join(problems), returncode=3)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and at the end of the run, before it is dropped, an end
    to any PostgreSQL session still on it: threads of the tests (the ASGI server's workers,
    concurrency tests) can leave one behind, and then the drop fails."""
    yield
    from django.db import connections

    connection = connections["default"]
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Where .ci/run requires the real services, nothing may quietly skip."""
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("CCAP_REQUIRE_SERVICES")
        and not hasattr(report, "wasxfail")
    ):
        report.outcome = "failed"
        report.longrepr = f"Skipped where every service is required: {report.longrepr}"


def _postgresql_problems(settings) -> list[str]:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        return ["PostgreSQL is required but DATABASE_URL does not point at it"]
    import psycopg

    try:
        psycopg.connect(
            host=db["HOST"],
            port=db["PORT"] or 5432,
            user=db["USER"],
            dbname="postgres",
            password=db["PASSWORD"] or None,
            connect_timeout=5,
        ).close()
    except psycopg.Error as error:
        return [f"PostgreSQL at {db['HOST']}:{db['PORT']} does not answer: {error}"]
    return []


def _redis_problems(settings) -> list[str]:
    if not settings.REDIS_URL:
        return ["Redis is required but REDIS_URL is not set"]
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        return [f"Redis at {settings.REDIS_URL} does not answer: {error}"]
    return []


class SecondFactorClient(Client):
    """pytest-django's ``client``, except that ``force_login`` of someone who must pass a second
    factor (``helpdesk.auth.mfa.needs_second_factor``) also passes it, as the verify page would:
    through a real confirmed TOTP device of that user (made if they have none), stored in the
    session the way ``django_otp.login`` stores it. So the tests of pages act as staff who
    signed in completely; the tests of the second step itself (tests/helpdesk/test_mfa.py) use
    a plain ``django.test.Client`` and see it enforced."""

    def force_login(self, user, backend=None) -> None:
        super().force_login(user, backend)
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from helpdesk.auth.mfa import needs_second_factor

        if not needs_second_factor(user):
            return
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
        session = self.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def client() -> SecondFactorClient:
    """Staff signed in with ``client.force_login`` have passed their second factor."""
    return SecondFactorClient()


@dataclass
class World:
    office: Office
    other_office: Office
    alice: Person  # agency user
    pat: Person  # primary local expert
    alex: Person  # alternate local expert
    hannah: object  # help desk user
    mike: object  # MIS user
    ada: object  # administrator user
    otto: Person  # local expert of another agency
    password: str = TEST_PASSWORD

    def user(self, persona: str) -> User:
        """The login of a persona ("pat", "hannah", ...): a person's user, or the user itself."""
        person = getattr(self, persona)
        return getattr(person, "user", person)


def _person(office, username, first, last, *roles, title="Caseworker"):
    user = UserFactory(username=username, first_name=first, last_name=last, roles=list(roles))
    return PersonFactory(
        office=office,
        first_name=first,
        last_name=last,
        job_title=title,
        user=user,
        email=f"{username}@example.org",
    )


@pytest.fixture
def world(db) -> World:
    agency = AgencyFactory(name="Northern Lights CCR&R", code="northern-lights")
    office = OfficeFactory.create(agency=agency, name="Rockford office", city="Rockford")
    other_office = OfficeFactory.create(name="Carbondale office", city="Carbondale")
    pat = _person(office, "pat", "Pat", "Primary", Role.LOCAL_EXPERT, title="Lead caseworker")
    alex = _person(office, "alex", "Alex", "Alternate", Role.LOCAL_EXPERT)
    otto = _person(other_office, "otto", "Otto", "Outsider", Role.LOCAL_EXPERT)
    DesignationFactory(office=office, person=pat, role=DesignationRole.PRIMARY)
    DesignationFactory(office=office, person=alex, role=DesignationRole.ALTERNATE)
    DesignationFactory(office=other_office, person=otto, role=DesignationRole.PRIMARY)
    state = OfficeFactory(agency=AgencyFactory(state_unit=True, name="IDHS"), name="Springfield")
    for each in (agency, other_office.agency):
        _current_data_sharing_agreement(each)
    return World(
        office=office,
        other_office=other_office,
        alice=_person(office, "alice", "Alice", "Agency", Role.AGENCY_USER),
        pat=pat,
        alex=alex,
        hannah=_person(state, "hannah", "Hannah", "Helpdesk", Role.HELP_DESK).user,
        mike=_person(state, "mike", "Mike", "Mis", Role.MIS).user,
        ada=_person(state, "ada", "Ada", "Admin", Role.ADMINISTRATOR).user,
        otto=otto,
    )


def _current_data_sharing_agreement(agency) -> None:
    """Agencies of the world have signed theirs, covering every system: tests of the
    agreement gate take it away (tests/access/test_agreements.py)."""
    from access.models import DataSharingAgreement, TargetSystem

    today = timezone.localdate()
    agreement = DataSharingAgreement.objects.create(
        agency=agency,
        signed_on=today - timedelta(days=365),
        expires_on=today + timedelta(days=3 * 365),
    )
    agreement.systems.set(TargetSystem.objects.all())


@pytest.fixture(autouse=True)
def _fresh_request_limits():
    """Request limits (helpdesk.lib.throttle) count in the cache, which outlives a test (and,
    with Redis, a run): each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def ingest(django_capture_on_commit_callbacks):
    """Ingest raw mail through the pipe door and run what waits for the commit (emails, q2
    tasks), as the MTA's ``ingest_mail`` would: the mail tests' one way in."""
    from helpdesk.mail import intake

    def run(raw: bytes, **where) -> "intake.IntakeResult":
        with django_capture_on_commit_callbacks(execute=True):
            return intake.ingest(raw, source="pipe", **where)

    return run
