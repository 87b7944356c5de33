"""The parser's pieces one at a time: charsets, headers, dates, MIME trees, HTML, quoted
history, and the rules read off the headers (automatic mail, DMARC)."""

import base64
import time
from datetime import UTC, datetime

import pytest

from helpdesk.mail import html
from helpdesk.mail.html import html_to_text
from helpdesk.mail.parse import (
    clean_text,
    decode_text,
    message_id_of_raw,
    normalise_message_id,
    parse_message,
)
from helpdesk.mail.quotes import trim_quoted
from helpdesk.mail.rules import Dmarc, automatic_reason, dmarc_verdict
from tests.helpdesk.mail.messages import email_bytes

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGP4z8AARAwQCgAf7gP9"
    "i18U1AAAAABJRU5ErkJggg=="
)


def mail(headers: str, body: bytes | str = b"body\n") -> bytes:
    body = body.encode() if isinstance(body, str) else body
    return headers.strip("\n").encode("utf-8", "surrogateescape") + b"\n\n" + body


def storable(text: str) -> bool:
    """What any database takes: no NUL, no lone surrogate."""
    return "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


# --- Charsets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "declared", "expected"),
    [
        ("Café".encode(), "utf-8", "Café"),
        ("Café".encode("iso-8859-1"), "iso-8859-1", "Café"),
        (b"can\x92t \x96 \x93Save\x94", "us-ascii", "can’t – “Save”"),  # lying ASCII
        (b"can\x92t", "utf-8", "can’t"),  # lying UTF-8
        (b"can\x92t", "iso-8859-1", "can’t"),  # Latin-1 read as its superset, Windows-1252
        ("Niños".encode(), "iso-8859-1", "Niños"),  # says Latin-1, is UTF-8
        ("Niños".encode(), "x-unknown", "Niños"),
        (b"Ni\xf1os", "x-unknown", "Niños"),
        (b"Ni\xf1os", "", "Niños"),
        (b"Ni\xf1os", None, "Niños"),
        (b"Ni\xf1os", '"utf-8"', "Niños"),
        (b"Ni\xf1os", "utf-8\x00", "Niños"),
        ("①ログイン".encode("cp932"), "Shift_JIS", "①ログイン"),  # Windows' Shift_JIS
        ("①ログイン".encode("cp932"), "x-sjis", "①ログイン"),
        ("報告".encode("iso-2022-jp"), "iso-2022-jp", "報告"),
        ("镕".encode("gbk"), "gb2312", "镕"),  # GB2312 mail is GBK
        ("한국".encode("cp949"), "ks_c_5601-1987", "한국"),
        (b"a\x81b", "windows-1252", "a\x81b"),  # a byte Windows-1252 leaves undefined
        (b"a..b", "idna", "a..b"),  # Python codecs that are no charset are unknown ones
        (b"+AAA-", "punycode", "+AAA-"),
        (b"\\u12", "unicode_escape", "\\u12"),
        (b"abc", "undefined", "abc"),
        (b"abc", "base64", "abc"),
        (b"abc", "rot13", "abc"),
        (b"+2AA-", "utf-7", "\ufffd"),  # a lone surrogate, replaced
        (b"\xff\xfe", "utf-16", ""),
    ],
)
def test_decode_text(data, declared, expected):
    text = decode_text(data, declared)

    assert text == expected
    assert storable(text)


def test_undecodable_bytes_in_headers_are_read_as_utf8_or_windows_1252():
    assert clean_text("Caf\udcc3\udca9 cr\udce8me") == "Café crème"
    assert clean_text("lone \ud800 surrogate\x00") == "lone \ufffd surrogate"
    assert clean_text("plain") == "plain"


# --- Headers --------------------------------------------------------------------------------


def test_raw_8bit_headers_in_utf8_and_latin1():
    raw = (
        "From: Pät Primary <pat@example.org>\n".encode()
        + "Subject: Écran bloqué\n".encode()
        + b"X-Old: caf\xe9 cr\xe8me\n\nbody\n"
    )

    parsed = parse_message(raw)

    assert (parsed.from_name, parsed.from_address) == ("Pät Primary", "pat@example.org")
    assert parsed.subject == "Écran bloqué"
    assert parsed.header("X-Old") == "café crème"


def test_encoded_words_in_a_charset_nobody_knows_are_still_read():
    raw = mail("Subject: =?x-unknown?Q?R=C3=A9sum=C3=A9?= and =?klingon?B?Y2Fm6Q==?=")

    assert parse_message(raw).subject == "Résumé and café"


def test_a_broken_encoded_word_stays_as_written():
    assert parse_message(mail("Subject: =?utf-8?q?unfinished")).subject == "=?utf-8?q?unfinished"


def test_a_folded_subject_is_one_line():
    raw = mail("Subject: a very long subject\n\tthat was folded\n  twice")

    assert parse_message(raw).subject == "a very long subject that was folded twice"


@pytest.mark.parametrize(
    ("from_header", "address", "name", "count", "ambiguous"),
    [
        ("Pat Primary <pat@example.org>", "pat@example.org", "Pat Primary", 1, False),
        ("pat@example.org", "pat@example.org", "", 1, False),
        ('"Primary, Pat" <pat@example.org>', "pat@example.org", "Primary, Pat", 1, False),
        ("=?utf-8?q?P=C3=A4t?= <pat@example.org>", "pat@example.org", "Pät", 1, False),
        # An unbalanced quote or an unclosed bracket: once read by a regex fallback as Pat,
        # now ambiguous (the address a person sees is not what a strict reader returns).
        ('"Pat Primary <pat@example.org>', "", "", 0, True),
        ("Pat <pat@example.org", "", "", 0, True),
        ("pat@example.org, alice@example.org", "", "", 2, True),
        ("undisclosed-recipients:;", "", "", 0, True),
        ('"', "", "", 0, True),
        ("Pat Primary", "", "", 0, True),
        ("<>", "", "", 0, True),
    ],
)
def test_the_sender(from_header, address, name, count, ambiguous):
    parsed = parse_message(mail(f"From: {from_header}\nSubject: s"))

    assert parsed.unreadable == ""
    assert (parsed.from_address, parsed.from_count) == (address, count)
    assert parsed.from_name == name
    assert bool(parsed.sender_problem) is ambiguous


def test_headers_the_policy_cannot_parse_are_given_as_written():
    parsed = parse_message(mail('From: pat@example.org\nTo: "\nTo: second'))

    assert parsed.headers("To") == ['"', "second"]
    assert parsed.header("X-Missing") == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Mon, 23 Nov 2026 09:12:00 -0600", datetime(2026, 11, 23, 15, 12, tzinfo=UTC)),
        ("23 Nov 2026 15:12 GMT", datetime(2026, 11, 23, 15, 12, tzinfo=UTC)),
        ("Mon, 23 Nov 2026 09:12:00 -0000", None),  # time zone unknown
        ("Mon, 1 Jan 1900 00:00:00 +0100", None),
        ("Fri, 31 Dec 9999 23:59:59 -0100", None),
        ("Thu, 31 Feb 2026 10:00:00 +0000", None),
        ("Mon, 23 Nov 2026 09:12:00 +9999", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_the_date(value, expected):
    assert parse_message(mail(f"From: pat@example.org\nDate: {value}")).date == expected


def test_message_id_read_before_parsing():
    assert message_id_of_raw(mail("Message-ID: <a@b.c>")) == "<a@b.c>"
    assert message_id_of_raw(mail("message-id:\n <folded@b.c>")) == "<folded@b.c>"
    assert message_id_of_raw(b"Message-Id: <crlf@b.c>\r\nFrom: x\r\n\r\nbody") == "<crlf@b.c>"
    assert message_id_of_raw(mail("Message-ID: <a@b.c> (comment)")) == "<a@b.c>"
    assert message_id_of_raw(mail("From: x", "Message-ID: <in-body@b.c>\n")) == ""
    assert message_id_of_raw(b"") == ""
    assert normalise_message_id("  not-bracketed  ") == "not-bracketed"
    assert len(normalise_message_id("<" + "x" * 500 + "@b.c>")) == 255


def test_thread_ids_nearest_first():
    raw = mail("In-Reply-To: <c@x>\nReferences: <a@x> <b@x>\n <c@x>")

    assert parse_message(raw).thread_ids == ["<c@x>", "<b@x>", "<a@x>"]


# --- Bodies ---------------------------------------------------------------------------------


def test_text_is_normalised():
    raw = mail("From: pat@example.org", b"one\r\ntwo\xc2\xa0three\x00\r\n\r\n\r\n\r\nfour   \n")

    assert parse_message(raw).text == "one\ntwo three\n\nfour"


def test_format_flowed_is_joined_back():
    body = (
        "A long line that the mail program \n"
        "wrapped at the margin.\n"
        "> a quoted line \n"
        "> carried on\n"
        " From a space-stuffed line\n"
        "-- \n"
        "Pat\n"
    )
    raw = mail("Content-Type: text/plain; charset=utf-8; format=flowed", body)

    assert parse_message(raw).text == (
        "A long line that the mail program wrapped at the margin.\n"
        "> a quoted line carried on\n"
        "From a space-stuffed line\n"
        "--\n"
        "Pat"
    )


def test_format_flowed_with_delsp_removes_the_wrapping_space():
    raw = mail(
        "Content-Type: text/plain; format=flowed; delsp=yes",
        "A word split by the wrap: over \nflowing text.\n",
    )

    assert parse_message(raw).text == "A word split by the wrap: overflowing text."


def test_an_empty_plain_alternative_gives_way_to_the_html_one():
    raw = email_bytes(body="\n", html="<p>System: <b>CCMS</b></p>")

    parsed = parse_message(raw)

    assert parsed.text == "System: CCMS"
    assert parsed.from_html


def test_html_is_preferred_to_other_rich_alternatives():
    raw = mail(
        'Content-Type: multipart/alternative; boundary="b"',
        "--b\nContent-Type: text/plain\n\n\n--b\nContent-Type: text/html\n\n<p>the html</p>\n"
        "--b\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR\n--b--\n",
    )

    parsed = parse_message(raw)

    assert parsed.text == "the html"
    assert [a.name for a in parsed.attachments] == ["attachment.calendar"]


def test_an_image_in_the_html_alternative_is_kept_when_the_plain_one_is_shown():
    raw = mail(
        'Content-Type: multipart/alternative; boundary="a"',
        "--a\nContent-Type: text/plain\n\nSee the picture.\n"
        '--a\nContent-Type: multipart/related; boundary="r"\n\n'
        '--r\nContent-Type: text/html\n\n<img src="cid:pic@x">\n'
        "--r\nContent-Type: image/png\nContent-ID: <pic@x>\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(PNG).decode()
        + "--r--\n--a--\n",
    )

    parsed = parse_message(raw)

    assert parsed.text == "See the picture."
    [image] = parsed.attachments
    assert (image.name, image.inline, image.content_id, image.data) == (
        "attachment.png",
        True,
        "pic@x",
        PNG,
    )


def test_a_multipart_without_a_boundary_is_shown_as_text():
    raw = mail("Content-Type: multipart/mixed", "--x\nContent-Type: text/plain\n\nSystem: CCMS\n")

    parsed = parse_message(raw)

    assert "System: CCMS" in parsed.text
    assert "NoBoundaryInMultipartDefect" in parsed.defects


def test_a_base64_encoded_forwarded_message_is_decoded():
    inner = b"From: Pat <pat@example.org>\nSubject: inner\n\nSystem: CCMS\n"
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nSee below.\n"
        "--b\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(inner).decode()
        + "--b--\n",
    )

    [forwarded] = parse_message(raw).forwarded

    assert (forwarded.from_line, forwarded.subject) == (
        "From: Pat <pat@example.org>",
        "Subject: inner",
    )
    assert forwarded.text == "System: CCMS"


def test_deeply_nested_forwards_stop_at_a_depth_without_raising():
    raw = b"From: pat@example.org\nSubject: level 0\n\nbottom\n"
    for level in range(1, 40):
        raw = (
            f"From: pat@example.org\nSubject: level {level}\nContent-Type: message/rfc822\n\n"
        ).encode() + raw

    parsed = parse_message(raw)

    assert parsed.unreadable == ""
    assert 1 <= len(parsed.forwarded) <= 11


def test_attachment_names_and_types():
    raw = mail(
        'Content-Type: multipart/mixed; boundary="b"',
        "--b\nContent-Type: text/plain\n\nhi\n"
        "--b\nContent-Type: application/ms-tnef\nContent-Transfer-Encoding: base64\n\n"
        + base64.encodebytes(b"\x78\x9f\x3e\x22rest").decode()
        + "--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nnotes\n"
        "--b\nContent-Type: text/csv; name=report.csv\n\na,b\n"
        "--b\nContent-Type: application/octet-stream\n"
        'Content-Disposition: attachment; filename="=?utf-8?b?w6kuZG9j?="\n\nx\n'
        "--b--\n",
    )

    parsed = parse_message(raw)

    assert parsed.text == "hi"
    assert [(a.name, a.declared_type) for a in parsed.attachments] == [
        ("winmail.dat", "application/ms-tnef"),
        ("attachment.plain", "text/plain"),
        ("report.csv", "text/csv"),
        ("é.doc", "application/octet-stream"),
    ]


def test_nothing_unstorable_comes_out_of_garbage_bytes():
    raw = (
        b"From: \xff\xfe<pat@example.org>\nSubject: \x00\xc3(\xed\xa0\x80\n"
        b"Content-Type: text/plain; charset=utf-7\nContent-Disposition: attachment; "
        b'filename="\xe9\x00.txt"\n\n+2AA- \x00 body\n'
    )

    parsed = parse_message(raw)

    assert parsed.unreadable == ""
    for text in (parsed.subject, parsed.from_name, parsed.from_address, parsed.text):
        assert storable(text)
    assert all(storable(a.name) for a in parsed.attachments)


def test_a_message_without_headers_keeps_its_text():
    parsed = parse_message(b"Just a line of text, no headers at all.\n")

    assert parsed.unreadable == ""
    assert parsed.text == "Just a line of text, no headers at all."


# --- HTML -----------------------------------------------------------------------------------


def test_html_drops_what_is_never_text():
    html = (
        "<html><head><title>Title</title><style>p{color:red}</style>"
        "<script>var secret = 1;</script></head><body><!-- a <b>comment</b> -->"
        "<p>Shown</p><script type='text/javascript'>alert('x')</script><p>Also shown</p>"
        "</body></html>"
    )

    assert html_to_text(html) == "Shown\n\nAlso shown"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>kept</p><script>alert(1)", "kept"),  # an unclosed script runs to the end
        ("<p>kept</p><style>p{}", "kept"),
        ("<p>kept</p><!-- unclosed comment <p>gone</p>", "kept"),
        ("<head><meta charset=utf-8><p>body after an unclosed head", "body after an unclosed head"),
        ("<p>a < b and c > d</p>", "a < b and c > d"),
        ("<p>x &lt;script&gt; y</p>", "x <script> y"),
        ("no tags\nat all", "no tags at all"),
    ],
)
def test_html_edge_cases(html, expected):
    assert html_to_text(html).strip() == expected


def test_table_cells_land_on_lines_of_their_own():
    text = html_to_text("<table><tr><td><p>System:</p><td><p>CCMS</p><tr><td>Who<td>Me</table>")

    assert [line for line in text.splitlines() if line.strip()] == ["System:", "CCMS", "Who", "Me"]


@pytest.mark.parametrize(
    "piece",
    ["<td ", "<style ", '<a b="', "<!--", "</", "<ol><li>", "<ul><li>x", "<blockquote>", "<"],
)
def test_hostile_markup_converts_in_linear_time(piece):
    html = piece * (100_000 // len(piece))

    started = time.monotonic()
    html_to_text(html)

    assert time.monotonic() - started < 5  # minutes before the markup was made safe


def test_nested_lists_are_flattened_past_a_depth():
    text = html_to_text("<ul><li>x" * 50)

    assert max(len(line) - len(line.lstrip()) for line in text.splitlines() if line.strip()) < 40


def test_html_past_the_limit_is_cut_with_a_note(monkeypatch):
    monkeypatch.setattr(html, "MAX_HTML_CHARS", 10_000)

    text = html_to_text("<p>start</p>" + "<p>filler</p>" * 1000)

    assert text.startswith("start")
    assert text.endswith("the raw message has it.]")


# --- Quoted history -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "quote",
    [
        "On Mon, Nov 23, 2026 at 9:12 AM CCAP Help Desk <ccap-helpdesk@localhost> wrote:\n> old",
        "On Mon, Nov 23, 2026 at 9:12 AM CCAP Help Desk <\nccap-helpdesk@localhost> wrote:\n> old",
        "On 23 Nov 2026, at 09:12, CCAP Help Desk <ccap-helpdesk@localhost> wrote:\n\n> old",
        "-----Original Message-----\nFrom: CCAP Help Desk\nSent: Monday\n\nold",
        "From: CCAP Help Desk <ccap-helpdesk@localhost>\nSent: Monday, November 23, 2026\nold",
        "From: CCAP Help Desk\n\nSent: Monday, November 23, 2026\nold",
        "________________________________\nFrom: CCAP Help Desk\nold",
        "---------- Forwarded message ---------\nFrom: Pat\nold",
        "Begin forwarded message:\n\nFrom: Pat\nold",
        "> old\n> older\n>\n",
    ],
)
def test_quoted_history_is_trimmed(quote):
    assert trim_quoted(f"Fixed, thanks.\n\nPat\n\n{quote}") == "Fixed, thanks.\n\nPat"


def test_what_is_not_a_quote_is_kept():
    inline = "My answers:\n> Does it still happen?\nYes.\n> Which screen?\nCase Sanctions."
    from_line = "Fixed.\nFrom: now on I will clear the cache first.\nThanks"

    assert trim_quoted(inline) == inline
    assert trim_quoted(from_line) == from_line
    assert trim_quoted("On Monday the system failed again.") == "On Monday the system failed again."


def test_a_reply_that_is_all_quote_is_shown_whole():
    assert trim_quoted("> only the quote\n> nothing new") == "> only the quote\n> nothing new"
    assert trim_quoted("") == ""


@pytest.mark.parametrize(
    "text",
    [">\n" * 200_000 + "x", "a\n" + "On x\n" * 100_000, "a\n" + "From: x\n" * 100_000],
)
def test_trimming_long_text_is_linear(text):
    started = time.monotonic()
    trim_quoted(text)

    assert time.monotonic() - started < 5


# --- Rules: automatic mail (RFC 3834) and DMARC -------------------------------------------


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied", "Auto-Submitted: auto-replied"),
        ("Auto-Submitted: auto-generated; owner-email=x@y", "Auto-Submitted: auto-generated"),
        ("Auto-Submitted: AUTO-NOTIFIED", "Auto-Submitted: auto-notified"),
        ("Precedence: bulk", "Precedence: bulk"),
        ("Precedence: junk", "Precedence: junk"),
        ("Precedence: list", "Precedence: list"),
        ("Precedence: auto_reply", "Precedence: auto_reply"),
        ("List-Id: <ccms.lists.example.gov>", "a mailing list message (List-Id)"),
        ("List-Unsubscribe: <mailto:leave@x>", "a mailing list message (List-Id)"),
        ("Return-Path: <>", "empty Return-Path (a bounce)"),
        ("Return-Path: < >", "empty Return-Path (a bounce)"),
        ("X-Loop: ccap-helpdesk@localhost", "our own message come back (X-Loop)"),
        ("X-Autoreply: yes", "an auto-responder (X-Autoreply)"),
        ("X-Autorespond: yes", "an auto-responder (X-Autoreply)"),
        (
            "X-Auto-Response-Suppress: All\nSubject: Automatic reply: your ticket",
            "an out-of-office reply",
        ),
        (
            "X-Auto-Response-Suppress: DR, OOF, AutoReply\nSubject: Out of Office: Pat",
            "an out-of-office reply",
        ),
        (
            "Content-Type: multipart/report; report-type=delivery-status",
            "a delivery or read report",
        ),
    ],
)
def test_automatic_mail(headers, reason):
    parsed = parse_message(mail(f"From: Pat Primary <pat@example.org>\n{headers}"))

    assert automatic_reason(parsed) == reason


@pytest.mark.parametrize("sender", ["MAILER-DAEMON@mx.example.org", "postmaster@example.org"])
def test_mail_systems_are_automatic(sender):
    assert (
        automatic_reason(parse_message(mail(f"From: {sender}")))
        == f"sent by {sender.split('@')[0].lower()}"
    )


@pytest.mark.parametrize(
    "headers",
    [
        "Auto-Submitted: no",
        "Auto-Submitted: No (a person wrote this)",
        "Precedence: first-class",
        "Return-Path: <pat@example.org>",
        "X-Loop: someone-else@example.org",
        "X-Auto-Response-Suppress: All\nSubject: CCMS is down",  # Outlook's own mail to lists
        "Subject: Automatic reply needed for case 4411",
    ],
)
def test_peoples_mail_is_not_automatic(headers):
    parsed = parse_message(mail(f"From: Pat Primary <pat@example.org>\n{headers}"))

    assert automatic_reason(parsed) == ""


def test_automatic_reason_of_an_unreadable_message_is_empty():
    assert automatic_reason(parse_message(b"")) == ""


@pytest.mark.parametrize(
    ("results", "verdict"),
    [
        ("mx.ccap.example; spf=pass; dmarc=fail (p=reject) header.from=example.org", Dmarc.FAIL),
        ("MX.CCAP.EXAMPLE; dmarc=FAIL header.from=example.org", Dmarc.FAIL),
        ("mx.ccap.example 1; dmarc = fail", Dmarc.FAIL),
        ("mx.ccap.example; dmarc=pass header.from=example.org", Dmarc.ALIGNED),
        ("mx.ccap.example; dmarc=pass (p=none) header.from=mail.example.org", Dmarc.ALIGNED),
        ("mx.ccap.example; dmarc=pass header.from=evil.example", Dmarc.NONE),  # unaligned
        ("mx.ccap.example; dmarc=pass", Dmarc.NONE),  # for which domain?
        ("mx.ccap.example; dmarc=none header.from=example.org", Dmarc.NONE),
        ("evil.example; dmarc=fail header.from=example.org", Dmarc.NONE),  # not our server
        ("evil.example; dmarc=pass header.from=example.org", Dmarc.NONE),
        ("; dmarc=fail", Dmarc.NONE),
        ("", Dmarc.NONE),
    ],
)
def test_dmarc_verdict_of_a_trusted_server(settings, results, verdict):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = ["mx.ccap.example"]
    parsed = parse_message(mail(f"From: pat@example.org\nAuthentication-Results: {results}"))

    assert dmarc_verdict(parsed) is verdict


def test_dmarc_is_never_read_without_a_trusted_server(settings):
    settings.MAIL_TRUSTED_AUTHSERV_IDS = []
    raw = "From: pat@example.org\nAuthentication-Results: x; dmarc=pass header.from=example.org"

    assert dmarc_verdict(parse_message(mail(raw))) is Dmarc.NONE
