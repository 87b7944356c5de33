"""Nothing typed is lost on the ticket page (issue 16, point 1): a control whose use would be
refused is not offered, and a message or help desk edit sent with a problem comes back on the
same page, with what was typed and the error next to its field, not as a redirect and a flash."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk.lib.inputs import MESSAGE_MAX
from helpdesk.models import Ticket
from tests.helpdesk import ticket_helpers as th

pytestmark = pytest.mark.django_db
TYPED = "The WEB3270 session drops after 10 minutes &lt;again&gt;"


def _field_block(page: str, field_id: str) -> str:
    """The <p> of one field as _form_fields.html renders it: label, input, help, errors."""
    match = re.search(rf'<p>\s*<label for="{field_id}">.*?</p>', page, re.S)
    assert match, f"no field {field_id}"
    return match.group(0)


@pytest.mark.parametrize("who", ["pat", "alice"])
def test_local_experts_and_agency_users_are_not_offered_an_internal_note(client, world, who):
    ticket = th.in_progress(world) if who == "pat" else th.reported(world)
    client.force_login(getattr(world, who).user)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'name="body"' in page
    assert 'name="internal"' not in page
    assert "Internal note" not in page


def test_help_desk_staff_are_offered_the_internal_note(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.hannah)
    page = client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()
    assert 'name="internal"' in page


def test_a_forged_internal_flag_from_a_local_expert_is_ignored_not_refused(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.pat.user)
    response = client.post(
        reverse("ticket_message", args=[ticket.pk]), {"body": "Still broken.", "internal": "on"}
    )
    assert response.status_code == 302
    message = ticket.messages.get(body="Still broken.")
    assert message.internal is False


def test_an_empty_message_is_refused_on_the_page_next_to_the_box(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.pat.user)
    response = client.post(reverse("ticket_message", args=[ticket.pk]), {"body": "  "})
    assert response.status_code == 400
    block = _field_block(response.content.decode(), "id_body")
    assert "Write a message before sending it." in block


def test_a_too_long_message_comes_back_whole_with_the_limit(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.pat.user)
    body = TYPED + " " + "x" * MESSAGE_MAX
    response = client.post(reverse("ticket_message", args=[ticket.pk]), {"body": body})
    assert response.status_code == 400
    page = response.content.decode()
    block = _field_block(page, "id_body")
    assert f"Keep this to {MESSAGE_MAX:,} characters or fewer" in block or (
        f"Keep this to {MESSAGE_MAX} characters or fewer" in block
    )
    # All of it, escaped once: the person removes what they choose.
    assert "The WEB3270 session drops after 10 minutes &amp;lt;again&amp;gt; " + "x" * 100 in block
    assert response.context["message_form"]["body"].value() == body
    assert not ticket.messages.exists()


def test_a_refused_file_keeps_the_typed_message_and_says_so_at_the_file_field(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.pat.user)
    evil = SimpleUploadedFile("cute.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(
        reverse("ticket_message", args=[ticket.pk]), {"body": TYPED, "files": [evil]}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "not a type we accept" in _field_block(page, "id_files")
    assert "Choose the files again" in _field_block(page, "id_files")
    assert TYPED.replace("&", "&amp;") in _field_block(page, "id_body")
    assert not ticket.messages.exists()


def test_an_unknown_related_ticket_is_said_next_to_the_field_with_the_number_kept(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.hannah)
    response = client.post(
        reverse("ticket_update", args=[ticket.pk, "link"]), {"tracking_number": "CCAP-2026-999999"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    block = _field_block(page, "id_tracking_number")
    assert "No ticket you can see has this tracking number." in block
    assert 'value="CCAP-2026-999999"' in block
    assert '<details class="action" open><summary>Priority' in page


def test_an_empty_mis_number_is_said_in_plain_words_not_by_field_name(client, world):
    ticket = th.with_mis(world)
    client.force_login(world.hannah)
    response = client.post(
        reverse("ticket_update", args=[ticket.pk, "mis_reference"]), {"mis_reference": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter MIS&#x27;s ticket number." in _field_block(page, "id_mis_reference")
    assert "mis_reference" not in " ".join(m.message for m in response.context["messages"])


def test_a_stale_priority_change_shows_the_conflict_with_a_version_that_can_retry(client, world):
    ticket = th.in_progress(world)
    seen = ticket.version
    client.force_login(world.hannah)
    client.post(
        reverse("ticket_update", args=[ticket.pk, "priority"]),
        {"priority": "p2", "version": seen},
    )
    response = client.post(
        reverse("ticket_update", args=[ticket.pk, "priority"]),
        {"priority": "p1", "version": seen},
    )
    assert response.status_code == 409
    form = response.context["priority_form"]
    assert form["priority"].value() == "p1"
    assert int(form["version"].value()) == Ticket.objects.get().version
    assert form.non_field_errors()
    assert Ticket.objects.get().priority == "p2"
