"""Tickets through the API: the queue's list and filters in cursor pages (a constant number of
queries whatever the page), the ticket and its ETag, the Problem Report Form, messages and
files, and Idempotency-Key on POST."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from helpdesk.models import IdempotentRequest, Ticket, TicketAttachment, TicketMessage
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.api.conftest import ApiClient, make_token

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _report(**overrides) -> dict:
    body = {
        "summary": "CCMS will not save a case",
        "system": "ccms",
        "description": "Saving the case screen shows an error.",
        "who_affected": "some_coworkers",
        "contact_name": "Pat Primary",
        "contact_phone": "217-555-0100",
        "contact_email": "pat@example.org",
        "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "can_duplicate": True,
    }
    return body | overrides


def _walk(client: ApiClient, params: dict | None) -> list[int]:
    ids, url, query = [], "/api/v1/tickets/", params
    while url:
        response = client.get(url, query)
        assert response.status_code == 200, response.content
        ids += [row["id"] for row in response.json()["results"]]
        url, query = response.json()["next"], None
    return ids


class TestTheList:
    def test_the_default_queue_is_the_roles_and_lists_open_work(self, world, api):
        open_one, done = th.submitted(world), th.resolved(world)
        th.reported(world)  # with the local expert: not yet the help desk's
        ids = _walk(api("hannah"), {})
        assert open_one.pk in ids
        assert done.pk not in ids
        assert _walk(api("hannah"), {"status": "all"}).count(done.pk) == 1

    def test_the_queue_filters_are_the_queue_pages(self, world, api):
        ccts = th.submitted(world)
        ids = _walk(api("hannah"), {"system": "ccts"})
        assert ccts.pk in ids
        assert _walk(api("hannah"), {"system": "ccms"}) == []
        assert _walk(api("hannah"), {"q": ccts.tracking_number}) == [ccts.pk]

    @pytest.mark.parametrize("sort", ["newest", "oldest", "priority", "due", "updated"])
    def test_cursor_pages_give_every_ticket_once_in_the_queue_order(self, world, api, sort):
        tickets = [th.submitted(world) for _ in range(7)]
        th.awaiting_info(world)
        # Tickets without the clock (due NULL), listed after the rest, across page boundaries.
        clockless = [t.pk for t in tickets[1:6:2]]
        Ticket.objects.filter(pk__in=clockless).update(resolution_due_at=None)
        client = api("hannah")
        paged = _walk(client, {"sort": sort, "page_size": 2, "status": "all"})
        whole = _walk(client, {"sort": sort, "page_size": 100, "status": "all"})
        assert paged == whole
        assert len(paged) == len(set(paged)) == Ticket.objects.reached_help_desk().count()
        assert {t.pk for t in tickets} <= set(paged)

    def test_a_page_costs_the_same_queries_whatever_its_size(
        self, world, api, django_assert_max_num_queries
    ):
        for _ in range(12):
            th.submitted(world)
        client = api("hannah")
        client.get("/api/v1/tickets/")  # the token's last use written once
        with django_assert_max_num_queries(8) as small:
            client.get("/api/v1/tickets/", {"page_size": 2})
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = client.get("/api/v1/tickets/", {"page_size": 12})
        assert len(response.json()["results"]) == 12
        with django_assert_max_num_queries(len(small.captured_queries)):
            client.get(response.json()["next"] or "/api/v1/tickets/")

    def test_an_agency_user_sees_only_their_reports(self, world, api):
        mine = th.reported(world)
        th.submitted(world)
        assert _walk(api("alice"), {}) == [mine.pk]


class TestOneTicket:
    def test_its_etag_follows_its_version(self, world, api):
        ticket = th.submitted(world)
        response = api("hannah").get(f"/api/v1/tickets/{ticket.pk}/")
        assert response["ETag"] == f'"{ticket.pk}-{ticket.version}"'
        assert response.json()["version"] == ticket.version
        assert "assign" in response.json()["actions"]


class TestReportingAProblem:
    def test_a_local_expert_reports_through_the_problem_report_form(self, world, api):
        response = api("pat").post("/api/v1/tickets/", _report())
        assert response.status_code == 201, response.content
        ticket = Ticket.objects.get(pk=response.json()["id"])
        assert ticket.state == "submitted"
        assert ticket.tracking_number
        assert ticket.local_expert == world.pat
        assert response["Location"] == f"/api/v1/tickets/{ticket.pk}/"
        assert response["ETag"] == f'"{ticket.pk}-{ticket.version}"'

    def test_the_forms_rules_apply(self, world, api):
        response = api("pat").post("/api/v1/tickets/", _report(contact_phone="not a phone"))
        assert response.status_code == 400
        assert "contact_phone" in response.json()["errors"]
        assert not Ticket.objects.exists()

    def test_only_local_experts_report_this_way(self, world, api):
        for persona in ("alice", "hannah", "mike"):
            assert api(persona).post("/api/v1/tickets/", _report()).status_code == 403
        assert not Ticket.objects.exists()

    def test_an_office_one_is_not_expert_of_is_refused(self, world, api):
        response = api("pat").post("/api/v1/tickets/", _report(office=world.other_office.pk))
        assert response.status_code == 400
        assert "office" in response.json()["errors"]


class TestMessagesAndFiles:
    def test_a_reply_is_added_and_listed(self, world, api):
        ticket = th.in_progress(world)
        response = api("pat").post(f"/api/v1/tickets/{ticket.pk}/messages/", {"body": "Any news?"})
        assert response.status_code == 201, response.content
        listed = api("pat").get(f"/api/v1/tickets/{ticket.pk}/messages/").json()
        assert [m["body"] for m in listed] == ["Any news?"]

    def test_internal_notes_are_staff_only_both_ways(self, world, api):
        ticket = th.in_progress(world)
        note = {"body": "Looks like RACF.", "internal": True}
        assert api("pat").post(f"/api/v1/tickets/{ticket.pk}/messages/", note).status_code == 403
        assert api("hannah").post(f"/api/v1/tickets/{ticket.pk}/messages/", note).status_code == 201
        assert api("pat").get(f"/api/v1/tickets/{ticket.pk}/messages/").json() == []
        assert len(api("hannah").get(f"/api/v1/tickets/{ticket.pk}/messages/").json()) == 1

    def test_files_go_up_through_the_upload_checks_and_come_down_with_permission(self, world, api):
        ticket = th.in_progress(world)
        pat = api("pat")
        refused = pat.post_multipart(
            f"/api/v1/tickets/{ticket.pk}/messages/",
            {"body": "Script", "files": [SimpleUploadedFile("x.html", b"<script>")]},
        )
        assert refused.status_code == 400
        assert "files" in refused.json()["errors"]
        assert not TicketMessage.objects.exists()
        sent = pat.post_multipart(
            f"/api/v1/tickets/{ticket.pk}/messages/",
            {"body": "The error", "files": [SimpleUploadedFile("error.pdf", PDF)]},
        )
        assert sent.status_code == 201, sent.content
        [attachment] = sent.json()["attachments"]
        listed = pat.get(f"/api/v1/tickets/{ticket.pk}/attachments/").json()
        assert [a["id"] for a in listed] == [attachment["id"]]
        url = f"/api/v1/tickets/{ticket.pk}/attachments/{attachment['id']}/"
        download = pat.get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == PDF
        assert download["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert api("otto").get(url).status_code == 404

    def test_an_internal_file_is_not_found_for_agency_staff(self, world, api):
        ticket = th.in_progress(world)
        api("hannah").post_multipart(
            f"/api/v1/tickets/{ticket.pk}/messages/",
            {"body": "Log", "internal": "true", "files": [SimpleUploadedFile("log.pdf", PDF)]},
        )
        attachment = TicketAttachment.objects.get()
        assert attachment.internal
        url = f"/api/v1/tickets/{ticket.pk}/attachments/{attachment.pk}/"
        assert api("pat").get(url).status_code == 404
        assert api("pat").get(f"/api/v1/tickets/{ticket.pk}/attachments/").json() == []


class TestIdempotency:
    def test_a_retry_with_the_same_key_gets_the_first_answer_and_acts_once(self, world, api):
        pat, body = api("pat"), _report()
        first = pat.post("/api/v1/tickets/", body, **{"Idempotency-Key": "report-1"})
        again = pat.post("/api/v1/tickets/", body, **{"Idempotency-Key": "report-1"})
        assert first.status_code == again.status_code == 201
        assert again.json() == first.json()
        assert again["Location"] == first["Location"]
        assert again["Idempotent-Replayed"] == "true"
        assert Ticket.objects.count() == 1

    def test_the_same_key_with_another_body_is_422(self, world, api):
        pat = api("pat")
        pat.post("/api/v1/tickets/", _report(), **{"Idempotency-Key": "report-1"})
        other = pat.post(
            "/api/v1/tickets/", _report(summary="Another"), **{"Idempotency-Key": "report-1"}
        )
        assert other.status_code == 422
        assert other["Content-Type"] == "application/problem+json"
        assert Ticket.objects.count() == 1

    def test_a_transition_retried_is_not_taken_twice(self, world, api):
        ticket = th.in_progress(world)
        hannah = api("hannah")
        etag = hannah.get(f"/api/v1/tickets/{ticket.pk}/")["ETag"]
        headers = {"If-Match": etag, "Idempotency-Key": "resolve-1"}
        path = f"/api/v1/tickets/{ticket.pk}/resolve/"
        first = hannah.post(path, {"resolution": "Reset."}, **headers)
        again = hannah.post(path, {"resolution": "Reset."}, **headers)
        assert first.status_code == again.status_code == 200
        assert again.json() == first.json()
        assert ticket.events.filter(action="resolve").count() == 1

    def test_keys_are_per_user_and_expire(self, world, api, settings):
        pat, alex = api("pat"), api("alex")
        pat.post("/api/v1/tickets/", _report(), **{"Idempotency-Key": "k"})
        alex.post("/api/v1/tickets/", _report(), **{"Idempotency-Key": "k"})
        assert Ticket.objects.count() == 2
        IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
        pat.post("/api/v1/tickets/", _report(), **{"Idempotency-Key": "k"})
        assert Ticket.objects.count() == 3

    def test_a_refused_first_answer_is_replayed_too(self, world, api):
        _token, secret = make_token(world.alice.user)
        alice, body = ApiClient(secret), _report()
        first = alice.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k"})
        again = alice.post("/api/v1/tickets/", body, **{"Idempotency-Key": "k"})
        assert first.status_code == again.status_code == 403
        assert again["Content-Type"] == "application/problem+json"
