"""The access pages for every role: open revocations (soonest deadline first, overdue
highlighted, recently closed below), a person's access with its "new request" and "report a
departure" forms, and one request with submit, complete, deny, cancel and the password reset
whose temporary password is shown once and lands nowhere else. Rules live in the services;
here they are reached through the pages."""

import logging
import re
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import ldap
import pytest
import time_machine
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse

from access import services as acs
from access.models import (
    AccessRequest,
    Account,
    AccountState,
    Departure,
    Fulfiller,
    RequestKind,
    RequestState,
    TargetSystem,
)
from helpdesk.actor import Actor
from helpdesk.models import AuditEvent
from tests.access.conftest import CCTS_OU
from tests.access.test_services import _database_contains, file_forms
from tests.confirming import post_confirmed
from tests.factories import PersonFactory

CHICAGO = ZoneInfo("America/Chicago")
EVIL = "<script>alert(1)</script>"
EVIL_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"

ROLES = ["hannah", "ada", "pat", "alex", "otto", "alice", "mike"]
# Alice's access pages: the help desk, administrators and her agency's local experts see them;
# anyone else is told nothing exists (404).
SEES_ALICE = {"hannah", "ada", "pat", "alex"}
# Who may request for her (and report her departure): not administrators.
REQUESTS_FOR_ALICE = {"hannah", "pat", "alex"}
# The revocations page: local experts and the state staff who deal with access.
REVOCATIONS_STATUS = {
    "hannah": 200,
    "ada": 200,
    "pat": 200,
    "alex": 200,
    "otto": 200,
    "alice": 403,
    "mike": 403,
}
ACTIONS = ["submit", "complete", "deny", "cancel"]


def system(code: str) -> TargetSystem:
    return TargetSystem.objects.get(code=code)


def active_account(person, code: str, identifier: str) -> Account:
    return Account.objects.create(
        person=person,
        credential_group=system(code).credential_group,
        identifier=identifier,
        state=AccountState.ACTIVE,
    )


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _page(response) -> str:
    return response.content.decode()


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=CHICAGO)


def _action(pk: int, action: str) -> str:
    return reverse("access_request_action", args=[pk, action])


def _refreshed(request: AccessRequest) -> AccessRequest:
    request.refresh_from_db()
    return request


@pytest.fixture
def as_(client, world):
    def login(who: str):
        client.force_login(world.user(who))
        return client

    return login


@pytest.fixture
def dana(world):
    """A caseworker of Pat's office with a CCTS and a CCMS account."""
    person = PersonFactory(office=world.office, first_name="Dana", last_name="Departing")
    active_account(person, "ccts", "DHSDA01")
    active_account(person, "ccms", "Dana.Departing")
    return person


@pytest.fixture
def departure(world, dana) -> Departure:
    """Dana left: two revocations, submitted to the help desk (CCTS) and CMS (CCMS)."""
    return acs.report_departure(
        dana, by=Actor.of(world.hannah), kind="left", effective_on=date.today()
    )


@pytest.fixture
def new_request(world) -> AccessRequest:
    """Alice's new CCTS access, waiting for her security forms."""
    return acs.open_request(
        world.alice, system("ccts"), RequestKind.NEW, by=Actor.of(world.pat.user)
    )


@pytest.fixture
def submitted(world) -> AccessRequest:
    """Alice's new IPACS access (no forms needed), submitted to MIS by the help desk."""
    request = acs.open_request(
        world.alice, system("ipacs"), RequestKind.NEW, by=Actor.of(world.pat.user)
    )
    return acs.submit(request, by=Actor.of(world.hannah))


@pytest.fixture
def ready(world) -> AccessRequest:
    """Alice's new AWVS access (no forms needed), ready to be submitted to MIS."""
    return acs.open_request(
        world.alice, system("awvs"), RequestKind.NEW, by=Actor.of(world.pat.user)
    )


@pytest.fixture
def reset(world) -> AccessRequest:
    """Alice forgot her CCTS password: a reset the help desk does itself, ready."""
    active_account(world.alice, "ccts", "DHSAL01")
    return acs.open_request(
        world.alice, system("ccts"), RequestKind.RESET, by=Actor.of(world.pat.user)
    )


@pytest.fixture
def outsider(world):
    """A staff member of Otto's agency."""
    return PersonFactory(office=world.other_office, first_name="Olga", last_name="Outside")


# --- Who reaches which page -----------------------------------------------------------------------


def test_every_page_asks_to_sign_in_first(client, world, new_request):
    pk = new_request.pk
    for url in [
        reverse("revocations"),
        reverse("person_access", args=[world.alice.pk]),
        reverse("access_request", args=[pk]),
    ]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    for url, data in [
        (reverse("person_access", args=[world.alice.pk]), {"report_departure": "1"}),
        (reverse("access_reset_password", args=[pk]), {}),
        *[(_action(pk, action), {"reason": "x"}) for action in ACTIONS],
    ]:
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url
    assert _refreshed(new_request).state == RequestState.AWAITING_FORMS
    assert not Departure.objects.exists()


@pytest.mark.parametrize("who", ROLES)
def test_the_revocations_page_by_role(as_, departure, who):
    response = as_(who).get(reverse("revocations"))

    assert response.status_code == REVOCATIONS_STATUS[who]
    if response.status_code == 200:
        page = _page(response)
        assert ">Open revocations</h1>" in page
        assert ("Dana Departing" in page) == (who in SEES_ALICE)
        assert ("No open revocations." in page) == (who not in SEES_ALICE)


@pytest.mark.parametrize("who", ROLES)
def test_a_persons_access_page_by_role(as_, world, new_request, who):
    response = as_(who).get(reverse("person_access", args=[world.alice.pk]))

    assert response.status_code == (200 if who in SEES_ALICE else 404)
    if response.status_code == 200:
        page = _page(response)
        assert "<h1>Access of Alice Agency</h1>" in page
        assert "New access on CCTS" in page
        assert ("New request" in page) == (who in REQUESTS_FOR_ALICE)
        assert ("Report a departure" in page) == (who in REQUESTS_FOR_ALICE)


@pytest.mark.parametrize("who", ROLES)
def test_a_request_page_by_role(as_, new_request, who):
    response = as_(who).get(reverse("access_request", args=[new_request.pk]))

    assert response.status_code == (200 if who in SEES_ALICE else 404)
    if response.status_code == 200:
        assert "New access on CCTS for Alice Agency" in _page(response)


@pytest.mark.parametrize(("who", "status"), [("otto", 200), ("hannah", 200), ("pat", 404)])
def test_another_agencys_person_and_request(as_, world, outsider, who, status):
    active_account(outsider, "ccts", "DHSOO01")
    request = acs.open_request(
        outsider, system("ccts"), RequestKind.RESET, by=Actor.of(world.otto.user)
    )
    client = as_(who)

    assert client.get(reverse("person_access", args=[outsider.pk])).status_code == status
    assert client.get(reverse("access_request", args=[request.pk])).status_code == status


def test_the_local_expert_of_another_agency_gets_404_on_every_page_and_post(
    as_, world, dana, reset, submitted
):
    client = as_("otto")
    person = reverse("person_access", args=[world.alice.pk])

    assert client.get(person).status_code == 404
    assert client.get(reverse("person_access", args=[dana.pk])).status_code == 404
    for request in (reset, submitted):
        assert client.get(reverse("access_request", args=[request.pk])).status_code == 404
    open_new = {"open_request": "1", "system": system("ccms").pk, "kind": "new"}
    assert client.post(person, open_new).status_code == 404
    leave = {"report_departure": "1", "kind": "left", "effective_on": "2026-11-20"}
    assert client.post(reverse("person_access", args=[dana.pk]), leave).status_code == 404
    for action in ACTIONS:
        response = client.post(_action(submitted.pk, action), {"reason": "Not mine", "note": "x"})
        assert response.status_code == 404, action
    assert client.post(reverse("access_reset_password", args=[reset.pk])).status_code == 404
    assert _refreshed(submitted).state == RequestState.SUBMITTED
    assert _refreshed(reset).state == RequestState.READY
    assert AccessRequest.objects.count() == 2
    assert not Departure.objects.exists()
    # Their own agency's revocations page says nothing of Pat's office.
    assert "Dana" not in _page(client.get(reverse("revocations")))


@pytest.mark.parametrize("who", ["alice", "mike"])
def test_agency_users_and_mis_get_nothing(as_, world, departure, reset, who):
    client = as_(who)
    revoke = departure.requests.get(system__code="ccts")

    assert client.get(reverse("revocations")).status_code == 403
    assert client.get(reverse("person_access", args=[world.alice.pk])).status_code == 404
    assert client.get(reverse("access_request", args=[revoke.pk])).status_code == 404
    response = client.post(
        reverse("person_access", args=[world.alice.pk]),
        {"open_request": "1", "system": system("ccms").pk, "kind": "new"},
    )
    assert response.status_code == 404
    for action in ACTIONS:
        response = client.post(_action(revoke.pk, action), {"reason": "No", "note": "Done"})
        assert response.status_code == 404, action
    assert client.post(reverse("access_reset_password", args=[reset.pk])).status_code == 404
    assert _refreshed(revoke).state == RequestState.SUBMITTED
    assert _refreshed(reset).state == RequestState.READY


def test_an_administrator_sees_everything_and_changes_nothing(as_, world, ready, submitted, reset):
    client = as_("ada")
    person = reverse("person_access", args=[world.alice.pk])

    for data in [
        {"open_request": "1", "system": system("ccms").pk, "kind": "new"},
        {"report_departure": "1", "kind": "left", "effective_on": "2026-11-20"},
    ]:
        assert client.post(person, data).status_code == 403
    assert client.post(_action(ready.pk, "submit")).status_code == 403
    for action in ACTIONS[1:]:
        response = client.post(_action(submitted.pk, action), {"reason": "No", "note": "Done"})
        assert response.status_code == 403, action
    assert client.post(reverse("access_reset_password", args=[reset.pk])).status_code == 403
    for request in (ready, submitted, reset):
        page = _page(client.get(reverse("access_request", args=[request.pk])))
        for offered in ("Submit to", "Record completion", "Cancel this request", "Reset to"):
            assert offered not in page, (request, offered)
    assert _refreshed(ready).state == RequestState.READY
    assert _refreshed(submitted).state == RequestState.SUBMITTED
    assert _refreshed(reset).state == RequestState.READY
    assert AccessRequest.objects.count() == 3
    assert not Departure.objects.exists()


@pytest.mark.parametrize("who", ["pat", "alex"])
def test_a_local_expert_requests_and_cancels_but_the_help_desk_fulfils(
    as_, world, ready, submitted, reset, who
):
    client = as_(who)

    assert "Submit to" not in _page(client.get(reverse("access_request", args=[ready.pk])))
    assert client.post(_action(ready.pk, "submit")).status_code == 403
    assert _refreshed(ready).state == RequestState.READY
    page = _page(client.get(reverse("access_request", args=[submitted.pk])))
    assert "Record completion" not in page
    assert "Cancel this request" in page
    for action in ("complete", "deny"):
        response = client.post(_action(submitted.pk, action), {"reason": "No", "note": "Done"})
        assert response.status_code == 403, action
    assert "Reset to a temporary password" not in _page(
        client.get(reverse("access_request", args=[reset.pk]))
    )
    assert client.post(reverse("access_reset_password", args=[reset.pk])).status_code == 403
    assert _refreshed(reset).state == RequestState.READY
    assert not AuditEvent.objects.filter(note__startswith="Password reset").exists()
    assert _refreshed(submitted).state == RequestState.SUBMITTED

    response = client.post(
        _action(submitted.pk, "cancel"), {"reason": "Alice moved to another team."}, follow=True
    )

    assert _refreshed(submitted).state == RequestState.CANCELLED
    assert _messages(response) == ["New access on IPACS for Alice Agency: cancelled."]
    assert "Alice moved to another team." in _page(response)


def test_a_local_expert_role_without_a_designation_sees_no_access(as_, world, departure):
    world.alex.designations.all().delete()  # Alex keeps the role but is no longer designated
    revoke = departure.requests.first()
    client = as_("alex")

    assert "Dana" not in _page(client.get(reverse("revocations")))
    assert client.get(reverse("access_request", args=[revoke.pk])).status_code == 404
    assert client.get(reverse("person_access", args=[departure.person.pk])).status_code == 404
    response = client.post(_action(revoke.pk, "cancel"), {"reason": "Not needed"})
    assert response.status_code == 404
    assert _refreshed(revoke).state == RequestState.SUBMITTED
    # Nor the agency's access report, its reviews or the Access home panel.
    assert client.get(reverse("access_report")).status_code == 403
    assert client.get(reverse("review_campaigns")).status_code == 403
    assert ">Access<" not in _page(client.get(reverse("home")))


def test_a_local_expert_cannot_cancel_a_departures_revocation(as_, departure):
    revoke = departure.requests.get(system__code="ccts")

    as_("pat").post(_action(revoke.pk, "cancel"), {"reason": "Changed my mind."})

    assert _refreshed(revoke).state == RequestState.SUBMITTED
    assert revoke.account.state == AccountState.ACTIVE


# --- Opening a request through the person page ----------------------------------------------------


@pytest.mark.parametrize("who", ["pat", "hannah"])
def test_a_new_ccts_request_waits_for_the_forms(as_, world, who):
    response = as_(who).post(
        reverse("person_access", args=[world.alice.pk]),
        {
            "open_request": "1",
            "system": system("ccts").pk,
            "kind": "new",
            "reason": "New caseworker.",
        },
        follow=True,
    )

    request = AccessRequest.objects.get()
    assert response.redirect_chain == [(reverse("access_request", args=[request.pk]), 302)]
    assert (request.kind, request.state) == (RequestKind.NEW, RequestState.AWAITING_FORMS)
    assert request.requested_by == world.user(who)
    assert _messages(response) == [
        "New access on CCTS for Alice Agency: waiting for security forms or agreement."
    ]
    page = _page(response)
    assert re.search(r"<dt>Waiting for</dt><dd>4052, 4055 \(<a href=", page)
    assert "Submit to" not in page
    assert request.account.state == AccountState.REQUESTED
    persons = _page(as_(who).get(reverse("person_access", args=[world.alice.pk])))
    assert "(not yet)" in persons
    assert "New access on CCTS</a>: Waiting for security forms" in persons


@pytest.mark.parametrize("code", ["ccms", "infoview"])
def test_a_ccms_reset_is_answered_with_the_cms_route_and_completed(as_, world, code):
    active_account(world.alice, "ccms", "Alice.Agency")

    response = as_("pat").post(
        reverse("person_access", args=[world.alice.pk]),
        {"open_request": "1", "system": system(code).pk, "kind": "reset"},
        follow=True,
    )

    request = AccessRequest.objects.get()
    assert (request.state, request.fulfiller) == (RequestState.COMPLETED, Fulfiller.CMS)
    [message] = _messages(response)
    assert message == system(code).reset_route
    assert "Central Management Services (CMS)" in message
    page = _page(response)
    assert '<dd id="request-state">Completed</dd>' in page
    assert "Reset to a temporary password" not in page
    assert "Record completion" not in page
    assert not AccessRequest.objects.open().exists()


def test_a_request_the_services_refuse_shows_why_on_the_person_page(as_, world):
    active_account(world.alice, "ccts", "DHSAL01")
    client = as_("pat")
    url = reverse("person_access", args=[world.alice.pk])

    response = client.post(url, {"open_request": "1", "system": system("ccts").pk, "kind": "new"})
    assert response.status_code == 200
    assert "Alice Agency already has DHSAL01." in _page(response)
    response = client.post(
        url, {"open_request": "1", "system": system("ipacs").pk, "kind": "reset"}
    )
    assert response.status_code == 200
    assert "Alice Agency has no IPACS ID to change." in _page(response)
    response = client.post(url, {"open_request": "1", "kind": "new"})
    assert response.status_code == 200
    assert response.context["request_form"].errors["system"]
    assert not AccessRequest.objects.exists()


# --- Departures and the revocations page ----------------------------------------------------------


@pytest.mark.parametrize("who", ["pat", "hannah"])
def test_the_departure_form_opens_the_revocations_and_shows_them(as_, world, dana, who):
    reported = _at(date(2026, 11, 20))  # a Friday: due over the weekend, Tuesday 17:00
    with time_machine.travel(reported, tick=False):
        response = post_confirmed(
            as_(who),
            reverse("person_access", args=[dana.pk]),
            {
                "report_departure": "1",
                "kind": "left",
                "effective_on": "2026-11-20",
                "note": "Last day today.",
            },
            follow=True,
        )

    departure = Departure.objects.get()
    assert departure.reported_by == world.user(who)
    assert response.redirect_chain == [(reverse("revocations"), 302)]
    assert _messages(response) == ["2 revocations opened, due Tuesday November 24, 5:00 PM."]
    page = _page(response)
    assert page.count("Tue Nov 24, 5:00 PM") == 2
    assert "DHSDA01" in page
    assert "Dana.Departing" in page
    assert "Central Management Services (CMS)" in page  # who does the CCMS one
    dana.refresh_from_db()
    assert not dana.active
    with time_machine.travel(reported, tick=False):
        persons = _page(as_(who).get(reverse("person_access", args=[dana.pk])))
    assert "Report a departure" not in persons
    assert "Left the agency on 2026-11-20" in persons
    assert "Last day today." in persons


def test_an_incomplete_departure_form_opens_nothing(as_, dana):
    response = as_("pat").post(
        reverse("person_access", args=[dana.pk]), {"report_departure": "1", "kind": "left"}
    )

    assert response.status_code == 200
    assert response.context["departure_form"].errors["effective_on"]
    assert not Departure.objects.exists()
    assert not AccessRequest.objects.exists()


def test_revocations_are_listed_soonest_deadline_first_with_the_overdue_highlighted(as_, world):
    early = PersonFactory(office=world.office, first_name="Erin", last_name="Early")
    later = PersonFactory(office=world.office, first_name="Luke", last_name="Later")
    active_account(early, "ccts", "DHSEE01")
    active_account(later, "ccts", "DHSLL01")
    # Erin's departure is reported first (due Wednesday), Luke's the next day (due Thursday).
    for person, day in [(early, date(2026, 11, 16)), (later, date(2026, 11, 17))]:
        with time_machine.travel(_at(day), tick=False):
            acs.report_departure(person, by=Actor.of(world.pat.user), kind="left", effective_on=day)

    with time_machine.travel(_at(date(2026, 11, 19), 9), tick=False):  # Thursday morning
        page = _page(as_("hannah").get(reverse("revocations")))

    rows = re.findall(r"<tr( class=\"overdue\")?>\s*<td[^>]*>(.*?)</tr>", page, re.DOTALL)
    assert len(rows) == 2
    (erin_overdue, erin), (luke_overdue, luke) = rows
    assert "Erin Early" in erin
    assert "Wed Nov 18, 5:00 PM" in erin
    assert erin_overdue
    assert 'class="badge bad">Overdue' in erin
    assert "Luke Later" in luke
    assert "Thu Nov 19, 5:00 PM" in luke
    assert not luke_overdue
    assert "Overdue" not in luke


def test_closed_revocations_leave_the_open_list(as_, world, departure):
    ccts, ccms = (departure.requests.get(system__code=c) for c in ("ccts", "ccms"))
    acs.complete(ccts, by=Actor.of(world.hannah), note="Deleted in RACF.")

    page = _page(as_("pat").get(reverse("revocations")))
    open_part, _, closed_part = page.partition("Closed in the last 14 days")
    assert "Dana.Departing" in open_part
    assert "DHSDA01" not in open_part
    assert "DHSDA01" in closed_part
    assert "Completed" in closed_part
    assert "Late" not in closed_part

    acs.complete(ccms, by=Actor.of(world.hannah), note="CMS confirmed by phone.")

    page = _page(as_("pat").get(reverse("revocations")))
    assert "No open revocations." in page
    assert page.count("Completed") == 2


# --- One request: submit, complete, deny, cancel --------------------------------------------------


def test_the_help_desk_submits_and_completes_a_new_request_with_its_id(as_, world):
    file_forms(world, world.alice)
    client = as_("hannah")
    client.post(
        reverse("person_access", args=[world.alice.pk]),
        {"open_request": "1", "system": system("ccts").pk, "kind": "new"},
    )
    request = AccessRequest.objects.get()
    assert request.state == RequestState.READY
    page = _page(client.get(reverse("access_request", args=[request.pk])))
    assert "Submit to CCAP Help Desk" in page

    response = client.post(_action(request.pk, "submit"), follow=True)
    assert _messages(response) == [
        "New access on CCTS for Alice Agency: submitted to the fulfiller."
    ]
    page = _page(response)
    assert '<label for="id_identifier">RACF ID created</label>' in page
    assert "begins with DHS, e.g. DHSAB12" in page

    for identifier, error in [
        ("", "Enter the RACF ID that was created."),
        ("XYZ12", "XYZ12 is not a valid RACF ID (begins with DHS, e.g. DHSAB12)."),
    ]:
        response = client.post(_action(request.pk, "complete"), {"identifier": identifier})
        assert response.status_code == 400  # on the page, with what was typed
        form = response.context["complete_form"]
        assert [e for errors in form.errors.values() for e in errors] == [error]
        assert form["identifier"].value() == identifier
        assert _refreshed(request).state == RequestState.SUBMITTED
    response = client.post(
        _action(request.pk, "complete"),
        {"identifier": "DHSAB12", "note": "Created in RACF."},
        follow=True,
    )

    assert _messages(response) == ["New access on CCTS for Alice Agency: completed."]
    request = _refreshed(request)
    assert request.state == RequestState.COMPLETED
    assert (request.account.identifier, request.account.state) == ("DHSAB12", "active")
    assert "DHSAB12 (active)" in _page(response)
    assert "Record completion" not in _page(response)


def test_a_revocation_is_completed_with_the_fulfillers_confirmation_and_no_id(
    as_, world, departure
):
    ccms = departure.requests.get(system__code="ccms")
    client = as_("hannah")

    page = _page(client.get(reverse("access_request", args=[ccms.pk])))
    assert "Record completion" in page
    assert 'name="identifier"' not in page
    response = client.post(
        _action(ccms.pk, "complete"), {"note": "x" * 501}
    )  # too long: refused, not cut, and shown again on the page at its field
    assert response.status_code == 400
    form = response.context["complete_form"]
    assert form.errors["note"] == ["Ensure this value has at most 500 characters (it has 501)."]
    assert form["note"].value() == "x" * 501
    assert _refreshed(ccms).state == RequestState.SUBMITTED

    client.post(_action(ccms.pk, "complete"), {"note": "CMS confirmed, ticket 5521."})

    ccms = _refreshed(ccms)
    assert ccms.state == RequestState.COMPLETED
    assert ccms.outcome_note == "CMS confirmed, ticket 5521."
    assert ccms.account.state == AccountState.REVOKED


def test_deny_needs_a_reason(as_, submitted):
    client = as_("hannah")

    response = client.post(_action(submitted.pk, "deny"), {"reason": "  "})
    assert response.status_code == 400
    assert response.context["deny_form"].errors["reason"] == ["Give the reason."]
    assert 'id="id_deny_reason"' in _page(response)
    assert _refreshed(submitted).state == RequestState.SUBMITTED

    response = client.post(
        _action(submitted.pk, "deny"), {"reason": "No signed 4055 from the agency."}, follow=True
    )
    submitted = _refreshed(submitted)
    assert submitted.state == RequestState.DENIED
    assert submitted.outcome_note == "No signed 4055 from the agency."
    assert "<dt>Outcome</dt><dd>No signed 4055 from the agency.</dd>" in _page(response)
    assert submitted.account.state == AccountState.REVOKED  # the requested account is dropped


@pytest.mark.parametrize("who", ["pat", "hannah"])
def test_cancel_needs_a_reason(as_, new_request, who):
    client = as_(who)

    response = client.post(_action(new_request.pk, "cancel"), {})
    assert response.status_code == 400
    assert response.context["cancel_form"].errors["reason"] == ["Give the reason."]
    assert "<details open><summary>Cancel this request" in _page(response)
    assert _refreshed(new_request).state == RequestState.AWAITING_FORMS

    client.post(_action(new_request.pk, "cancel"), {"reason": "Hired elsewhere."})
    new_request = _refreshed(new_request)
    assert new_request.state == RequestState.CANCELLED
    assert new_request.outcome_note == "Hired elsewhere."


def test_an_action_that_cannot_be_done_now_says_so(as_, new_request):
    client = as_("hannah")

    response = client.post(_action(new_request.pk, "deny"), {"reason": "No."}, follow=True)
    assert _messages(response) == [
        "This request is waiting for security forms or agreement now, so that cannot be done: "
        "someone may have acted on it first. Nothing was changed."
    ]
    response = client.post(_action(new_request.pk, "submit"), follow=True)
    assert _messages(response) == ["Still missing: 4052, 4055."]
    assert client.post(_action(new_request.pk, "approve")).status_code == 404
    assert client.get(_action(new_request.pk, "submit")).status_code == 405
    assert _refreshed(new_request).state == RequestState.AWAITING_FORMS


def _duplicate_ids(page: str) -> list[str]:
    ids = re.findall(r' id="([^"]+)"', page)
    return sorted({i for i in ids if ids.count(i) > 1})


def test_the_deny_and_cancel_reasons_have_labels_of_their_own(as_, submitted):
    page = _page(as_("hannah").get(reverse("access_request", args=[submitted.pk])))

    assert _duplicate_ids(page) == []
    assert '<label for="id_deny_reason">' in page
    assert '<label for="id_cancel_reason">' in page


def test_the_request_and_departure_fields_have_labels_of_their_own(as_, world):
    page = _page(as_("pat").get(reverse("person_access", args=[world.alice.pk])))

    assert _duplicate_ids(page) == []
    assert '<label for="id_request_kind">Request' in page
    assert '<label for="id_departure_kind">What happened' in page


# --- The temporary password -----------------------------------------------------------------------


def _session_and_cookie_texts(client) -> list[str]:
    texts = [str(s.get_decoded()) for s in Session.objects.all()]
    for name, morsel in client.cookies.items():
        texts.append(morsel.value)
        if name == "messages":
            request = HttpRequest()
            request.COOKIES[name] = morsel.value
            texts.append(str(list(CookieStorage(request))))
    return texts


def test_the_temporary_password_is_shown_once_and_lands_nowhere_else(
    as_, world, reset, caplog, mailoutbox
):
    caplog.set_level(logging.DEBUG)
    client = as_("hannah")
    page = _page(client.get(reverse("access_request", args=[reset.pk])))
    assert "Reset to a temporary password" in page
    assert "Submit to" not in page  # a bare submit would reset nothing: the reset submits it

    response = client.post(reverse("access_reset_password", args=[reset.pk]))

    assert response.status_code == 200
    password = response.context["password"]
    assert re.fullmatch(r"[A-Za-z0-9]{12}", password)
    page = _page(response)
    assert page.count(password) == 1
    assert f"<code>{password}</code>" in page
    assert "Temporary password, shown once" in page
    cache_control = {v.strip() for v in response["Cache-Control"].split(",")}
    assert {"no-store", "no-cache", "must-revalidate", "private", "max-age=0"} <= cache_control
    assert _refreshed(reset).state == RequestState.COMPLETED
    assert all(password not in m for m in _messages(response))

    again = client.get(reverse("access_request", args=[reset.pk]))

    assert password not in _page(again)
    assert "Temporary password, shown once" not in _page(again)
    assert all(password not in m for m in _messages(again))
    assert all(password not in text for text in _session_and_cookie_texts(client))
    assert not _database_contains(password)
    assert password not in caplog.text
    assert all(password not in m.body + m.subject for m in mailoutbox)


def test_only_a_reset_the_help_desk_does_itself_gives_a_password(as_, new_request):
    client = as_("hannah")

    response = client.post(reverse("access_reset_password", args=[new_request.pk]), follow=True)

    assert _messages(response) == ["Only a password reset the help desk does itself."]
    assert "Temporary password" not in _page(response)
    assert client.get(reverse("access_reset_password", args=[new_request.pk])).status_code == 405


def test_a_reset_the_help_desk_does_itself_is_not_submitted_without_its_password(as_, reset):
    response = as_("hannah").post(_action(reset.pk, "submit"), follow=True)

    assert _messages(response) == [
        "Use “Reset to a temporary password”: it submits the reset with the new password."
    ]
    assert _refreshed(reset).state == RequestState.READY


# --- The password in the directory ----------------------------------------------------------------


def _binds(server, uid: str, password: str) -> bool:
    connection = ldap.initialize(server.ldap_uri)
    try:
        connection.simple_bind_s(f"uid={uid},{CCTS_OU}", password)
    except ldap.INVALID_CREDENTIALS:
        return False
    finally:
        connection.unbind_s()
    return True


@pytest.fixture
def tasks_at_once(monkeypatch):
    """After-commit callbacks run when registered, as after a real commit with the tests'
    synchronous django-q2: the page is rendered after the provisioning task ran."""
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.mark.ldap
def test_the_password_shown_is_the_one_the_directory_took(as_, directory, reset, tasks_at_once):
    response = as_("hannah").post(reverse("access_reset_password", args=[reset.pk]))

    password = response.context["password"]
    assert f"<code>{password}</code>" in _page(response)
    assert '<dd id="request-state">Completed</dd>' in _page(response)
    assert _binds(directory, "DHSAL01", password)


@pytest.mark.ldap
def test_no_password_is_shown_when_the_directory_did_not_take_it(
    as_, directory, settings, reset, tasks_at_once
):
    settings.ACCESS_LDAP = {**settings.ACCESS_LDAP, "uri": "ldap://127.0.0.1:9"}  # nobody there

    response = as_("hannah").post(reverse("access_reset_password", args=[reset.pk]))

    assert response.status_code == 200
    assert response.context["password"] is None
    page = _page(response)
    assert "Temporary password" not in page
    [message] = _messages(response)
    assert message.startswith("The directory did not accept the new password")
    reset = _refreshed(reset)
    assert reset.state == RequestState.SUBMITTED
    assert reset.provisioning_error
    assert "<dt>Directory</dt>" in page


@pytest.mark.ldap
def test_a_reset_retried_once_the_directory_answers_sets_the_password_shown(
    as_, directory, settings, reset, tasks_at_once
):
    working = settings.ACCESS_LDAP
    settings.ACCESS_LDAP = {**working, "uri": "ldap://127.0.0.1:9"}
    client = as_("hannah")
    client.post(reverse("access_reset_password", args=[reset.pk]))
    settings.ACCESS_LDAP = working

    response = client.post(reverse("access_reset_password", args=[reset.pk]))

    password = response.context["password"]
    assert password is not None
    assert _binds(directory, "DHSAL01", password)


# --- Escaping -------------------------------------------------------------------------------------


def test_names_and_notes_are_escaped_on_every_page(as_, world):
    evil = PersonFactory(office=world.office, first_name=EVIL, last_name="Tester")
    active_account(evil, "ccms", "Evil.Tester")
    client = as_("hannah")

    response = client.post(
        reverse("person_access", args=[evil.pk]),
        {"open_request": "1", "system": system("ccts").pk, "kind": "new", "reason": EVIL},
        follow=True,
    )
    request = AccessRequest.objects.get()
    page = _page(response)
    assert EVIL not in page
    assert f"New access on CCTS for {EVIL_ESCAPED} Tester" in page  # the heading and message
    departure = {"report_departure": "1", "kind": "left", "effective_on": "2026-11-20"}
    response = post_confirmed(
        client, reverse("person_access", args=[evil.pk]), {**departure, "note": EVIL}, follow=True
    )
    assert EVIL not in _page(response)
    assert f"{EVIL_ESCAPED} Tester" in _page(response)  # the revocations page
    for url in [
        reverse("person_access", args=[evil.pk]),
        reverse("access_request", args=[request.pk]),
        reverse("access_request", args=[evil.access_requests.get(kind="revoke").pk]),
    ]:
        page = _page(client.get(url))
        assert EVIL not in page, url
        assert EVIL_ESCAPED in page, url
