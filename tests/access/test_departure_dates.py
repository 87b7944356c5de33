"""Reading the departure date from an email: after a cue word, or the only date there is;
never a guess between two, never today by default."""

from datetime import date

import pytest

from access.departure_dates import departure_date_in

WEDNESDAY = date(2026, 12, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Alice (alice@example.org) left on Friday.", date(2026, 11, 27)),
        ("Her last day was 11/25/2026.", date(2026, 11, 25)),
        ("Effective November 25 she moved to billing.", date(2026, 11, 25)),
        ("Bob left yesterday.", date(2026, 12, 1)),
        ("Changed job function as of today.", WEDNESDAY),
        ("Sent 2026-11-30 by Pat: Alice is gone.", date(2026, 11, 30)),
        ("Left 11/25.", date(2026, 11, 25)),
        ("Bob retires on Dec 30.", date(2026, 12, 30)),  # notice ahead of time
    ],
)
def test_dates_people_write(text, expected):
    assert departure_date_in(text, today=WEDNESDAY) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Someone left.",  # no date
        "Training on 12/10 and the party on 12/11.",  # two dates, no cue: not guessed
        "Left on 4/1/2019.",  # years ago: something else
        "Last day 13/45/2026.",  # no such date
    ],
)
def test_what_is_not_a_departure_date(text):
    assert departure_date_in(text, today=WEDNESDAY) is None


def test_a_date_without_a_year_written_in_january_is_last_december():
    assert departure_date_in("Her last day was Dec 30.", today=date(2027, 1, 4)) == date(
        2026, 12, 30
    )
