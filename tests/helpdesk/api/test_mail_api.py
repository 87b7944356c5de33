"""Inbound mail through the API: help desk staff only (per role), the quarantine released and
discarded through the intake's own use cases, with the same audit rows as the pages, and the
discard's confirmation (the number of files it loses) asked of the client."""

import pytest

from helpdesk.mail import intake
from helpdesk.models import AuditEvent, AuditKind, Outcome, Ticket
from tests.helpdesk.api.conftest import ApiClient, make_token
from tests.helpdesk.mail.messages import email_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def quarantined(world):
    raw = email_bytes(sender="Stranger <stranger@example.net>", subject="Help", body="CCTS broke.")
    inbound = intake.ingest(raw, source="pipe").inbound
    assert inbound.outcome == Outcome.QUARANTINED
    return inbound


def _api(world, persona: str) -> ApiClient:
    return ApiClient(make_token(world.user(persona))[1])


@pytest.mark.parametrize(
    ("persona", "status"),
    [("hannah", 200), ("ada", 200), ("mike", 403), ("pat", 403), ("alice", 403)],
)
def test_only_help_desk_staff_and_administrators_see_inbound_mail(
    world, quarantined, persona, status
):
    api = _api(world, persona)
    urls = ["/api/v1/inbound/", f"/api/v1/inbound/{quarantined.pk}/"]
    urls.append(f"/api/v1/inbound/{quarantined.pk}/raw/")
    assert [api.get(url).status_code for url in urls] == [status] * 3
    for action, body in (("release", {}), ("discard", {"reason": "x", "attachments": 0})):
        response = api.post(f"/api/v1/inbound/{quarantined.pk}/{action}/", body)
        if status == 403:
            assert response.status_code == 403
    quarantined.refresh_from_db()


def test_the_list_is_the_quarantine_by_default_and_the_raw_copy_a_download(world, quarantined):
    api = _api(world, "hannah")
    listed = api.get("/api/v1/inbound/").json()["results"]
    assert [row["id"] for row in listed] == [quarantined.pk]
    raw = api.get(f"/api/v1/inbound/{quarantined.pk}/raw/")
    assert raw["Content-Type"] == "application/octet-stream"
    assert raw.content == quarantined.raw_bytes


def test_release_makes_the_ticket_and_is_audited_with_the_token(world, quarantined):
    token, secret = make_token(world.hannah)
    response = ApiClient(secret).post(
        f"/api/v1/inbound/{quarantined.pk}/release/",
        {"office": world.office.pk, "note": "Known caller."},
    )
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == Outcome.RELEASED
    assert Ticket.objects.filter(pk=response.json()["ticket"]).exists()
    row = AuditEvent.objects.for_object(quarantined).get(kind=AuditKind.MAIL_RELEASED)
    assert row.via_token == token.pk


def test_discard_asks_for_what_it_loses_then_discards(world, quarantined):
    api = _api(world, "hannah")
    wrong = api.post(
        f"/api/v1/inbound/{quarantined.pk}/discard/", {"reason": "Spam.", "attachments": 2}
    )
    assert wrong.status_code == 409
    assert "attachments=0" in wrong.json()["detail"]
    quarantined.refresh_from_db()
    assert quarantined.outcome == Outcome.QUARANTINED
    blank = api.post(
        f"/api/v1/inbound/{quarantined.pk}/discard/", {"reason": " ", "attachments": 0}
    )
    assert blank.status_code == 400
    assert "reason" in blank.json()["errors"]
    done = api.post(
        f"/api/v1/inbound/{quarantined.pk}/discard/", {"reason": "Spam.", "attachments": 0}
    )
    assert done.status_code == 200
    assert done.json()["outcome"] == Outcome.DISCARDED
    assert AuditEvent.objects.for_object(quarantined).filter(kind=AuditKind.MAIL_DISCARDED)
    again = api.post(
        f"/api/v1/inbound/{quarantined.pk}/discard/", {"reason": "Spam.", "attachments": 0}
    )
    assert again.status_code == 400  # the intake's own refusal: no longer quarantined
