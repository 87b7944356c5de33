"""What hides in a message's parts (issue 15 items 3-5): a plain version that is only a stub
of the HTML one, names in the comment form, raw 8-bit filenames, text without a charset, very
long descriptions, uuencoded files and attached messages. Each class has a small message written
for this suite, taken end to end through ``intake.ingest``."""

import binascii
import struct
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from helpdesk.mail import intake
from helpdesk.mail.parse import STUB_RATIO, is_stub, parse_message, take_uuencoded
from helpdesk.models import InboundMessage, Outcome
from tests.helpdesk.mail.messages import FORM, email_bytes

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def form_as_html() -> str:
    """The Problem Report Form the way Outlook writes it: one table row per field."""
    rows = []
    for block in FORM.split("\n\n"):
        label, _, answer = block.partition("\n")
        rows.append(f"<tr><td><b>{label}</b></td><td>{answer}</td></tr>")
    return "<html><body><table>" + "".join(rows) + "</table></body></html>"


def headers_and_body(headers: str, body: bytes) -> bytes:
    return headers.strip("\n").encode() + b"\n\n" + body


# --- Item 4: HTML first when the plain version is a stub ----------------------------------------


@pytest.mark.parametrize(
    "stub",
    [
        "This message is in HTML format.",
        "To view this message, please use an HTML-capable mail program.",
        "Please view this email in your browser.",
        "Pat",  # no known line, just far shorter than the HTML's text
    ],
)
def test_a_stub_plain_version_gives_way_to_the_html_form(world, ingest, stub):
    raw = email_bytes(body=stub + "\n", html=form_as_html())

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert (ticket.system, ticket.who_affected, ticket.can_duplicate) == (
        "ccms",
        "some_coworkers",
        True,
    )
    assert ticket.secondary_email == "alice@example.org"
    assert ticket.ccms_screen == "Case Sanctions"
    assert "sanction on case 4411" in ticket.description
    assert ticket.incomplete_fields == []


def test_a_real_plain_version_is_still_preferred_to_the_html_one():
    raw = email_bytes(body=FORM, html="<p>" + FORM.replace("\n", "<br>") + "</p>")

    parsed = parse_message(raw)

    assert not parsed.from_html
    assert "Case Sanctions" in parsed.text


def test_the_stub_ratio_is_the_one_line_between_stub_and_message():
    html_text = "x" * 1000
    assert is_stub("y" * int(STUB_RATIO * 1000 - 1), html_text)
    assert not is_stub("y" * int(STUB_RATIO * 1000 + 1), html_text)
    assert not is_stub("This message is in HTML.", "short")  # the HTML holds no more


# --- Item 5: names and charsets -------------------------------------------------------------------


def test_a_name_in_the_comment_form_is_kept_as_the_display_name(world, ingest):
    raw = email_bytes(sender="pat@example.org (Pat Primary)")

    result = ingest(raw)

    assert result.outcome == Outcome.TICKET_CREATED
    assert result.ticket.local_expert == world.pat
    stored = InboundMessage.objects.get(pk=result.inbound.pk)
    assert (stored.from_address, stored.from_name) == ("pat@example.org", "Pat Primary")


@pytest.mark.parametrize(
    "from_header",
    [
        "pat@example.org (Pat) (Primary)",  # two comments: no guess at which is the name
        "Pat <pat@example.org> (work)",  # a display name already: the comment is a comment
    ],
)
def test_only_the_plain_comment_form_gives_a_name(from_header):
    parsed = parse_message(email_bytes(sender=from_header))

    assert parsed.from_address == "pat@example.org"
    assert parsed.from_name in ("", "Pat")


@pytest.mark.parametrize(
    ("name_bytes", "charset"),
    [
        ("заявка.pdf".encode(), "utf-8"),  # UTF-8 bytes, whatever the part says
        ("заявка.pdf".encode("koi8-r"), "koi8-r"),  # the part's own charset
        ("Zuordnung-Müller.pdf".encode("cp1252"), ""),  # neither: Windows-1252
    ],
)
def test_a_raw_8bit_filename_is_decoded_like_a_header(world, ingest, name_bytes, charset):
    shown = name_bytes.decode(charset or "cp1252")
    params = f"; charset={charset}" if charset else ""
    raw = headers_and_body(
        "From: Pat Primary <pat@example.org>\nTo: ccap-helpdesk@localhost\n"
        "Subject: CCMS: cannot remove a sanction\nMessage-ID: <eight-bit-name@example.org>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"',
        b"--b\nContent-Type: text/plain; charset=utf-8\n\n"
        + FORM.encode()
        + f"\n--b\nContent-Type: application/pdf{params}\n".encode()
        + b'Content-Disposition: attachment; filename="'
        + name_bytes
        + b'"\n\n'
        + PDF
        + b"\n--b--\n",
    )

    result = ingest(raw)

    assert result.outcome == Outcome.TICKET_CREATED
    [attachment] = result.ticket.attachments.all()
    assert attachment.original_name == shown
    assert attachment.content_type == "application/pdf"


def test_text_without_a_declared_charset_is_detected(world, ingest):
    description = (
        "Здравствуйте! Не могу войти в систему CCMS: пароль не принимается уже второй день, "
        "а сброс через портал выдаёт ошибку."
    )
    body = FORM.replace(
        'The sanction on case 4411 cannot be removed: Save shows "error 500".', description
    )
    raw = headers_and_body(
        "From: Pat Primary <pat@example.org>\nTo: ccap-helpdesk@localhost\n"
        "Subject: CCMS: cannot log in\nMessage-ID: <no-charset@example.org>\n"
        "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: 8bit",
        body.encode("cp1251"),
    )

    result = ingest(raw)

    assert result.outcome == Outcome.TICKET_CREATED
    assert description in result.ticket.description
    assert result.ticket.system == "ccms"


def test_a_very_long_description_is_cut_where_shown_and_kept_whole_in_the_raw_copy(world, ingest):
    log = "\n".join(f"line {n}: NullPointerException at CaseSanction.save" for n in range(2000))
    raw = email_bytes(body=FORM.replace("We expected the sanction to clear.", log))

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert len(ticket.description) < intake.MAX_DESCRIPTION_CHARS + 200
    assert ticket.description.startswith("The sanction on case 4411")
    assert ticket.description.endswith("the raw message keeps all of it.]")
    assert "line 1999:" not in ticket.description
    assert InboundMessage.objects.get(pk=result.inbound.pk).raw_bytes == raw
    assert b"line 1999:" in raw


def test_a_description_within_the_limit_is_whole():
    assert intake.shown_description("short\ntext") == "short\ntext"


# --- Item 3: attachments hidden in the text ------------------------------------------------------


def uuencoded(name: str, data: bytes) -> str:
    lines = "".join(binascii.b2a_uu(data[i : i + 45]).decode() for i in range(0, len(data), 45))
    return f"begin 644 {name}\n{lines}`\nend\n"


def test_a_uuencoded_file_becomes_an_attachment_and_leaves_the_description(world, ingest):
    body = FORM.replace("Thanks,", uuencoded("sanction error.pdf", PDF) + "\nThanks,")

    result = ingest(email_bytes(body=body))

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert ticket.system == "ccms"
    assert "We expected the sanction to clear." in ticket.description
    assert "begin 644" not in ticket.description
    [attachment] = ticket.attachments.all()
    assert (attachment.original_name, attachment.content_type) == (
        "sanction error.pdf",
        "application/pdf",
    )
    assert attachment.file.read() == PDF


def test_a_block_that_is_not_uuencode_stays_in_the_text():
    text = "begin 644 notes.txt\nthis is not uuencode at all, just words\nend\n"

    assert take_uuencoded(text) == (text, [])


def test_an_attached_message_is_kept_as_eml_and_its_form_is_read(world, ingest):
    inner = email_bytes(message_id="<original-report@example.org>", subject="Problem Report Form")
    outer = EmailMessage()
    outer["From"] = "Pat Primary <pat@example.org>"
    outer["To"] = "ccap-helpdesk@localhost"
    outer["Subject"] = "FW: Problem Report Form"
    outer["Message-ID"] = "<forward-as-attachment@example.org>"
    outer.set_content("Forwarding the report as an attachment.\n")
    outer.add_attachment(message_from_bytes(inner, policy=policy.default))

    result = ingest(outer.as_bytes())

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert (ticket.system, ticket.ccms_screen) == ("ccms", "Case Sanctions")
    assert "sanction on case 4411" in ticket.description
    [attachment] = ticket.attachments.all()
    assert (attachment.original_name, attachment.content_type) == (
        "Problem Report Form.eml",
        "message/rfc822",
    )
    kept = message_from_bytes(attachment.file.read(), policy=policy.default)
    assert kept["Message-ID"] == "<original-report@example.org>"
    assert "sanction on case 4411" in kept.get_content()


def tnef(body: bytes, files: dict[str, bytes]) -> bytes:
    """A minimal winmail.dat, built here by the TNEF layout ([MS-OXTNEF] 2.1.3): signature,
    key, then attributes (level, id, type, length, data, checksum). Outlook writes more
    attributes; tnefparse needs no others."""

    def attribute(level: int, name: int, kind: int, data: bytes) -> bytes:
        checksum = sum(data) & 0xFFFF
        return (
            struct.pack("<BHHI", level, name, kind, len(data)) + data + struct.pack("<H", checksum)
        )

    out = struct.pack("<IH", 0x223E9F78, 1)
    out += attribute(1, 0x9006, 0x0008, struct.pack("<I", 0x00010000))  # TNEF version
    out += attribute(1, 0x800C, 0x0002, body)  # attBody
    for name, data in files.items():
        out += attribute(2, 0x9002, 0x0006, b"\x01\x00" + b"\xff" * 12)  # attAttachRendData
        out += attribute(2, 0x8010, 0x0001, name.encode() + b"\x00")  # attAttachTitle
        out += attribute(2, 0x800F, 0x0006, data)  # attAttachData
    return out


def test_a_winmail_dat_is_opened_into_its_text_and_files(world, ingest):
    container = tnef(FORM.encode("cp1252"), {"sanction.pdf": PDF})
    raw = email_bytes(
        body="\n",
        attachments=[("winmail.dat", "application/ms-tnef", container)],
    )

    result = ingest(raw)

    ticket = result.ticket
    assert result.outcome == Outcome.TICKET_CREATED
    assert (ticket.system, ticket.ccms_screen) == ("ccms", "Case Sanctions")
    assert "sanction on case 4411" in ticket.description
    [attachment] = ticket.attachments.all()
    assert (attachment.original_name, attachment.file.read()) == ("sanction.pdf", PDF)


def test_a_winmail_dat_that_cannot_be_read_is_kept_as_it_came():
    broken = b"\x78\x9f\x3e\x22" + b"\x01"
    parsed = parse_message(
        email_bytes(attachments=[("winmail.dat", "application/ms-tnef", broken)])
    )

    assert [a.name for a in parsed.attachments] == ["winmail.dat"]
