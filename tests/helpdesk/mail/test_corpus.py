"""The corpus of difficult real-world messages (``corpus/*.eml``, described in its README): each
one parsed, with the facts a person would read off it, and Python's own email test messages,
none of which may make the parser raise."""

import importlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from helpdesk.mail import intake
from helpdesk.mail.form import read_form
from helpdesk.mail.parse import ParsedMail, message_id_of_raw, parse_message
from helpdesk.mail.quotes import trim_quoted
from helpdesk.mail.rules import automatic_reason
from helpdesk.models import InboundStatus, Outcome
from tests.helpdesk.mail.messages import FORM, email_bytes

CORPUS = Path(__file__).parent / "corpus"
CHICAGO = ZoneInfo("America/Chicago")
TNEF_SIGNATURE = b"\x78\x9f\x3e\x22"


def chicago(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


@dataclass
class Expect:
    sender: str = ""
    name: str | None = None
    subject: str | None = None
    text_has: list[str] = field(default_factory=list)
    text_lacks: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    automatic: bool = False
    form: dict = field(default_factory=dict)
    trimmed: str | None = None
    from_html: bool = False
    forwarded: list[str] = field(default_factory=list)  # their From lines
    message_id: str | None = None
    thread_ids: list[str] = field(default_factory=list)
    from_count: int = 1


FULL_FORM_PAT_CCMS = {
    "contact_name": "Pat Primary",
    "contact_phone": "815-555-0100",
    "contact_email": "pat@example.org",
    "system": "ccms",
}

EXPECTED: dict[str, Expect] = {
    "outlook_html_form.eml": Expect(
        sender="alex@example.org",
        name="Alex Alternate",
        subject="Problem Report - CCMS access denied",
        from_html=True,
        text_has=["Pat is out today", "“Access denied” – we expected the provider’s case list"],
        text_lacks=["MsoNormal", "font-family", "Cambria", "shapedefaults"],
        message_id="<BN6PR09MB1234ABCD5678EF90@BN6PR09MB1234.namprd09.prod.outlook.com>",
        form={
            "contact_name": "Alex Alternate",
            "contact_phone": "815-555-0142",
            "contact_email": "alex@example.org",
            "secondary_name": "Pat Primary",
            "secondary_phone": "815-555-0100",
            "secondary_email": "pat@example.org",
            "occurred_at": chicago(2026, 11, 20, 14, 15),
            "can_duplicate": True,
            "who_affected": "entire_team",
            "security_group": "CCR&R Supervisor",
            "ccms_screen": "Provider Search",
            "system": "ccms",
            "description": "When we open a provider from Provider Search the screen shows "
            "“Access denied” – we expected the provider’s case list to open. It started after "
            "the 11/19 release.",
        },
    ),
    "outlook_alternative_form.eml": Expect(
        sender="pat@example.org",
        subject="RACF ID revoked after password reset",
        text_has=["Local Expert Contact\tPat Primary"],
        form={
            **FULL_FORM_PAT_CCMS,
            "system": "ccts",
            "secondary_name": "Alice Agency",
            "secondary_email": "alice@example.org",
            "occurred_at": chicago(2026, 11, 19, 8, 5),
            "can_duplicate": False,
            "who_affected": "just_me",
            "security_group": "CCTS Caseworker",
            "description": "My RACF ID was revoked right after the help desk reset my CCTS "
            'password. BlueZone says "ICH408I USER(PPRIM01) ... REVOKED". I expected to sign '
            "in with the temporary password.",
        },
    ),
    "apple_mail_alternative.eml": Expect(
        sender="pat@example.org",
        subject="InfoView report will not open",
        text_has=["“Provider Payments by Month” won’t open", "Sent from my iPad"],
        form={
            **FULL_FORM_PAT_CCMS,
            "system": "infoview",
            "occurred_at": chicago(2026, 11, 18, 16, 45),
            "can_duplicate": True,
            "who_affected": "some_coworkers",
            "security_group": "CCR&R Caseworker",
        },
    ),
    "gmail_forwarded_form.eml": Expect(
        sender="alex@example.org",
        subject="Fwd: CCMS Problem Report Form",
        text_has=["---------- Forwarded message ---------", "From: Pat Primary"],
        trimmed="Forwarding Pat's report, she asked me to send it on.",
        thread_ids=["<CAJ9x7bPRIMARY+form=Q@mail.gmail.com>"],
        form={
            **FULL_FORM_PAT_CCMS,
            "secondary_name": "Alex Alternate",
            "secondary_phone": "815-555-0142",
            "secondary_email": "alex@example.org",
            "occurred_at": chicago(2026, 11, 20, 9, 30),
            "can_duplicate": True,
            "who_affected": "just_me",
            "ccms_screen": "Case Sanctions",
            "description": 'The sanction on case 4411 cannot be removed: Save shows "error 500". '
            "We\nexpected the sanction to clear.",
        },
    ),
    "outlook_forward_as_attachment.eml": Expect(
        sender="alex@example.org",
        subject="FW: Problem Report Form - IVR",
        text_has=["Forwarding Pat's report as an attachment"],
        forwarded=["From: Pat Primary <pat@example.org>"],
        attachments=["Problem Report Form - IVR.eml"],  # the attached message, kept as it was
        form={
            **FULL_FORM_PAT_CCMS,
            "system": "ivr",
            "occurred_at": chicago(2026, 11, 16, 10, 0),
            "can_duplicate": True,
            "who_affected": "entire_agency",
        },
    ),
    "reply_on_wrote.eml": Expect(
        sender="pat@example.org",
        subject="Re: [CCAP-2026-000042] CCMS: cannot remove a sanction",
        attachments=["image.png"],
        trimmed="Yes, it still happens after clearing the browser cache. Screenshot attached."
        "\n\nPat",
        thread_ids=["<ack-42.20261123151200@ccap.example>"],
    ),
    "reply_outlook_original.eml": Expect(
        sender="alex@example.org",
        subject="RE: [CCAP-2026-000042] CCMS: cannot remove a sanction",
        text_has=["-----Original Message-----"],
        trimmed="The sanction cleared this morning after your fix. You can close the ticket."
        "\n\nAlex Alternate\nNorthern Lights CCR&R",
        thread_ids=["<ack-42.20261123151200@ccap.example>"],
    ),
    "reply_outlook_html_from_sent.eml": Expect(
        sender="pat@example.org",
        subject="RE: [CCAP-2026-000051] Resolved: incorrect co-pay",
        from_html=True,
        text_has=["Sent: Friday, November 20, 2026 4:30 PM"],
        trimmed="Hi Hannah,\n\nThe co-pay on case 5120 now shows $35. That is correct. Thank you!"
        "\n\nPat",
        thread_ids=[
            "<resolved-51.20261120223000@ccap.example>",
            "<ack-51.20261118150000@ccap.example>",
        ],
    ),
    "dsn_bounce.eml": Expect(
        sender="MAILER-DAEMON@mx.example.org",
        subject="Undelivered Mail Returned to Sender",
        automatic=True,
        text_has=["your message could not\nbe delivered"],
        attachments=["attachment.rfc822-hea"],
    ),
    "ooo_auto_submitted.eml": Expect(
        sender="alice@example.org",
        subject="Out of Office: [CCAP-2026-000042] Your report was logged",
        automatic=True,
        text_has=["out of the office until Monday"],
    ),
    "ooo_exchange.eml": Expect(
        sender="pat@example.org",
        subject="Automatic reply: [CCAP-2026-000042] CCMS: cannot remove a sanction",
        automatic=True,
        text_has=["Alex Alternate (alex@example.org) is covering"],
    ),
    "list_message.eml": Expect(
        sender="otto@example.org",
        subject="[ccms-users] Anyone else seeing slow Provider Search?",
        automatic=True,
    ),
    "read_receipt.eml": Expect(
        sender="pat@example.org",
        subject="Read: [CCAP-2026-000042] Your report was logged",
        automatic=True,
    ),
    "our_own_loop.eml": Expect(sender="pat@example.org", automatic=True),
    "iso_8859_1.eml": Expect(
        sender="pat@example.org",
        subject="Co-pay wrong for Niños Felices Daycare",
        text_has=["Niños Felices Daycare (provider of Sra. Peña)", "Café hours"],
        form={
            **FULL_FORM_PAT_CCMS,
            "occurred_at": chicago(2026, 11, 17, 15, 30),
            "can_duplicate": True,
            "who_affected": "just_me",
        },
    ),
    "shift_jis.eml": Expect(
        sender="pat@example.org",
        name="パット",
        subject="CCMS エラー報告",
        text_has=["「Case Sanctions」画面が表示されません", "①ログイン"],
        form={"system": "ccms", "can_duplicate": True},
    ),
    "lying_us_ascii.eml": Expect(
        sender="pat@example.org",
        text_has=["can’t be closed – the “Close Case” button"],
        form={"system": "ccms"},
    ),
    "lying_utf8.eml": Expect(
        sender="alex@example.org", text_has=["provider’s address shows Café Street"]
    ),
    "lying_latin1_is_utf8.eml": Expect(
        sender="alex@example.org", text_has=["Niños Felices – Peña"], text_lacks=["Ã"]
    ),
    "unknown_charset.eml": Expect(
        sender="pat@example.org",
        subject="Résumé of case 4411",
        text_has=["The Résumé report"],
        form={"system": "infoview"},
    ),
    "base64_body.eml": Expect(
        sender="pat@example.org",
        subject="WEB3270 sessions dropping",
        form={
            **FULL_FORM_PAT_CCMS,
            "system": "ccts",
            "occurred_at": chicago(2026, 11, 21, 7, 50),
            "can_duplicate": False,
            "who_affected": "entire_agency",
            "description": "WEB3270 sessions drop after five minutes for everyone in the office."
            "\nWe expected sessions to stay open for the usual 30 minutes.",
        },
    ),
    "rfc2047_headers.eml": Expect(
        sender="pat@example.org",
        name="Pät Prîmary",
        subject="Écran « Case Sanctions » bloqué – CCMS",
    ),
    "rfc2231_filename.eml": Expect(
        sender="pat@example.org",
        attachments=["Résumé du cas – 4411.pdf", "Capture d’écran.png"],
    ),
    "eight_bit_headers.eml": Expect(
        sender="pat@example.org", name="Pät Primary", subject="Écran bloqué – CCMS"
    ),
    # An unbalanced quote in From: once read as Pat by a regex fallback; now matched to no one.
    "unparseable_headers.eml": Expect(
        sender="",
        from_count=0,
        subject="Headers the policy cannot parse",
        text_has=["the body is fine"],
        form={"system": "ccms"},
    ),
    "multiple_from.eml": Expect(sender="", from_count=2),  # two authors: matched to no one
    "missing_message_id.eml": Expect(sender="pat@example.org", message_id=""),
    "missing_from.eml": Expect(sender="", from_count=0, text_has=["Nobody signed this one."]),
    "no_headers.eml": Expect(
        sender="",
        from_count=0,
        subject="",
        message_id="",
        text_has=["Case Sanctions screen will not save"],
    ),
    "headers_only.eml": Expect(sender="pat@example.org", subject="Headers and nothing else"),
    "mbox_from_line.eml": Expect(
        sender="pat@example.org", subject="Piped with its envelope line", form={"system": "ccts"}
    ),
    "broken_mime_unclosed.eml": Expect(
        sender="pat@example.org",
        text_has=["The upload page times out."],
        attachments=["case-5120.pdf"],
        form={"system": "ccms"},
    ),
    "broken_mime_missing_boundary.eml": Expect(
        sender="pat@example.org",
        text_has=["The InfoView login page loops back to itself."],
        form={"system": "infoview"},
    ),
    "winmail_dat.eml": Expect(
        sender="alex@example.org", attachments=["winmail.dat"], form={"system": "ivr"}
    ),
    "inline_image_related.eml": Expect(
        sender="pat@example.org",
        attachments=["red-banner.png"],
        text_has=["The error is in the screenshot below."],
        form={"system": "ccms"},
    ),
    "outlook_inline_image.eml": Expect(
        sender="alex@example.org", attachments=["image001.png"], form={"system": "infoview"}
    ),
    "nested_rfc822_two_levels.eml": Expect(
        sender="alex@example.org",
        subject="FW: FW: Case 4411 will not close",
        forwarded=["From: Pat Primary <pat@example.org>", "From: Alice Agency <alice@example.org>"],
        # Each attached message kept as a file, outermost first, then what the innermost held.
        attachments=[
            "FW_ Case 4411 will not close.eml",
            "Case 4411 will not close.eml",
            "case-4411.pdf",
        ],
        form={"system": "ccms"},
    ),
    "html_only_script_style.eml": Expect(
        sender="pat@example.org",
        from_html=True,
        text_has=["The Attendance screen rejects every date in December."],
        text_lacks=[
            "alert",
            "injected",
            "tracking pixel",
            "secretToken",
            "font-family",
            "Verdana",
            "Newsletter template title",
            "color:red",
        ],
        form={
            "system": "ccms",
            "who_affected": "entire_team",
            "description": "The Attendance screen rejects every date in December.",
            "expected_result": "dates in December are accepted.",
        },
    ),
    "thunderbird_flowed_form.eml": Expect(
        sender="pat@example.org",
        text_has=["around 1:30 PM\n", "including steps (actions) performed prior"],
        form={
            **FULL_FORM_PAT_CCMS,
            "occurred_at": chicago(2026, 11, 19, 13, 30),
            "can_duplicate": True,
            "who_affected": "entire_team",
            "description": "After entering attendance for November and pressing Submit the "
            "page goes blank. We expected the confirmation page.",
        },
    ),
    "signed_smime.eml": Expect(
        sender="alex@example.org",
        attachments=["smime.p7s"],
        form={"system": "ivr", "who_affected": "some_coworkers"},
    ),
}


def _parse(name: str) -> tuple[bytes, ParsedMail]:
    raw = (CORPUS / name).read_bytes()
    return raw, parse_message(raw)


def test_every_corpus_message_has_its_expected_facts():
    names = sorted(p.name for p in CORPUS.glob("*.eml"))
    assert len(names) >= 25
    assert names == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message(name):
    expect = EXPECTED[name]

    raw, parsed = _parse(name)

    assert isinstance(parsed, ParsedMail)
    assert parsed.unreadable == ""
    assert parsed.from_address == expect.sender
    assert parsed.from_count == expect.from_count
    if expect.name is not None:
        assert parsed.from_name == expect.name
    if expect.subject is not None:
        assert parsed.subject == expect.subject
    for words in expect.text_has:
        assert words in parsed.text
    for words in expect.text_lacks:
        assert words not in parsed.text
    assert parsed.from_html == expect.from_html
    assert [a.name for a in parsed.attachments] == expect.attachments
    assert all(a.data for a in parsed.attachments)
    assert [f.from_line for f in parsed.forwarded] == expect.forwarded
    if expect.message_id is not None:
        assert parsed.message_id == message_id_of_raw(raw) == expect.message_id
    for thread_id in expect.thread_ids:
        assert thread_id in parsed.thread_ids
    assert bool(automatic_reason(parsed)) == expect.automatic
    if expect.trimmed is not None:
        assert trim_quoted(parsed.text) == expect.trimmed
    reading = read_form(parsed.full_text, sent_at=parsed.date)
    for field_name, value in expect.form.items():
        assert reading.values.get(field_name) == value, field_name


AUTOMATIC = {name for name, expect in EXPECTED.items() if expect.automatic}
QUARANTINED = {"multiple_from.eml", "missing_from.eml", "no_headers.eml", "unparseable_headers.eml"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_message_through_the_pipeline(world, django_capture_on_commit_callbacks, name):
    """Pat's and Alex's mail becomes tickets, the automatic mail is ignored, the mail without
    one sender is quarantined; and nothing fails."""
    raw = (CORPUS / name).read_bytes()

    with django_capture_on_commit_callbacks(execute=True):
        result = intake.ingest(raw, source="pipe")

    result.inbound.refresh_from_db()
    assert result.inbound.status == InboundStatus.PROCESSED, result.inbound.error
    if name in AUTOMATIC:
        assert result.outcome == Outcome.AUTO_REPLY_IGNORED
    elif name in QUARANTINED:
        assert result.outcome == Outcome.QUARANTINED
    else:
        assert result.outcome == Outcome.TICKET_CREATED, result.inbound.detail


# --- Particular facts ------------------------------------------------------------------------


def test_the_winmail_dat_is_kept_whole_with_the_tnef_signature():
    _, parsed = _parse("winmail_dat.eml")

    [tnef] = parsed.attachments
    assert tnef.declared_type == "application/ms-tnef"
    assert tnef.data.startswith(TNEF_SIGNATURE)


def test_inline_images_keep_their_content_id_even_beside_a_plain_version():
    _, apple = _parse("inline_image_related.eml")
    _, outlook = _parse("outlook_inline_image.eml")

    assert [(a.inline, a.content_id) for a in apple.attachments] == [
        (True, "5D4C3B2A-1F0E-4D9C-8B7A-665544332211@example.org")
    ]
    assert [(a.inline, a.content_id) for a in outlook.attachments] == [
        (True, "image001.png@01DA1B2C.3D4E5F60")
    ]
    assert apple.attachments[0].data.startswith(b"\x89PNG")


def test_nested_forwards_keep_each_message_in_order():
    _, parsed = _parse("nested_rfc822_two_levels.eml")

    middle, innermost = parsed.forwarded
    assert middle.subject == "Subject: FW: Case 4411 will not close"
    assert "Alice's message is attached" in middle.text
    assert innermost.subject == "Subject: Case 4411 will not close"
    assert "an open sanction blocks it" in innermost.text
    assert "an open sanction blocks it" in parsed.full_text
    assert parsed.attachments[-1].data.startswith(b"%PDF-")


def test_broken_mime_is_reported_as_defects_not_errors():
    _, unclosed = _parse("broken_mime_unclosed.eml")
    _, no_boundary = _parse("broken_mime_missing_boundary.eml")

    assert "CloseBoundaryNotFoundDefect" in unclosed.defects
    assert "NoBoundaryInMultipartDefect" in no_boundary.defects


def test_bad_dates_and_message_ids_are_read_as_missing_or_as_written():
    _, parsed = _parse("unparseable_headers.eml")

    assert parsed.date is None  # 31 February, 25:61, +9999
    assert parsed.message_id == "not-a-message-id"


def test_the_bounce_and_the_out_of_office_say_why_they_are_automatic():
    reasons = {name: automatic_reason(_parse(name)[1]) for name in EXPECTED}

    assert reasons["dsn_bounce.eml"] == "Auto-Submitted: auto-replied"
    assert reasons["ooo_auto_submitted.eml"] == "Auto-Submitted: auto-replied"
    assert reasons["ooo_exchange.eml"] == "an out-of-office reply"
    assert reasons["list_message.eml"] == "Precedence: list"
    assert reasons["read_receipt.eml"] == "a delivery or read report"
    assert reasons["our_own_loop.eml"] == "our own message come back (X-Loop)"


def test_a_bounce_without_auto_submitted_is_known_by_its_empty_return_path():
    raw = (CORPUS / "dsn_bounce.eml").read_bytes().replace(b"Auto-Submitted: auto-replied\n", b"")

    assert automatic_reason(parse_message(raw)) == "empty Return-Path (a bounce)"


def test_only_the_message_empty_of_everything_is_unreadable():
    assert parse_message(b"").unreadable == "The message is empty."
    assert parse_message(b"\r\n \r\n").unreadable == "The message is empty."


# --- A 10 MB attachment ----------------------------------------------------------------------

TEN_MB = 10 * 1024 * 1024


def _ten_mb_report() -> bytes:
    pdf = b"%PDF-1.4\n" + b"0" * (TEN_MB - 9)
    return email_bytes(
        body=FORM,
        attachments=[("case-4411-scan.pdf", "application/pdf", pdf)],
        message_id="<ten-mb@example.org>",
    )


def test_a_10_mb_attachment_is_read_whole():
    raw = _ten_mb_report()

    parsed = parse_message(raw)

    [scan] = parsed.attachments
    assert (scan.name, len(scan.data)) == ("case-4411-scan.pdf", TEN_MB)
    assert scan.data.startswith(b"%PDF-1.4")
    assert read_form(parsed.text).values["system"] == "ccms"


def test_a_10_mb_attachment_goes_through_the_pipeline(world, settings):
    settings.ATTACHMENT_MAX_BYTES = TEN_MB - 1  # just over the limit: noted, not kept

    result = intake.ingest(_ten_mb_report(), source="pipe")

    assert result.inbound.status == InboundStatus.PROCESSED
    assert result.outcome == Outcome.TICKET_CREATED
    assert result.ticket.attachments.count() == 0
    note = result.ticket.events.get(kind="email_received").note
    assert "case-4411-scan.pdf (10.0\xa0MB) is larger than the 10.0\xa0MB limit." in note


# --- Python's own email test messages --------------------------------------------------------


def _stdlib_email_data() -> Path | None:
    try:  # the test package is optional in some builds (and has no stubs)
        test_email = importlib.import_module("test.test_email")
    except ImportError:
        return None
    directory = Path(str(test_email.__file__)).parent / "data"
    return directory if directory.is_dir() else None


def test_pythons_own_email_test_messages_never_make_the_parser_raise():
    directory = _stdlib_email_data()
    if directory is None:
        pytest.skip("the standard library's test/test_email/data directory is not installed")
    files = sorted(p for p in directory.iterdir() if p.is_file())
    assert len(files) > 40

    for path in files:
        parsed = parse_message(path.read_bytes())
        assert isinstance(parsed, ParsedMail), path.name
        automatic_reason(parsed)
        read_form(parsed.full_text, sent_at=parsed.date)
        trim_quoted(parsed.text)
        if path.name.startswith("msg_"):
            assert parsed.unreadable == "", path.name
