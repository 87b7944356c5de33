"""Reading the Problem Report Form out of an email's text.

Local experts fill the form in whatever their mail program makes of it: the seed's plain text,
an Outlook or Word table (see ``html.py``: one line per cell), a forwarded copy with ``>`` marks,
bullets, bold labels, colons or none, blank lines, and answers on the line after the label. The
reader walks the lines once: a line that starts with a known label opens that field, and lines
until the next label are its answer. It never raises; what it cannot read is simply missing.
"""

import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from dateutil import parser as dateparser
from dateutil import tz
from django.utils import timezone

# Fields the reader knows, each with the label variants seen in real forms. The order matters
# only for labels that start alike: longer variants are tried first.
LABELS: dict[str, list[str]] = {
    "contact_name": [
        "local expert contact name",
        "local expert contact",
        "local expert name",
        "local expert",
        "contact name",
        "primary contact",
    ],
    "contact_phone": ["local expert phone number", "local expert phone", "contact phone"],
    "contact_email": ["local expert email address", "local expert email", "contact email"],
    "secondary_phone": [
        "secondary contact phone number",
        "secondary contact phone",
        "secondary phone number",
        "secondary phone",
        "alternate contact phone",
    ],
    "secondary_email": [
        "secondary contact email address",
        "secondary contact email",
        "secondary email address",
        "secondary email",
        "alternate contact email",
    ],
    "secondary_name": [
        "secondary contact name",
        "secondary contact",
        "alternate contact",
        "backup contact",
        "back up contact",
    ],
    # Phone and email without a qualifier belong to the contact block they appear in.
    "phone": ["phone number", "telephone number", "telephone", "phone", "tel"],
    "email": ["email address", "email"],
    "occurred_at": [
        "date and time the problem occurred",
        "date and time problem occurred",
        "date and time of the problem",
        "date and time of problem",
        "date time the problem occurred",
        "when did the problem occur",
        "when did it happen",
        "date and time",
        "date of problem",
        "problem date",
        "occurred",
    ],
    "can_duplicate": [
        "can you duplicate the problem",
        "can you duplicate",
        "can the problem be duplicated",
        "can you reproduce the problem",
        "can you recreate the problem",
        "able to duplicate",
        "duplicate the problem",
        "reproducible",
    ],
    "who_affected": [
        "who is experiencing the problem",
        "who is experiencing this problem",
        "who is having the problem",
        "who is affected",
        "who is impacted",
        "users affected",
    ],
    "security_group": ["ccms security group", "security group"],
    "ccms_screen": ["ccms screen name", "ccms screen", "screen name"],
    "system": ["system affected", "affected system", "which system", "system name", "system"],
    "description": [
        "provide a complete description of the problem encountered",
        "complete description of the problem",
        "description of the problem",
        "problem description",
        "description",
        "details",
    ],
    "steps_taken": ["steps taken", "steps performed", "steps to reproduce", "steps"],
    "expected_result": ["expected result", "expected outcome", "expected behavior"],
}
MULTILINE = {"description", "steps_taken", "expected_result"}
# Choice answers may sit after the template's list of options, on the same line or the next.
CHOICES = {"can_duplicate", "who_affected", "system"}
# Labels whose template text runs on after the words we match, up to a colon (the seed's
# description label is a whole sentence ending "...cannot close case, etc):").
RUNS_TO_COLON = {"description"}

# Bullets, quote marks, table bars, heading marks and list numbers ("1)", "12.") before a label.
_BULLET = r"(?:[\s>*_\u2022\u00b7\u25aa\u25cf\u25e6\u2023\u2043\u2219\-|#]|\d{1,2}[.)](?=\s))*"
_SEPARATOR = r"[\s:?|=\-\u2013\u2014.)*]*"


def _variant_pattern(variant: str) -> str:
    words = []
    for word in variant.split():
        if word == "and":
            words.append(r"(?:and|&|/|\+)?")
        elif word == "email":
            words.append(r"e[\s\-]?mail")
        else:
            words.append(re.escape(word))
    return r"[\W_]*".join(words)


def _label_regex(field_name: str, variants: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(_variant_pattern(v) for v in sorted(variants, key=len, reverse=True))
    # A label is followed by a separator (colon, question mark, table bar, dash) or ends the line:
    # "System was slow" is a sentence, "System: CCMS" and "System" alone are labels. Bold marks
    # may close in between ("**System**:"). A label that runs to a colon ends at that colon.
    separator = r"[*_]*(?:\s*$|\s*[:?|=\t\u2013\u2014]|\s+-\s)"
    if field_name in RUNS_TO_COLON:
        separator = rf"(?:[^:\n]{{0,250}}:|{separator})"
    return re.compile(
        rf"^{_BULLET}(?:{alternatives})(?![^\W_]){separator}{_SEPARATOR}(?P<value>.*)$",
        re.IGNORECASE,
    )


_LABEL_REGEXES = [(name, _label_regex(name, variants)) for name, variants in LABELS.items()]
# The seed's description label is a whole sentence; a mail program that wraps plain text at 72
# or 78 columns (Gmail, Outlook) breaks it over two or three lines, the last ending in ":".
_WRAPPED_LABEL = re.compile(
    rf"^{_BULLET}provide\s+a\s+complete\s+description\b[^:\n]{{0,250}}$", re.IGNORECASE
)
_TEMPLATE_LABEL = (
    "provide a complete description of the problem encountered, including steps (actions) "
    "performed prior to experiencing the problem and the expected result (i.e. unable to "
    "remove sanction, incorrect co-pay, cannot close case, etc):"
)


def _label_goes_on(line: str) -> tuple[bool, str | None]:
    """Whether a line carries on the wrapped template label, and, when it ends it (its colon),
    the answer written after it on the same line."""
    head, colon, rest = line.partition(":")
    words = " ".join(head.lower().split())
    if not words or words not in _TEMPLATE_LABEL:
        return False, None
    return True, (rest.strip() if colon else None)


_FORWARD_MARK = re.compile(r"^\s*(?:>\s*)+")
_SIGNATURE = re.compile(r"^(--|__+)\s*$")
_CLOSING = re.compile(
    r"^\s*(thanks|thank you|many thanks|regards|best regards|kind regards|sincerely|best)"
    r"[\s,.!]*$",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+")


@dataclass
class FormReading:
    """What the reader found: typed values per Ticket field, and how many labels it saw (none
    means the message is free text, not the form)."""

    values: dict[str, object] = field(default_factory=dict)
    labels_seen: int = 0
    preamble: str = ""


def read_form(text: str, *, sent_at: datetime | None = None) -> FormReading:
    raw, labels_seen, preamble = _read_fields(text)
    reading = FormReading(labels_seen=labels_seen, preamble=preamble)
    for name, value in raw.items():
        try:
            typed = _typed(name, value, sent_at)
        except Exception:  # noqa: BLE001 - an answer that cannot be read is a missing one
            typed = None
        if typed not in (None, ""):
            reading.values[name] = typed
    named = str(raw.get("system") or "").strip()
    if reading.values.get("system") == "other" and named.lower() not in ("", "other"):
        reading.values["system_other"] = named[:100]  # "System: IPACS" names it; "Other" does not
    if "description" not in reading.values and reading.preamble:
        reading.values["description"] = reading.preamble
    return reading


def _read_fields(text: str) -> tuple[dict[str, str], int, str]:
    """The answers found by field name, how many labels were seen, and the text before the
    first label."""
    found: dict[str, str] = {}
    labels = 0
    preamble: list[str] = []
    current: str | None = None
    collected: list[str] = []
    section = "contact"
    label_goes_on = False  # in a wrapped label ("...including steps\n(actions)...etc):")

    def finish() -> None:
        if current is None:
            return
        lines = _trim_blank(collected)
        if not lines:
            return
        if current in MULTILINE:
            value = "\n".join(_until_closing(lines))
        elif current in CHOICES:
            value = "\n".join(line.strip() for line in lines if line.strip())
        else:
            value = lines[0].strip()
        if value and not found.get(current):
            found[current] = value

    for line in text.replace("\r\n", "\n").split("\n"):
        clean = _FORWARD_MARK.sub("", line).rstrip()
        if label_goes_on:
            label_goes_on, answer = _label_goes_on(clean)
            if label_goes_on:
                if answer is not None:  # the label's last line: what follows is the answer
                    label_goes_on = False
                    collected = [answer] if answer else []
                continue
        if _SIGNATURE.match(clean.strip()) and current in MULTILINE:
            finish()
            current, collected = None, []
            continue
        match = _match_label(clean)
        if match is None and _WRAPPED_LABEL.match(clean):
            match = ("description", "")
            label_goes_on = True
        if match is None:
            if current is None:
                preamble.append(clean)
            elif current in MULTILINE | CHOICES or not any(s.strip() for s in collected):
                collected.append(clean)
            continue
        finish()
        name, value = match
        labels += 1
        if name == "secondary_name":
            section = "secondary"
        elif name in ("contact_name", "occurred_at", "description"):
            section = "contact" if name == "contact_name" else section
        if name in ("phone", "email"):
            name = f"{section}_{name}"
            if section == "contact" and found.get(name):
                name = name.replace("contact", "secondary")
        current, collected = name, [value] if value.strip() else []
    finish()
    return found, labels, "\n".join(_trim_blank(preamble))


def _match_label(line: str) -> tuple[str, str] | None:
    """The label a line starts with and the answer after it. Only the line's start is searched
    (a label is never far in), but the answer runs to the line's end: Outlook's plain version
    of a table puts the seed's long description label and the whole answer on one line."""
    if not line.strip():
        return None
    head, rest = line[:_LABEL_SPAN], line[_LABEL_SPAN:]
    for name, regex in _LABEL_REGEXES:
        found = regex.match(head)
        if found:
            return name, (found.group("value") + rest).strip()
    return None


_LABEL_SPAN = 400


def _until_closing(lines: list[str]) -> list[str]:
    """A description ends where the sign-off ("Thanks,", "Regards,") begins."""
    for index, line in enumerate(lines):
        if _CLOSING.match(line):
            return _trim_blank(lines[:index])
    return lines


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


# --- Values -------------------------------------------------------------------------------------


def _typed(name: str, value: str, sent_at: datetime | None) -> object:
    value = str(value).strip().strip("_").strip()
    if not value or value.lower() in {"n/a", "na", "none", "-", "tbd", "unknown"}:
        return None
    readers: dict[str, Callable[[str], object]] = {
        "contact_email": _email,
        "secondary_email": _email,
        "can_duplicate": _yes_no,
        "who_affected": _who,
        "system": _system,
        "occurred_at": lambda v: _when(v, sent_at),
        "contact_phone": lambda v: v[:40],
        "secondary_phone": lambda v: v[:40],
        "contact_name": lambda v: v[:150],
        "secondary_name": lambda v: v[:150],
        "security_group": lambda v: v[:100],
        "ccms_screen": lambda v: v[:150],
    }
    reader = readers.get(name)
    return reader(value) if reader is not None else value


def _email(value: str) -> str | None:
    found = _EMAIL.search(value)
    return found.group(0)[:254] if found else None


_MARKED = r"(?:\[\s*[xX✓✔]\s*\]|\(\s*[xX✓✔]\s*\)|[☒☑✓✔]|\bx\b)\s*"


def _mentioned(text: str, options: dict[str, list[str]]) -> list[str]:
    """The options named in ``text`` (lowercase), in the order they appear."""
    hits = []
    for key, words in options.items():
        positions = [p for w in words if (p := _find_word(text, w)) >= 0]
        if positions:
            hits.append((min(positions), key))
    return [key for _, key in sorted(hits)]


def _marked(text: str, options: dict[str, list[str]]) -> str | None:
    for key, words in options.items():
        for word in words:
            if re.search(_MARKED + re.escape(word), text):
                return key
    return None


def _choose(value: str, options: dict[str, list[str]]) -> str | None:
    """One option out of a template list: the only one mentioned, or the one marked (``[x]``,
    ``☒``, ``X``) when the whole list is there, or what follows the list."""
    lowered = value.lower()
    keys = _mentioned(lowered, options)
    if len(keys) == 1:
        return keys[0]
    marked = _marked(lowered, options)
    if marked:
        return marked
    if len(keys) > 1:
        # "Yes or No: No" / the whole list then the answer: read what comes after the list.
        tail = re.split(r"[:\-\u2013=\n\t]\s*", lowered.strip())[-1]
        tail_keys = _mentioned(tail, options)
        if len(tail_keys) == 1 and tail != lowered:
            return tail_keys[0]
    return None


def _find_word(text: str, word: str) -> int:
    found = re.search(rf"(?<![\w&]){re.escape(word)}(?![\w&])", text)
    return found.start() if found else -1


def _yes_no(value: str) -> bool | None:
    choice = _choose(value, {"yes": ["yes", "y", "yep", "true"], "no": ["no", "n", "false"]})
    return None if choice is None else choice == "yes"


WHO_OPTIONS = {
    "just_me": ["just me", "only me", "me only", "myself", "just myself", "me"],
    "some_coworkers": ["some coworkers", "some co-workers", "some co workers", "a few coworkers"],
    "entire_team": ["my entire team", "entire team", "whole team", "my team"],
    "entire_agency": [
        "my entire ccr&r/site",
        "entire ccr&r/site",
        "entire ccr&r",
        "entire site",
        "entire agency",
        "whole agency",
        "whole office",
        "entire office",
        "everyone",
    ],
}


def _who(value: str) -> str | None:
    return _choose(value, WHO_OPTIONS)


SYSTEM_WORDS = {
    "ccts": ["ccts", "child care tracking system", "web3270", "bluezone", "racf"],
    "ccms": ["ccms", "child care management system"],
    "infoview": ["infoview", "info view"],
    "ivr": ["ivr", "billing line"],
}


SYSTEM_OPTIONS = {**SYSTEM_WORDS, "other": ["other"]}


def _system(value: str) -> str | None:
    """The system named; "other" when none is. The template's list of systems (three or more
    named) is an answer only where one is marked or follows the list; left as it is, the
    field is missing."""
    lowered = value.lower()
    keys = _mentioned(lowered, SYSTEM_OPTIONS)
    if len(keys) >= 3:
        return _choose(value, SYSTEM_OPTIONS)
    return _marked(lowered, SYSTEM_OPTIONS) or (keys[0] if keys else "other")


# US time zone abbreviations people write after a time ("10:00am CST"); dateutil knows none.
_CENTRAL = tz.gettz("America/Chicago")
_TZINFOS = {
    "CT": _CENTRAL,
    "CST": -6 * 3600,
    "CDT": -5 * 3600,
    "ET": tz.gettz("America/New_York"),
    "EST": -5 * 3600,
    "EDT": -4 * 3600,
    "MST": -7 * 3600,
    "MDT": -6 * 3600,
    "PST": -8 * 3600,
    "PDT": -7 * 3600,
}


def _when(value: str, sent_at: datetime | None) -> datetime | None:
    """A date and time as US mail writes it ("11/20/2026 9:30 AM", "Nov 20 at 2pm",
    "yesterday around 3pm"), in the help desk's time zone when no zone is given. Without a
    year, the most recent such day. Nothing in the future, nothing before 2000 (a phone
    number read as a date is one or the other)."""
    if not re.search(r"\d", value):
        return None
    try:
        base = timezone.localtime(sent_at) if sent_at else timezone.localtime()
        day = base - timedelta(days=1) if re.search(r"\byesterday\b", value, re.I) else base
        default = day.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
        latest = base + timedelta(days=1)
        when = _parse_when(value[:200], default)
        if when is not None and when > latest:  # "11/20" read in January: last year's
            earlier = _parse_when(value[:200], default.replace(year=default.year - 1, day=1))
            if earlier is not None and earlier.year != when.year:
                when = earlier
        if when is None or when.year < 2000 or when > latest:
            return None
        when.astimezone(UTC)  # an offset no database can store raises here
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None
    return when


def _parse_when(value: str, default: datetime) -> datetime | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # dateutil warns of time zone names it cannot read
            when = dateparser.parse(value, default=default, fuzzy=True, tzinfos=_TZINFOS)
    except (ValueError, OverflowError, TypeError, ArithmeticError):
        return None
    if when.tzinfo is None:
        when = timezone.make_aware(when)
    return when
