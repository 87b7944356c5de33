"""Attachments: checked by content, stored under safe names, downloaded only by who may see."""

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from helpdesk.actor import Actor
from helpdesk.lib.uploads import OLE2, safe_name, sniff
from helpdesk.models import TicketAttachment
from helpdesk.tickets.attachments import attach
from tests.helpdesk import ticket_helpers as th
from tests.helpdesk.mail.cfb import outlook_msg

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (PDF, "application/pdf"),
        (PNG, "image/png"),
        (b"\xff\xd8\xff\xe0rest", "image/jpeg"),
        (b"Plain notes, caf\xc3\xa9\n", "text/plain"),
        (_docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        # A mail message (an attached message the mail intake keeps as .eml), by its header block.
        (
            b"From: Pat <pat@example.org>\r\nSubject: hi\r\n\tthere\r\n\r\nbody\r\n",
            "message/rfc822",
        ),
        (b"From: the desk of Pat\nwe cannot log in\n", "text/plain"),  # not a header block
        # OLE2 compound files: an Outlook .msg by its directory, any other (Word, Excel) not.
        (outlook_msg(subject="Saved", body="From Outlook"), "application/vnd.ms-outlook"),
        (OLE2 + b"\x00" * 600, "application/x-ole-storage"),
        (b"Subject: notes\n\nno From, so just text\n", "text/plain"),
    ],
)
def test_accepted_types_are_recognised_by_content(data, expected):
    assert sniff(data).content_type == expected


@pytest.mark.parametrize(
    "data",
    [
        b"<html><script>alert(1)</script></html>",
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        b"MZ\x90\x00\x03\x00\x00\x00",  # a Windows executable
        b"PK\x03\x04" + b"\x00" * 40,  # a zip that is not an Office document
        b"\x00\x01\x02binary",
    ],
)
def test_dangerous_or_unknown_content_is_refused_whatever_its_name(world, data):
    ticket = th.submitted(world)
    with pytest.raises(ValidationError, match="not a type we accept"):
        attach(ticket, by=Actor.of(world.pat.user), name="report.pdf", data=data)
    assert not TicketAttachment.objects.exists()


def test_names_are_made_safe_and_follow_the_content():
    assert safe_name("../../etc/passwd", "txt") == "passwd.txt"
    assert safe_name("C:\\Users\\me\\screen shot.png.exe", "png") == "screen shot.png"
    assert safe_name("<script>.pdf", "pdf") == "script.pdf"
    assert safe_name("", "pdf") == "attachment.pdf"


def test_the_size_limit_is_enforced(world, settings):
    settings.ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError, match="larger than"):
        attach(
            th.submitted(world), by=Actor.of(world.pat.user), name="big.pdf", data=PDF + b" " * 200
        )


def test_upload_with_a_message_and_download_as_an_attachment(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.pat.user)
    upload = SimpleUploadedFile("screen.png", PNG, content_type="text/html")  # lies about type
    response = client.post(
        reverse("ticket_message", args=[ticket.pk]),
        {"body": "Screenshot attached", "files": [upload]},
    )
    assert response.status_code == 302
    attachment = TicketAttachment.objects.get()
    assert attachment.content_type == "image/png"
    assert attachment.original_name == "screen.png"
    assert "screen" not in attachment.file.name  # stored under a random name
    download = client.get(reverse("attachment_download", args=[ticket.pk, attachment.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert download["Content-Disposition"].startswith("attachment;")
    assert "sandbox" in download["Content-Security-Policy"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content) == PNG


def test_another_agency_cannot_download_and_agency_users_never_see_internal_files(client, world):
    ticket = th.in_progress(world)
    public = attach(ticket, by=Actor.of(world.pat.user), name="a.pdf", data=PDF)
    internal = attach(
        ticket, by=Actor.of(world.hannah), name="notes.txt", data=b"internal", internal=True
    )
    client.force_login(world.otto.user)
    assert (
        client.get(reverse("attachment_download", args=[ticket.pk, public.pk])).status_code == 404
    )
    client.force_login(world.pat.user)
    assert (
        client.get(reverse("attachment_download", args=[ticket.pk, internal.pk])).status_code == 404
    )
    assert (
        client.get(reverse("attachment_download", args=[ticket.pk, public.pk])).status_code == 200
    )
    client.force_login(world.hannah)
    assert (
        client.get(reverse("attachment_download", args=[ticket.pk, internal.pk])).status_code == 200
    )


def test_a_refused_file_keeps_the_message_from_being_half_sent(client, world):
    ticket = th.in_progress(world)
    client.force_login(world.pat.user)
    evil = SimpleUploadedFile("cute.png", b"<svg onload=alert(1)>", content_type="image/png")
    response = client.post(
        reverse("ticket_message", args=[ticket.pk]),
        {"body": "see file", "files": [evil]},
        follow=True,
    )
    assert "not a type we accept" in response.content.decode()
    assert not ticket.messages.filter(body="see file").exists()


def test_the_ticket_page_shows_each_file_with_the_message_it_came_with(client, world):
    """A message's files are listed under it in the timeline, not apart in the report; the
    report keeps the files sent with the report itself; an internal note's files stay staff's."""
    from helpdesk.tickets import services as svc

    ticket = th.in_progress(world)
    hannah = Actor.of(world.hannah)
    attach(ticket, by=Actor.of(world.pat.user), name="report.pdf", data=PDF)
    svc.post_message(ticket, by=hannah, body="Here is the screen.", files=[("screen.png", PNG)])
    svc.post_message(
        ticket, by=hannah, body="Seen before.", internal=True, files=[("notes.txt", b"ok\n")]
    )

    def page(persona: str) -> str:
        client.force_login(world.user(persona))
        return client.get(reverse("ticket_detail", args=[ticket.pk])).content.decode()

    html = page("hannah")
    report, timeline = html.split('id="timeline"', 1)
    assert "report.pdf" in report
    assert "screen.png" not in report
    reply = timeline.split("Here is the screen.", 1)[1].split("</li>", 1)[0]
    assert "screen.png" in reply
    note = timeline.split("Seen before.", 1)[1].split("</li>", 1)[0]
    assert "notes.txt" in note
    pat = page("pat")
    assert "screen.png" in pat.split('id="timeline"', 1)[1]
    assert "notes.txt" not in pat
