"""Outlook .msg attachments (issue 15 item 3): an e-mail saved from Outlook and attached is kept
as it came and opened, with extract-msg, into its text and files, the way an attached
message/rfc822 is. The .msg files are written here (``cfb.py``), taken end to end through
``intake.ingest``."""

import json
import subprocess
import sys
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path

import extract_msg
import olefile
import pytest
from django.urls import reverse

from helpdesk.lib.uploads import OLE2
from helpdesk.mail.parse import UNREADABLE_OUTLOOK_MSG, parse_message
from helpdesk.models import InboundMessage, Outcome
from tests.helpdesk.mail.cfb import MINI_CUTOFF, message_storage, outlook_msg
from tests.helpdesk.mail.messages import FORM, email_bytes
from tests.helpdesk.mail.test_parts import PDF, form_as_html

BASE_DIR = Path(__file__).resolve().parents[3]
OUTLOOK = "application/vnd.ms-outlook"
SENT = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
CORRUPT = OLE2 + b"\x00garbage, not a compound file\x00" * 40


def crlf(text: str) -> str:
    return text.replace("\n", "\r\n")  # as Outlook keeps a plain body


def test_the_test_writer_makes_a_msg_extract_msg_and_a_strict_olefile_read():
    long = bytes(range(256)) * 20  # over the mini stream cutoff: in ordinary sectors
    data = outlook_msg(
        subject="Problem Report Form",
        body="Short body",
        sent=SENT,
        files=[("screen.pdf", PDF), ("trace.bin", long)],
    )

    ole = olefile.OleFileIO(data, raise_defects=olefile.DEFECT_POTENTIAL)
    assert ole.parsing_issues == []
    assert ole.first_mini_fat_sector != olefile.ENDOFCHAIN  # short streams: the mini stream
    assert ole.get_size("__attach_version1.0_#00000001/__substg1.0_37010102") >= MINI_CUTOFF
    message = extract_msg.Message(data)
    assert (message.subject, message.body, message.date) == (
        "Problem Report Form",
        "Short body",
        SENT,
    )
    assert [(a.longFilename, a.data) for a in message.attachments] == [
        ("screen.pdf", PDF),
        ("trace.bin", long),
    ]


# --- Through the intake -----------------------------------------------------------------------


def test_a_report_with_a_msg_attached_keeps_it_and_its_file_and_reads_its_text(
    world, ingest, client
):
    saved = outlook_msg(
        subject="Error from CCMS",
        body=crlf("CCMS said: Save failed, error 500 on Case Sanctions.\n"),
        sender_name="Alice Agency",
        sender="alice@example.org",
        sent=SENT,
        files=[("Zuordnung-Müller.pdf", PDF)],
    )
    raw = email_bytes(attachments=[("Error from CCMS.msg", "application/octet-stream", saved)])

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert (ticket.system, ticket.ccms_screen) == ("ccms", "Case Sanctions")
    kept = {a.original_name: a for a in ticket.attachments.all()}
    assert sorted(kept) == ["Error from CCMS.msg", "Zuordnung-Müller.pdf"]
    assert kept["Error from CCMS.msg"].content_type == OUTLOOK
    assert kept["Error from CCMS.msg"].file.read() == saved  # the .msg as it came
    assert kept["Zuordnung-Müller.pdf"].file.read() == PDF
    # Its text is read as an attached message's is: shown to the desk with the email.
    client.force_login(world.hannah)
    page = client.get(reverse("inbound_detail", args=[result.inbound.pk])).content.decode()
    assert "From: Alice Agency &lt;alice@example.org&gt;" in page
    assert "Subject: Error from CCMS" in page
    assert "CCMS said: Save failed, error 500 on Case Sanctions." in page


@pytest.mark.parametrize(
    "body",
    [
        {"body": crlf(FORM)},
        {"html": form_as_html().encode()},  # an HTML-only .msg: read through html_to_text
    ],
    ids=["plain", "html"],
)
def test_a_problem_report_form_forwarded_inside_a_msg_becomes_a_ticket(world, ingest, body):
    saved = outlook_msg(subject="Problem Report Form", sent=SENT, **body)
    raw = email_bytes(
        subject="FW: Problem Report Form",
        body="Forwarding the report as an attachment.\n",
        attachments=[("Problem Report Form.msg", OUTLOOK, saved)],
    )

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert (ticket.system, ticket.ccms_screen, ticket.who_affected, ticket.can_duplicate) == (
        "ccms",
        "Case Sanctions",
        "some_coworkers",
        True,
    )
    assert ticket.secondary_email == "alice@example.org"
    assert "sanction on case 4411" in ticket.description
    assert ticket.incomplete_fields == []
    [attachment] = ticket.attachments.all()
    assert (attachment.original_name, attachment.content_type) == (
        "Problem Report Form.msg",
        OUTLOOK,
    )
    assert attachment.file.read() == saved


def test_a_corrupt_msg_is_kept_noted_and_the_ticket_still_filed(world, ingest, client):
    raw = email_bytes(attachments=[("broken.msg", "application/vnd.ms-outlook", CORRUPT)])

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert "sanction on case 4411" in ticket.description
    [attachment] = ticket.attachments.all()
    # Named by what it holds: an OLE2 file, but no Outlook message in it.
    assert attachment.original_name.startswith("broken.")
    assert attachment.file.read() == CORRUPT
    assert InboundMessage.objects.get(pk=result.inbound.pk).raw_bytes == raw
    client.force_login(world.hannah)
    page = client.get(reverse("inbound_detail", args=[result.inbound.pk])).content.decode()
    assert UNREADABLE_OUTLOOK_MSG in page


# --- Parsing ----------------------------------------------------------------------------------


def test_a_msg_is_opened_into_its_text_files_and_the_messages_inside_it():
    inner = message_storage(
        subject="Original report",
        html=b"<p>The <b>first</b> report, in HTML.</p>",
        sender_name="Pat Primary",
        sender="pat@example.org",
        files=[("inner.txt", b"inner notes\n")],
        embedded=True,
    )
    saved = outlook_msg(
        subject="FW: Original report",
        body=crlf("See the report below.\n"),
        sender_name="Alex Alternate",
        sender="alex@example.org",
        sent=SENT,
        files=[("заявка.pdf", PDF)],
        messages=[("Original report", inner)],
    )

    parsed = parse_message(
        email_bytes(body="Two reports.\n", attachments=[("fw.msg", OUTLOOK, saved)])
    )

    assert parsed.defects == []
    assert parsed.text == "Two reports."
    assert [(f.from_line, f.subject, f.text) for f in parsed.forwarded] == [
        (
            "From: Alex Alternate <alex@example.org>",
            "Subject: FW: Original report",
            "See the report below.",
        ),
        (
            "From: Pat Primary <pat@example.org>",
            "Subject: Original report",
            "The first report, in HTML.",
        ),
    ]
    assert parsedate_to_datetime(parsed.forwarded[0].date) == SENT
    assert parsed.forwarded[1].date == ""  # an embedded message without a submit time
    names = [a.name for a in parsed.attachments]
    assert names == ["fw.msg", "заявка.pdf", "Original report.msg", "inner.txt"]
    assert parsed.attachments[0].data == saved
    # The message inside is kept as a .msg of its own, which opens again.
    reopened = extract_msg.Message(parsed.attachments[2].data)
    assert reopened.subject == "Original report"
    assert [a.longFilename for a in reopened.attachments] == ["inner.txt"]
    assert "See the report below." in parsed.full_text
    assert "The first report, in HTML." in parsed.full_text


@pytest.mark.parametrize(
    ("name", "content_type", "data"),
    [
        ("minutes.doc", "application/msword", OLE2 + b"\x00" * 600),  # a Word file: OLE2 too
        ("notes.msg", "application/octet-stream", b"From: pat@example.org\n\nnot OLE2\n"),
    ],
)
def test_only_an_ole2_file_named_or_typed_as_msg_is_opened(name, content_type, data):
    parsed = parse_message(email_bytes(attachments=[(name, content_type, data)]))

    assert [(a.name, a.data) for a in parsed.attachments] == [(name, data)]
    assert parsed.forwarded == []
    assert UNREADABLE_OUTLOOK_MSG not in parsed.defects


def test_a_msg_file_attached_to_a_msg_is_opened_too():
    innermost = outlook_msg(subject="Saved twice", body="The innermost text")
    saved = outlook_msg(subject="Saved", body="Outer text", files=[("again.msg", innermost)])

    parsed = parse_message(email_bytes(attachments=[("saved.msg", OUTLOOK, saved)]))

    assert [f.text for f in parsed.forwarded] == ["Outer text", "The innermost text"]
    assert [a.name for a in parsed.attachments] == ["saved.msg", "again.msg"]
    assert parsed.attachments[1].data == innermost


def test_a_msg_typed_as_outlook_is_opened_whatever_its_name():
    saved = outlook_msg(subject="Saved", body="Body of the saved mail")

    parsed = parse_message(email_bytes(attachments=[("attachment", OUTLOOK, saved)]))

    assert [f.text for f in parsed.forwarded] == ["Body of the saved mail"]


def test_a_corrupt_msg_is_a_defect_and_stays_the_file_it_was():
    parsed = parse_message(email_bytes(attachments=[("broken.msg", OUTLOOK, CORRUPT)]))

    assert parsed.unreadable == ""
    assert parsed.defects == [UNREADABLE_OUTLOOK_MSG]
    assert [(a.name, a.data) for a in parsed.attachments] == [("broken.msg", CORRUPT)]
    assert parsed.forwarded == []


PROBE = """
import json, sys
from helpdesk.mail.parse import parse_message
from tests.helpdesk.mail.messages import email_bytes
parse_message(email_bytes(attachments=[("a.pdf", "application/pdf", b"%PDF-1.4")]))
print(json.dumps("extract_msg" in sys.modules))
"""


def test_a_plain_parse_never_imports_extract_msg():
    """One ``ingest_mail`` process per message: only a message with a .msg pays for it."""
    probe = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", PROBE],
        cwd=BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "config.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) is False
    assert "extract_msg" not in probe.stderr  # the -X importtime list
