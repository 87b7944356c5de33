"""The header block as real mail servers deliver it: a line that is not a header (a stray line,
a header whose name has blanks before its colon) does not end the headers, and a transfer
encoding is read whatever its case and surrounding blanks. The raw copy is never changed."""

import base64
import quopri

import pytest

from helpdesk.mail.parse import parse_message
from helpdesk.models import InboundMessage, Outcome, Ticket
from tests.helpdesk.mail.messages import FORM


def report(head: bytes, *, encoding: bytes = b"7bit", body: bytes = FORM.encode()) -> bytes:
    return (
        head
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + b"Content-Transfer-Encoding: "
        + encoding
        + b"\r\n\r\n"
        + body
    )


STRAY_LINE_REPORT = report(
    b"Received: from mx.example.org by mail.localhost; Thu, 3 Dec 2026 07:00:00 +0000\r\n"
    b"Message-ID: <stray@example.org>\r\n"
    b"this line is no header at all\r\n"
    b"\tand this is its fold\r\n"
    b"From: Pat Primary <pat@example.org>\r\n"
    b"To: ccap-helpdesk@localhost\r\n"
    b"Subject: CCMS: cannot remove a sanction\r\n"
    b"Date: Thu, 3 Dec 2026 07:00:00 +0000\r\n"
    b"MIME-Version: 1.0\r\n"
)


def test_a_stray_line_in_the_headers_is_skipped_and_the_report_filed(world, ingest):
    result = ingest(STRAY_LINE_REPORT)

    assert result.outcome == Outcome.TICKET_CREATED
    ticket = result.ticket
    assert ticket.local_expert == world.pat
    assert ticket.system == "ccms"
    assert "sanction on case 4411" in ticket.description
    assert "no header at all" not in ticket.description
    assert "its fold" not in ticket.description
    stored = InboundMessage.objects.get(pk=result.inbound.pk)
    assert (stored.from_address, stored.subject) == (
        "pat@example.org",
        "CCMS: cannot remove a sanction",
    )
    assert stored.raw_bytes == STRAY_LINE_REPORT  # the raw copy keeps the stray line


def test_a_stray_line_is_recorded_as_a_defect():
    parsed = parse_message(STRAY_LINE_REPORT)

    assert "MalformedHeaderLineDefect" in parsed.defects
    assert parsed.header("Message-ID") == "<stray@example.org>"  # the fold went with its line
    assert parsed.header("MIME-Version") == "1.0"


def test_a_header_with_blanks_before_its_colon_is_read():
    raw = report(
        b"From: Pat Primary <pat@example.org>\n"
        b"Subject : CCMS: cannot remove a sanction\n"
        b"Date: Thu, 3 Dec 2026 07:00:00 +0000\n"
    )

    parsed = parse_message(raw)

    assert parsed.subject == "CCMS: cannot remove a sanction"
    assert parsed.header("Date")
    assert "sanction on case 4411" in parsed.text


def test_a_body_without_its_blank_line_stays_the_body():
    raw = b"From: Pat <pat@example.org>\nSubject: Hello\nThe body starts here.\nSecond line.\n"

    parsed = parse_message(raw)

    assert (parsed.from_address, parsed.subject) == ("pat@example.org", "Hello")
    assert parsed.text == "The body starts here.\nSecond line."
    assert "MalformedHeaderLineDefect" not in parsed.defects


def test_a_line_after_the_last_header_is_the_body_starting_early_and_is_kept():
    raw = b"From: Pat <pat@example.org>\nSubject: Hello\nThe body starts here.\n\nMore.\n"

    parsed = parse_message(raw)

    assert (parsed.from_address, parsed.subject) == ("pat@example.org", "Hello")
    assert parsed.text == "The body starts here.\n\nMore."


def test_well_formed_headers_are_parsed_from_the_raw_bytes_unchanged():
    raw = report(b"From: Pat <pat@example.org>\r\nSubject: Fine\r\n")

    parsed = parse_message(raw)

    assert parsed.subject == "Fine"
    assert "MalformedHeaderLineDefect" not in parsed.defects


BASE64_FORM = base64.encodebytes(FORM.encode())
QP_FORM = quopri.encodestring(FORM.replace("error 500", "erreur \u00e9 500").encode())


@pytest.mark.parametrize(
    ("encoding", "body", "error"),
    [
        (b"Base64  ", BASE64_FORM, "error 500"),
        (b"BASE64", BASE64_FORM, "error 500"),
        (b" base64\t", BASE64_FORM, "error 500"),
        (b"QUOTED-PRINTABLE", QP_FORM, "erreur \u00e9 500"),
        (b"Quoted-Printable   ", QP_FORM, "erreur \u00e9 500"),
    ],
)
def test_a_transfer_encoding_in_any_case_and_blanks_is_decoded(
    world, ingest, encoding, body, error
):
    raw = report(
        b"From: Pat Primary <pat@example.org>\r\n"
        b"Subject: CCMS: cannot remove a sanction\r\n"
        b"Message-ID: <cte-" + encoding.strip() + b"@example.org>\r\n",
        encoding=encoding,
        body=body,
    )

    result = ingest(raw)

    assert result.outcome == Outcome.TICKET_CREATED
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert "sanction on case 4411" in ticket.description
    assert ticket.system == "ccms"
    assert f'Save shows "{error}"' in ticket.description


def test_a_transfer_encoding_with_blanks_in_an_attachment_is_decoded():
    data = b"%PDF-1.4 not really\n" * 4
    raw = (
        b"From: Pat <pat@example.org>\r\nSubject: File\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nSee the file.\r\n"
        b'--b\r\nContent-Type: application/pdf; name="case.pdf"\r\n'
        b"Content-Disposition: attachment; filename=case.pdf\r\n"
        b"Content-Transfer-Encoding: BASE64 \r\n\r\n" + base64.encodebytes(data) + b"--b--\r\n"
    )

    parsed = parse_message(raw)

    assert [(a.name, a.data) for a in parsed.attachments] == [("case.pdf", data)]
