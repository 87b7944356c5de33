"""The one place Markdown becomes HTML.

Two independent layers, so a bug in either alone does not make stored text executable:
markdown-it-py renders CommonMark with raw HTML switched off (it is escaped, never passed
through) and its ``validateLink`` refusing ``javascript:``, ``vbscript:``, ``file:`` and ``data:``
links (after decoding entities and ignoring case); nh3 (ammonia) then keeps only an allow-list
of tags and attributes, only http, https and mailto URLs, and marks every link
``rel="noopener noreferrer nofollow"``. Images load only from this site: an ``<img>`` whose
source is another host (``https://``, ``//host``, ``data:``...) keeps its alt text and loses the
source, so a procedure can neither track who reads it nor show a picture nobody here vetted.
"""

from urllib.parse import urlsplit

import nh3
from django.conf import settings
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


def is_same_site_url(url: str) -> bool:
    """A URL the browser resolves to this site: a path (``/static/x.png``, ``x.png``), or an
    absolute URL on ``SITE_URL``'s own scheme and host. Backslashes and control characters are
    refused outright, since browsers read ``/\\host`` and ``/<tab>/host`` as ``//host``, and so
    is anything starting ``//`` (Python reads ``///host/x`` as a path; browsers as a host)."""
    if url.startswith("//") or any(ch == "\\" or ord(ch) <= 0x20 or ord(ch) == 0x7F for ch in url):
        return False
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True
    site = urlsplit(settings.SITE_URL)
    return (parts.scheme.lower(), parts.netloc.lower()) == (site.scheme, site.netloc.lower())


def _only_same_site_images(tag: str, attribute: str, value: str) -> str | None:
    # nh3 hands over the value with entities already decoded, so "&#x2F;/host" is seen as "//host".
    if tag == "img" and attribute == "src" and not is_same_site_url(value):
        return None
    return value


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
        attribute_filter=_only_same_site_images,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above
