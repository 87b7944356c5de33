"""Reading the Problem Report Form out of the text local experts really send: label variants,
bullets, bold, colons or none, blank lines, answers on the next line, forwarded copies, the
template's choices left as they were or marked, Word tables, and US dates."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from helpdesk.mail.form import read_form
from helpdesk.mail.html import html_to_text
from tests.helpdesk.mail.messages import FORM

CHICAGO = ZoneInfo("America/Chicago")
SENT = datetime(2026, 11, 23, 10, 0, tzinfo=CHICAGO)  # a Monday morning


def values(text: str, sent_at: datetime = SENT) -> dict:
    return read_form(text, sent_at=sent_at).values


def chicago(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=CHICAGO)


# --- The seed's form, filled in -----------------------------------------------------------------


def test_the_seed_form_filled_in_as_plain_text():
    reading = read_form(FORM, sent_at=SENT)

    assert reading.values == {
        "contact_name": "Pat Primary",
        "contact_phone": "217-555-0100",
        "contact_email": "pat@example.org",
        "secondary_name": "Alice Agency",
        "secondary_phone": "217-555-0101",
        "secondary_email": "alice@example.org",
        "occurred_at": chicago(2026, 11, 20, 9, 30),
        "can_duplicate": True,
        "who_affected": "some_coworkers",
        "security_group": "CCR&R Caseworker",
        "ccms_screen": "Case Sanctions",
        "system": "ccms",
        "description": 'The sanction on case 4411 cannot be removed: Save shows "error 500".\n'
        "We expected the sanction to clear.",
    }
    assert reading.labels_seen == 13
    assert reading.preamble == "Problem Report Form"


def test_free_text_is_no_form_and_becomes_the_description():
    reading = read_form("Hi, CCMS will not let me log in since this morning.\n\nPat")

    assert reading.labels_seen == 0
    assert reading.values == {
        "description": "Hi, CCMS will not let me log in since this morning.\n\nPat"
    }


# --- Labels ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("Local Expert Name: Pat Primary", "contact_name", "Pat Primary"),
        ("Contact name - Pat Primary", "contact_name", "Pat Primary"),
        ("Local expert contact phone: 815-555-0100", "contact_name", None),
        ("Local Expert Phone: 815-555-0100", "contact_phone", "815-555-0100"),
        ("Local Expert Email: Pat@Example.org", "contact_email", "Pat@Example.org"),
        ("E-mail: pat@example.org", "contact_email", "pat@example.org"),
        ("Email address: <pat@example.org>", "contact_email", "pat@example.org"),
        ("Secondary contact phone number: 815-555-0101", "secondary_phone", "815-555-0101"),
        ("Alternate contact e-mail: alex@example.org", "secondary_email", "alex@example.org"),
        ("Back up contact: Alex Alternate", "secondary_name", "Alex Alternate"),
        ("Date/Time of problem: 11/20/2026 9:30", "occurred_at", chicago(2026, 11, 20, 9, 30)),
        ("When did the problem occur? 11/20/2026", "occurred_at", chicago(2026, 11, 20)),
        ("Can you reproduce the problem? yes", "can_duplicate", True),
        ("Able to duplicate: N", "can_duplicate", False),
        ("Who is affected? Just me", "who_affected", "just_me"),
        ("Users affected: the whole office", "who_affected", "entire_agency"),
        ("Who is having the problem: everyone", "who_affected", "entire_agency"),
        ("CCMS Security Group: Site Caseworker", "security_group", "Site Caseworker"),
        ("Screen name: Provider Search", "ccms_screen", "Provider Search"),
        ("System affected: InfoView", "system", "infoview"),
        ("Which system? the IVR billing line", "system", "ivr"),
        ("System: Web3270", "system", "ccts"),
        ("Problem description: The page is blank.", "description", "The page is blank."),
        ("Details: The page is blank.", "description", "The page is blank."),
        ("Steps to reproduce: open, click Save", "steps_taken", "open, click Save"),
        ("Expected result: the case closes", "expected_result", "the case closes"),
    ],
)
def test_label_variants(line, field, expected):
    assert values(line).get(field) == expected


@pytest.mark.parametrize(
    "line",
    [
        "System: CCMS",
        "SYSTEM: ccms",
        "system:CCMS",
        "System - CCMS",
        "System – CCMS",
        "System | CCMS",
        "| System | CCMS |",
        "System = CCMS",
        "System\tCCMS",
        "System? CCMS",
        "• System: CCMS",
        "* System: CCMS",
        "- System: CCMS",
        "· System: CCMS",
        "▪ System: CCMS",
        "1) System: CCMS",
        "12. System: CCMS",
        "**System:** CCMS",
        "**System**: CCMS",
        "*System:* CCMS",
        "__System__: CCMS",
        "### System: CCMS",
        "   System:    CCMS   ",
        "> System: CCMS",
        ">> > System: CCMS",
    ],
)
def test_bullets_bold_colons_and_separators(line):
    assert values(line).get("system") == "ccms"


@pytest.mark.parametrize(
    "text",
    [
        "System\nCCMS",
        "System:\nCCMS",
        "System:\n\n\n\nCCMS",
        "**System**\n\nCCMS",
        "> System:\n>\n> CCMS",
    ],
)
def test_answers_on_the_next_line_after_blank_lines(text):
    assert values(text)["system"] == "ccms"


def test_extra_blank_lines_everywhere():
    text = "\n\n\n".join(line for line in FORM.splitlines() if line.strip())

    got = values(text)

    assert (got["system"], got["who_affected"], got["can_duplicate"]) == (
        "ccms",
        "some_coworkers",
        True,
    )
    assert got["secondary_email"] == "alice@example.org"


def test_a_forwarded_copy_with_quote_marks():
    quoted = "\n".join(f"> {line}" if line else ">" for line in FORM.splitlines())
    text = "Alex, see Pat's report below.\n\n" + quoted

    got = values(text)

    assert got["contact_name"] == "Pat Primary"
    assert got["who_affected"] == "some_coworkers"
    assert got["occurred_at"] == chicago(2026, 11, 20, 9, 30)
    assert got["description"].startswith("The sanction on case 4411 cannot be removed")


def test_a_twice_forwarded_copy():
    text = "\n".join(f">> {line}" for line in FORM.splitlines())

    assert values(text)["ccms_screen"] == "Case Sanctions"


def test_a_sentence_starting_with_a_label_word_is_not_a_label():
    text = (
        "Description: Case 44 will not close.\n"
        "System was slow all morning, then the page froze.\n"
        "Details are in the attached screenshot.\n"
        "Phone calls to the provider worked.\n\nThanks,\nPat"
    )

    got = values(text)

    assert "system" not in got
    assert got["description"] == (
        "Case 44 will not close.\n"
        "System was slow all morning, then the page froze.\n"
        "Details are in the attached screenshot.\n"
        "Phone calls to the provider worked."
    )


def test_the_sign_off_and_signature_end_the_description():
    text = "Description: The page is blank.\nIt was fine yesterday.\n\nRegards,\nPat\n815-555-0100"
    signed = "Description: The page is blank.\n-- \nPat Primary\nSystem: CCMS"

    assert values(text)["description"] == "The page is blank.\nIt was fine yesterday."
    assert values(signed)["description"] == "The page is blank."


def test_the_first_answer_wins_when_a_label_repeats():
    assert values("System: CCTS\nSystem: CCMS")["system"] == "ccts"


def test_phone_and_email_belong_to_the_contact_block_they_are_in():
    text = (
        "Local Expert Contact: Pat Primary\nPhone: 815-555-0100\nEmail: pat@example.org\n"
        "Secondary Contact: Alex Alternate\nPhone: 815-555-0142\nEmail: alex@example.org"
    )

    got = values(text)

    assert (got["contact_phone"], got["contact_email"]) == ("815-555-0100", "pat@example.org")
    assert (got["secondary_phone"], got["secondary_email"]) == (
        "815-555-0142",
        "alex@example.org",
    )


def test_unanswered_and_placeholder_answers_are_missing():
    text = "Security Group:\nCCMS Screen Name: n/a\nPhone Number: ____\nE-mail Address: none"

    assert values(text) == {}


def test_an_email_answer_without_an_address_is_missing():
    assert "contact_email" not in values("E-mail Address: same as above")


# --- The seed's long description label ------------------------------------------------------

LONG_LABEL = (
    "Provide a complete description of the problem encountered, including steps (actions) "
    "performed prior to experiencing the problem and the expected result (i.e. unable to "
    "remove sanction, incorrect co-pay, cannot close case, etc):"
)


def test_the_long_label_with_the_answer_on_the_same_line():
    assert values(f"{LONG_LABEL} The co-pay is $0.")["description"] == "The co-pay is $0."


def test_the_long_label_wrapped_by_a_mail_program():
    wrapped = (
        "Provide a complete description of the problem encountered, including steps\n"
        "(actions) performed prior to experiencing the problem and the expected result\n"
        "(i.e. unable to remove sanction, incorrect co-pay, cannot close case, etc):\n"
        "\n"
        "The co-pay is $0.\nWe expected $35.\n"
    )

    assert values(wrapped)["description"] == "The co-pay is $0.\nWe expected $35."


def test_the_long_label_wrapped_with_the_answer_after_its_colon():
    wrapped = (
        "> Provide a complete description of the problem encountered, including\n"
        "> steps (actions) performed prior to experiencing the problem and the\n"
        "> expected result (i.e. unable to remove sanction, incorrect co-pay, cannot\n"
        "> close case, etc): The co-pay is $0.\n"
    )

    assert values(wrapped)["description"] == "The co-pay is $0."


def test_a_line_that_only_starts_like_the_long_label_does_not_swallow_the_answer():
    text = "Provide a complete description of the problem\nThe co-pay is $0.\nWe expected $35."

    assert values(text)["description"] == "The co-pay is $0.\nWe expected $35."


def test_outlooks_plain_version_of_a_table_one_row_per_line():
    answer = "The co-pay shows $0 for every provider in the county. " * 6
    text = f"System:\tCCMS\n{LONG_LABEL}\t{answer}"

    assert values(text)["description"] == answer.strip()


# --- Choices --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Can you duplicate the problem? Yes or No", None),
        ("Can you duplicate the problem? Yes or No\n\n", None),
        ("Can you duplicate the problem? Yes or No\nYes", True),
        ("Can you duplicate the problem? Yes or No\n\n\nNo", False),
        ("Can you duplicate the problem? Yes or No: no", False),
        ("Can you duplicate the problem? Yes or No - YES", True),
        ("Can you duplicate the problem? Yes or No\tNo", False),
        ("Can you duplicate the problem? Yes", True),
        ("Can you duplicate the problem? No, it happened once.", False),
        ("Can you duplicate the problem? Y", True),
        ("Can you duplicate the problem? [x] Yes [ ] No", True),
        ("Can you duplicate the problem? [ ] Yes [X] No", False),
        ("Can you duplicate the problem? ☐ Yes ☒ No", False),
        ("Can you duplicate the problem? Not sure", None),
        ("Can you duplicate the problem? Nope", None),
    ],
)
def test_yes_or_no(text, expected):
    assert values(text).get("can_duplicate") == expected


WHO = (
    "Who is experiencing the problem? Just me, Some coworkers, My entire team, My entire CCR&R/Site"
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (WHO, None),
        (f"{WHO}\nSome coworkers", "some_coworkers"),
        (f"{WHO}\n\nMy entire CCR&R/Site", "entire_agency"),
        (f"{WHO} - My entire team", "entire_team"),
        (f"{WHO}: My entire team", "entire_team"),
        ("Who is experiencing the problem?\n[x] Some coworkers", "some_coworkers"),
        (
            "Who is experiencing the problem?\n[ ] Just me\n[x] Some coworkers\n"
            "[ ] My entire team\n[ ] My entire CCR&R/Site",
            "some_coworkers",
        ),
        (
            "Who is experiencing the problem?\n☐ Just me\n☐ Some coworkers\n"
            "☒ My entire team\n☐ My entire CCR&R/Site",
            "entire_team",
        ),
        ("Who is experiencing the problem? (x) Just me ( ) Some coworkers", "just_me"),
        ("Who is experiencing the problem? ✓ My entire CCR&R/Site", "entire_agency"),
        ("Who is experiencing the problem? Some co-workers", "some_coworkers"),
        ("Who is experiencing the problem? only me", "just_me"),
        ("Who is experiencing the problem? the entire Site", "entire_agency"),
        ("Who is experiencing the problem? nobody knows", None),
    ],
)
def test_who_is_experiencing_the_problem(text, expected):
    assert values(text).get("who_affected") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("System: CCMS", "ccms"),
        ("System: CCTS, CCMS, InfoView, IVR, Other", None),
        ("System: CCTS, CCMS, InfoView, IVR, Other\nInfoView", "infoview"),
        ("System:\n[ ] CCTS\n[x] CCMS\n[ ] InfoView\n[ ] IVR", "ccms"),
        ("System:\n☐ CCTS\n☐ CCMS\n☒ InfoView\n☐ IVR\n☐ Other", "infoview"),
        ("System: CCMS (the InfoView link is fine)", "ccms"),
        ("System: BlueZone", "ccts"),
        ("System: Child Care Management System", "ccms"),
        ("System: provider billing line (IVR)", "ivr"),
    ],
)
def test_the_system(text, expected):
    assert values(text).get("system") == expected


def test_another_system_is_named_in_system_other():
    got = values("System: Other - the AWVS portal")

    assert got["system"] == "other"
    assert got["system_other"] == "Other - the AWVS portal"


# --- Dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ("11/20/2026 9:30 AM", chicago(2026, 11, 20, 9, 30)),
        ("11/20/2026 9:30AM", chicago(2026, 11, 20, 9, 30)),
        ("11/20/26 2:15 pm", chicago(2026, 11, 20, 14, 15)),
        ("11-20-2026 14:15", chicago(2026, 11, 20, 14, 15)),
        ("11.20.2026 at 2pm", chicago(2026, 11, 20, 14, 0)),
        ("2026-11-20 14:15", chicago(2026, 11, 20, 14, 15)),
        ("November 20, 2026 at 2:15 PM", chicago(2026, 11, 20, 14, 15)),
        ("Nov. 20 2026, 2:15 p.m.", chicago(2026, 11, 20, 14, 15)),
        ("Friday, November 20, 2026 around 10:00 am", chicago(2026, 11, 20, 10, 0)),
        ("Friday 11/20/2026 approx. 10:00am CST", chicago(2026, 11, 20, 10, 0)),
        ("11/20/2026 11:00 AM EST", chicago(2026, 11, 20, 10, 0)),
        ("3/4/2026 8:00", chicago(2026, 3, 4, 8, 0)),  # US order: March 4
        ("11/20 9am", chicago(2026, 11, 20, 9, 0)),  # no year: this year
        ("this morning at 8:15", chicago(2026, 11, 23, 8, 15)),
        ("Yesterday around 3pm", chicago(2026, 11, 22, 15, 0)),
        ("11/20/2026", chicago(2026, 11, 20, 0, 0)),
    ],
)
def test_dates_in_us_formats(answer, expected):
    assert values(f"Date & Time the problem occurred: {answer}")["occurred_at"] == expected


def test_a_date_without_a_year_in_january_is_last_december():
    sent = datetime(2027, 1, 4, 9, 0, tzinfo=CHICAGO)

    got = values("Date and time the problem occurred: 12/30 4pm", sent_at=sent)

    assert got["occurred_at"] == chicago(2026, 12, 30, 16, 0)


@pytest.mark.parametrize(
    "answer",
    [
        "217-555-0100",
        "(217) 555-0100",
        "call me at 217.555.0100",
        "12/30/2026 4pm",  # after the message was sent
        "01/01/1999",
        "not sure, this morning sometime",
        "11/20/2026 9:30 +9999",  # an offset no clock has
        "99/99/9999",
    ],
)
def test_what_is_not_a_usable_date_is_missing(answer):
    assert "occurred_at" not in values(f"Date & Time the problem occurred: {answer}")


def test_a_phone_number_is_never_read_as_the_date():
    got = values("Phone Number: 217-555-0100\nDate & Time the problem occurred:\n")

    assert got == {"contact_phone": "217-555-0100"}


# --- HTML: Outlook and Word tables ----------------------------------------------------------


def _word_table(rows: list[tuple[str, str]]) -> str:
    cells = "".join(
        '<tr><td width="240" valign="top" style="width:2.5in;border:solid windowtext 1.0pt">'
        f'<p class="MsoNormal"><b>{label}<o:p></o:p></b></p></td>'
        '<td width="384" valign="top" style="width:4.0in;border:solid windowtext 1.0pt">'
        f'<p class="MsoNormal">{answer}<o:p></o:p></p></td></tr>'
        for label, answer in rows
    )
    return (
        '<html><head><style><!-- p.MsoNormal {margin:0in;font-family:"Calibri"} --></style>'
        '</head><body><div class="WordSection1"><p class="MsoNormal">Hello,<o:p></o:p></p>'
        '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
        f'<table class="MsoTableGrid" border="1" cellspacing="0" cellpadding="0">{cells}</table>'
        '<p class="MsoNormal">Thanks,<o:p></o:p></p></div></body></html>'
    )


def test_a_word_table_through_html_to_text():
    html = _word_table(
        [
            ("Local Expert Contact", "Pat Primary"),
            ("Phone Number:", "815-555-0100"),
            ("E-mail Address:", '<a href="mailto:pat@example.org">pat@example.org</a>'),
            ("Date &amp; Time the problem occurred:", "11/20/2026 2:15 PM"),
            ("Can you duplicate the problem? Yes or No", "No"),
            (WHO.replace("&", "&amp;"), "My entire CCR&amp;R/Site"),
            ("System:", "InfoView"),
            (LONG_LABEL, "The report is empty.<br>We expected last month&#8217;s payments."),
        ]
    )

    got = values(html_to_text(html))

    assert got == {
        "contact_name": "Pat Primary",
        "contact_phone": "815-555-0100",
        "contact_email": "pat@example.org",
        "occurred_at": chicago(2026, 11, 20, 14, 15),
        "can_duplicate": False,
        "who_affected": "entire_agency",
        "system": "infoview",
        "description": "The report is empty.\nWe expected last month’s payments.",
    }


def test_a_table_whose_cells_are_never_closed():
    html = "<table><tr><td>System:<td>CCMS<tr><td>Who is affected?<td>Just me</table>"

    got = values(html_to_text(html))

    assert (got["system"], got["who_affected"]) == ("ccms", "just_me")


def test_a_form_in_word_paragraphs_and_a_bulleted_list():
    html = (
        '<p class="MsoNormal"><b>System:</b> CCMS<o:p></o:p></p>'
        '<p class="MsoListParagraph"><![if !supportLists]>·<![endif]>Who is experiencing the '
        "problem? Some coworkers</p>"
        "<ul><li><b>Can you duplicate the problem?</b> Yes</li></ul>"
    )

    got = values(html_to_text(html))

    assert (got["system"], got["who_affected"], got["can_duplicate"]) == (
        "ccms",
        "some_coworkers",
        True,
    )


# --- Never raises ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "\n\n\n",
        ":" * 5000,
        "System:" * 2000,
        "> " * 10000,
        "Date & Time the problem occurred: " + "9" * 500,
        "Date & Time the problem occurred: 11/20/2026 25:99 +2400",
        "Who is experiencing the problem? " + "[x] " * 1000,
        "\x00\ufffd\ud800 System: CCMS",
        "Provide a complete description of the problem encountered\n" * 500,
    ],
)
def test_odd_text_never_makes_the_reader_raise(text):
    for sent_at in (SENT, None):
        values = read_form(text, sent_at=sent_at).values
        if text.startswith("Date & Time"):  # impossible dates are not taken
            assert "occurred_at" not in values
