"""The one place Markdown becomes HTML.

Two independent layers, so a bug in either alone does not make stored text executable:
markdown-it-py renders CommonMark with raw HTML switched off (it is escaped, never passed
through) and its ``validateLink`` refusing ``javascript:``, ``vbscript:``, ``file:`` and ``data:``
links (after decoding entities and ignoring case); nh3 (ammonia) then keeps only an allow-list
of tags and attributes, only http, https and mailto URLs, and marks every link
``rel="noopener noreferrer nofollow"``.
"""

import nh3
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset(
    {
        "a",
        "blockquote",
        "br",
        "code",
        "del",
        "em",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "img",
        "li",
        "ol",
        "p",
        "pre",
        "s",
        "strong",
        "table",
        "tbody",
        "td",
        "th",
        "thead",
        "tr",
        "ul",
    }
)
# No style, no class, no id, no event handlers: only what a link, an image and a list need.
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "noopener noreferrer nofollow"

_renderer = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])


def render_markdown(text: str) -> SafeString:
    """``text`` (Markdown written by staff) as sanitised HTML, safe to put in a page."""
    html = _renderer.render(text or "")
    cleaned = nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
