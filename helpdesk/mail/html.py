"""HTML mail as text, through html2text. Outlook and Word put a form in a table, one row per
field; every cell is ended with a line break first, so a label and its answer land on lines of
their own (the form reader accepts an answer on the next line) instead of running together."""

import re

import html2text

_CELL_END = re.compile(r"<\s*/\s*t[dh]\s*>", re.IGNORECASE)
_HIDDEN = re.compile(
    r"<\s*(script|style|head|title)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL
)


def html_to_text(html: str) -> str:
    converter = html2text.HTML2Text()
    converter.body_width = 0  # never wrap: a wrapped answer would look like the next label
    converter.ignore_emphasis = True
    converter.ignore_images = True
    converter.ignore_tables = True
    converter.unicode_snob = True
    converter.single_line_break = False
    converter.protect_links = False
    converter.ignore_links = True
    html = _HIDDEN.sub(" ", html)
    html = _CELL_END.sub("<br>", html)
    try:
        text = converter.handle(html)
    except Exception:  # noqa: BLE001 - html2text on hostile markup: fall back to tag stripping
        text = re.sub(r"<[^>]+>", " ", html)
    return "\n".join(line.rstrip() for line in text.splitlines())
