"""Refusals as RFC 9457 problem details, and never a 5xx for what a client sends: malformed
JSON, wrong types, unknown fields, huge bodies, unknown paths and methods, a conflict, a stale
or missing If-Match, too many requests."""

import pytest

from helpdesk.actor import Actor
from helpdesk.tickets import services as svc
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _is_problem(response, status: int) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail"} <= set(body)
    assert body["status"] == status
    return body


def _etag(client, ticket) -> str:
    return client.get(f"/api/v1/tickets/{ticket.pk}/")["ETag"]


def test_malformed_json_is_400(world, api):
    ticket = th.in_progress(world)
    hannah = api("hannah")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/resolve/",
        raw=b'{"resolution": ',
        **{"If-Match": _etag(hannah, ticket)},
    )
    _is_problem(response, 400)


def test_wrong_types_are_400_with_each_fields_message(world, api):
    ticket = th.submitted(world)
    hannah = api("hannah")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/assign/",
        {"assignee": "someone"},
        **{"If-Match": _etag(hannah, ticket)},
    )
    body = _is_problem(response, 400)
    assert list(body["errors"]) == ["assignee"]


def test_a_body_that_is_not_an_object_is_400(world, api):
    ticket = th.submitted(world)
    hannah = api("hannah")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/assign/", [1, 2], **{"If-Match": _etag(hannah, ticket)}
    )
    _is_problem(response, 400)


def test_an_unknown_field_is_refused_and_named(world, api):
    ticket = th.in_progress(world)
    hannah = api("hannah")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/resolve/",
        {"resolution": "Reset.", "resolutoin": "typo"},
        **{"If-Match": _etag(hannah, ticket)},
    )
    body = _is_problem(response, 400)
    assert set(body["errors"]) == {"resolutoin"}
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"


def test_the_page_forms_rules_answer_per_field(world, api):
    """The rules are the page's form's: a blank resolution says what the page says."""
    ticket = th.in_progress(world)
    hannah = api("hannah")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/resolve/",
        {"resolution": "   "},
        **{"If-Match": _etag(hannah, ticket)},
    )
    body = _is_problem(response, 400)
    assert body["errors"]["resolution"] == ["Say how the problem was solved."]


def test_a_body_over_the_upload_limit_is_413_before_it_is_read(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    ticket = th.in_progress(world)
    hannah = api("hannah")
    etag = _etag(hannah, ticket)
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/resolve/",
        {"resolution": "x" * 2000},
        **{"If-Match": etag},
    )
    _is_problem(response, 413)


def test_an_unknown_path_is_a_problem_404(world, api):
    _is_problem(api("hannah").get("/api/v1/no/such/thing/"), 404)


def test_a_ticket_one_may_not_see_is_404_like_one_that_does_not_exist(world, api):
    ticket = th.submitted(world)
    otto = api("otto")
    _is_problem(otto.get(f"/api/v1/tickets/{ticket.pk}/"), 404)
    _is_problem(otto.get("/api/v1/tickets/999999/"), 404)


def test_an_action_one_may_not_take_is_403(world, api):
    ticket = th.submitted(world)
    pat = api("pat")
    response = pat.post(
        f"/api/v1/tickets/{ticket.pk}/assign/",
        {"assignee": world.hannah.pk},
        **{"If-Match": _etag(pat, ticket)},
    )
    _is_problem(response, 403)


def test_a_queue_not_for_ones_role_is_403(world, api):
    _is_problem(api("pat").get("/api/v1/tickets/", {"queue": "help_desk"}), 403)


def test_a_wrong_method_is_405(world, api):
    _is_problem(api("hannah").method("delete", "/api/v1/tickets/"), 405)


def test_a_stale_if_match_is_412_and_changes_nothing(world, api):
    ticket = th.submitted(world)
    hannah = api("hannah")
    stale = _etag(hannah, ticket)
    svc.set_priority(ticket, by=Actor.of(world.hannah), priority="p1")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": world.hannah.pk}, **{"If-Match": stale}
    )
    _is_problem(response, 412)
    ticket.refresh_from_db()
    assert ticket.assignee is None


def test_a_missing_if_match_is_428(world, api):
    ticket = th.submitted(world)
    response = api("hannah").post(
        f"/api/v1/tickets/{ticket.pk}/assign/", {"assignee": world.hannah.pk}
    )
    _is_problem(response, 428)


def test_an_action_the_state_no_longer_allows_is_the_one_conflict_409(world, api):
    ticket = th.resolved(world)
    hannah = api("hannah")
    response = hannah.post(
        f"/api/v1/tickets/{ticket.pk}/request-info/",
        {"question": "Which PC?"},
        **{"If-Match": _etag(hannah, ticket)},
    )
    body = _is_problem(response, 409)
    assert "Nothing was changed" in body["detail"]


def test_too_many_requests_is_429_with_retry_after(world, api, settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "api_requests_per_token": "3/m"}
    hannah = api("hannah")
    for _ in range(3):
        assert hannah.get("/api/v1/tickets/").status_code == 200
    response = hannah.get("/api/v1/tickets/")
    _is_problem(response, 429)
    assert int(response["Retry-After"]) >= 1
    # Per token: another token of the same person is not held back.
    assert api("hannah").get("/api/v1/tickets/").status_code == 200


def test_a_session_write_without_its_csrf_token_is_403(world, client):
    from django.test import Client

    ticket = th.submitted(world)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.pat.user)
    response = strict.post(
        f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Hi"}, content_type="application/json"
    )
    _is_problem(response, 403)


def test_bad_query_values_are_400(world, api):
    hannah = api("hannah")
    _is_problem(hannah.get("/api/v1/tickets/", {"state": "nonsense"}), 400)
    _is_problem(hannah.get("/api/v1/tickets/", {"page_size": "0"}), 400)
    _is_problem(hannah.get("/api/v1/tickets/", {"cursor": "forged"}), 400)
    _is_problem(hannah.get("/api/v1/tickets/", {"colour": "red"}), 400)
