"""Trimming quoted history from a reply, for display. The raw message keeps everything; this only
decides what a person sees on the ticket, so it errs on the side of keeping text."""

import re

# Lines where mail programs start the quoted original: Gmail/Apple "On ... wrote:", Outlook's
# "-----Original Message-----" or its "From: / Sent:" block under a rule, forward markers.
_QUOTE_HEADERS = [
    re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Original Message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*-{2,}\s*Forwarded message\s*-{2,}\s*$", re.IGNORECASE),
    re.compile(r"^\s*Begin forwarded message:\s*$", re.IGNORECASE),
    re.compile(r"^\s*_{10,}\s*$"),
    re.compile(r"^\s*From:\s.+$", re.IGNORECASE),
]
_OUTLOOK_BLOCK = re.compile(r"^\s*(Sent|Date|To|Subject):\s", re.IGNORECASE)
_WROTE_SPLIT = re.compile(r"^\s*On\b.{0,200}$", re.IGNORECASE)


def trim_quoted(text: str) -> str:
    lines = text.split("\n")
    cut = _first_quote_line(lines)
    kept = lines[:cut]
    # Trailing ">" lines left over (bottom-quoting without a header line).
    while kept and (kept[-1].lstrip().startswith(">") or not kept[-1].strip()):
        kept.pop()
    trimmed = "\n".join(kept).strip()
    return trimmed or text.strip()  # a reply that is all quote: show it rather than nothing


def _first_quote_line(lines: list[str]) -> int:
    # A trailing run of ">" lines needs no rule here: trim_quoted drops it from what is kept.
    for index, line in enumerate(lines):
        if index == 0:
            continue  # the very first line is what the person wrote, whatever it looks like
        for pattern in _QUOTE_HEADERS[:-1]:
            if pattern.match(line):
                return index
        # "On Mon, 23 Nov 2026 at 09:12, Pat Primary <pat@x.org>" + "wrote:" on the next line
        next_line = lines[index + 1] if index + 1 < len(lines) else ""
        if _WROTE_SPLIT.match(line) and next_line.strip().lower().endswith("wrote:"):
            return index
        # Outlook: "From: Someone" followed within two lines by "Sent:"/"Date:"/"To:"/"Subject:"
        if _QUOTE_HEADERS[-1].match(line):
            following = lines[index + 1 : index + 3]
            if any(_OUTLOOK_BLOCK.match(f) for f in following):
                return index
    return len(lines)
