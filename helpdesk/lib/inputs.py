"""The rules of what people type, defined once for every form: how long free text may be, what
a phone number is, and how far back (or ahead) a date may be. Forms only: the mail intake keeps
whatever a message holds (nothing lost), so the services do not refuse long text."""

from datetime import date, datetime, timedelta
from typing import Any

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

# Lengths of free text, in characters. Generous for real reports (a pasted screen of text is
# about 2,000), small enough that one message cannot fill a page with a single word.
SUMMARY_MAX = 200  # the Ticket.summary column
DESCRIPTION_MAX = 5000
MESSAGE_MAX = 5000
NOTE_MAX = 2000

# A "when did it happen" date: not in the future, not more than this far back.
PAST_WINDOW = timedelta(days=365)
# The clock of the person's computer may be a little ahead of the server's.
CLOCK_SKEW = timedelta(minutes=5)

DEFAULT_REGION = "US"


class LimitedTextField(forms.CharField):
    """Free text with a limit and a visible counter (static/js/counter.js reads
    ``data-max-length``). No ``maxlength`` attribute: the browser would cut a long paste short
    without a word, so the text stays whole and the counter and the error say what is too much."""

    default_error_messages = {
        "max_length": _("Keep this to %(limit_value)s characters or fewer (it has %(show_value)s).")
    }

    def __init__(self, max_length: int, *, rows: int = 3, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": rows}))
        super().__init__(max_length=max_length, **kwargs)

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        attrs.pop("maxlength", None)
        attrs["data-max-length"] = str(self.max_length)
        # The counter's words, translated here: the script only fills in the numbers.
        attrs["data-counter-text"] = _("%(count)s of %(max)s characters")
        attrs["data-counter-over"] = _("%(count)s of %(max)s characters: %(over)s too many")
        return attrs


def format_phone(value: str, region: str = DEFAULT_REGION) -> str:
    """The number in one readable form: ``(217) 555-0142`` for a US number (an extension kept
    as `` ext. 12``), the international form otherwise. Raises ``ValidationError``."""
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _("Enter a phone number with its area code, for example 217-555-0142."),
            code="invalid_phone",
        )
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if phonenumbers.region_code_for_number(number) == region
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


class PhoneField(forms.CharField):
    """A phone number, validated and formatted by ``phonenumbers`` (US by default)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 40)  # the phone columns
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}))
        super().__init__(*args, **kwargs)

    def clean(self, value: Any) -> str:
        text: str = super().clean(value)
        return format_phone(text) if text else text


def _shown(moment: date) -> str:
    return formats.date_format(moment, "N j, Y")


def check_in_past_window(value: datetime | date | None) -> None:
    """A date or time something happened: not in the future, not more than a year back. The
    error says the window, so the person knows what to type."""
    if value is None:
        return
    now = timezone.now()
    if isinstance(value, datetime):
        too_late = value > now + CLOCK_SKEW
        too_early = value < now - PAST_WINDOW
        today = timezone.localdate(now)
    else:
        today = timezone.localdate(now)
        too_late = value > today
        too_early = value < today - PAST_WINDOW
    if too_late or too_early:
        raise ValidationError(
            _("Enter a date between %(start)s and today, %(end)s."),
            code="out_of_window",
            params={"start": _shown(today - PAST_WINDOW), "end": _shown(today)},
        )


def check_in_window(value: date | None, *, back: timedelta, ahead: timedelta) -> None:
    """A day that may be a little in the future (a departure reported ahead of time)."""
    if value is None:
        return
    today = timezone.localdate()
    start, end = today - back, today + ahead
    if not start <= value <= end:
        raise ValidationError(
            _("Enter a date between %(start)s and %(end)s."),
            code="out_of_window",
            params={"start": _shown(start), "end": _shown(end)},
        )
