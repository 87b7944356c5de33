"""Schemathesis against the schema the API serves: every operation, with a token of each role,
valid and invalid data, real tickets and random ones, good and stale ETags. No answer may be a
server error, and every answer must match the schema (its status, media type and body).

Kept under a couple of minutes by the number of examples per operation and role
(``EXAMPLES``); a failing example prints the request that reproduces it."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, openapi
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from helpdesk.models import Ticket, TokenScope
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db(transaction=False)

ROLES = ["hannah", "mike", "ada", "pat", "alice"]
EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 2}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def tickets(world) -> list:
    """A ticket in each state a role acts on, so generated cases reach the services."""
    return [
        th.reported(world),
        th.submitted(world),
        th.in_progress(world),
        th.awaiting_info(world),
        th.with_mis(world),
        th.resolved(world),
    ]


@pytest.mark.parametrize("persona", ROLES)
def test_every_operation_answers_within_its_schema(
    persona, world, tickets, settings_fixture, wsgi_app
):
    _token, secret = make_token(world.user(persona), TokenScope.WRITE)
    served = ApiClient(secret).get("/api/v1/schema/", {"format": "json"})
    assert served.status_code == 200
    schema = openapi.from_dict(served.json())
    app = wsgi_app
    ids = [t.pk for t in tickets]
    auth = {"Authorization": f"Bearer {secret}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:
        for mode, examples in EXAMPLES.items():

            @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                suppress_health_check=list(HealthCheck),
            )
            def run(case, data) -> None:
                if "id" in (case.path_parameters or {}) and data.draw(st.booleans()):
                    case.path_parameters["id"] = data.draw(st.sampled_from(ids))
                    headers = case.headers or {}
                    if "If-Match" in headers and data.draw(st.booleans()):
                        row = Ticket.objects.get(pk=case.path_parameters["id"])
                        headers["If-Match"] = f'"{row.pk}-{row.version}"'
                response = case.call(app=app, headers=auth)
                case.validate_response(response, checks=CHECKS)

            run()


@pytest.fixture
def settings_fixture(settings):
    """No request limit gets in the way of the examples."""
    settings.THROTTLE_RATES = {
        **settings.THROTTLE_RATES,
        "api_requests_per_token": "100000/m",
        "api_requests_per_user": "100000/m",
    }
    return settings
