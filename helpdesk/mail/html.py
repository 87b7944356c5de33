"""HTML mail as text, through html2text. Outlook and Word put a form in a table, one row per
field; every cell is started and ended with a line break first, so a label and its answer land
on lines of their own (the form reader accepts an answer on the next line) instead of running
together, even where the markup leaves cells unclosed.

Before html2text sees it, the markup is made safe to convert in linear time: comments, scripts
and styles come out; a ``<`` that never closes is escaped (Python's HTML parser rescans the
rest of the document for every one, minutes for a few hundred kilobytes of ``<td <td``); and
lists nested deeper than anyone writes are flattened (html2text indents each level, so its
output grows with the square of the depth)."""

import re

import html2text

_CELL_EDGE = re.compile(r"<\s*/?\s*t[dh]\b[^<>]{0,2000}>", re.IGNORECASE)
# Elements whose content is never text: a bounded opening tag, then a search for its end (an
# unclosed comment, script or style runs to the end, as in a browser).
_HIDDEN_OPEN = re.compile(r"<!--|<\s*(script|style|head|title)\b[^<>]{0,2000}>", re.IGNORECASE)
_UNCLOSED_LT = re.compile(r"<(?=[^<>]*(?:<|$))")
_NESTING_TAG = re.compile(r"<\s*(/?)\s*(?:ol|ul|dl|dir|menu|blockquote)\b[^<>]{0,2000}>", re.I)
_MAX_NESTING = 8
# Past this much markup the rest is left to the raw message (html2text reads about a megabyte
# in a few seconds; a mail's HTML text is rarely a tenth of that).
MAX_HTML_CHARS = 1_000_000
_CUT_NOTE = "\n\n[The rest of this HTML message is too long to show; the raw message has it.]"


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
    cut = len(html) > MAX_HTML_CHARS
    html = _cap_nesting(_UNCLOSED_LT.sub("&lt;", _strip_hidden(html[:MAX_HTML_CHARS])))
    html = _CELL_EDGE.sub(lambda cell: cell.group(0) + "<br>", html)
    try:
        text = converter.handle(html)
    except Exception:  # noqa: BLE001 - html2text on hostile markup: fall back to tag stripping
        text = re.sub(r"<[^<>]*>", " ", html)
    return "\n".join(line.rstrip() for line in text.splitlines()) + (_CUT_NOTE if cut else "")


def _strip_hidden(html: str) -> str:
    kept, position = [], 0
    while found := _HIDDEN_OPEN.search(html, position):
        kept.append(html[position : found.start()])
        tag = (found.group(1) or "").lower()
        if tag:
            end_tag = re.compile(rf"<\s*/\s*{tag}\s*>", re.IGNORECASE)
            end = end_tag.search(html, found.end())
            end_at = end.end() if end is not None else -1
        else:
            end_at = html.find("-->", found.end())
            end_at = end_at + 3 if end_at >= 0 else -1
        if end_at < 0 and tag not in ("head", "title"):
            return "".join(kept)  # unclosed: runs to the end, as in a browser
        kept.append(" ")
        position = end_at if end_at >= 0 else found.end()  # an unclosed head: its tag only
    kept.append(html[position:])
    return "".join(kept)


def _cap_nesting(html: str) -> str:
    opened: list[bool] = []  # for each list open: was its tag kept?
    depth = 0  # how many kept

    def visit(tag: re.Match[str]) -> str:
        nonlocal depth
        whole: str = tag.group(0)
        if not tag.group(1):
            keep = depth < _MAX_NESTING
            opened.append(keep)
            depth += keep
            return whole if keep else " "
        if not opened:
            return whole
        kept = opened.pop()
        depth -= kept
        return whole if kept else " "

    return _NESTING_TAG.sub(visit, html)
