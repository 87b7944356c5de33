"""Uploads are judged by what they contain, never by what they are called.

Only the document and image types the help desk needs are recognised; HTML, SVG, scripts and
executables are refused whatever their name, so an upload can never become a stored XSS. The
ticket attachments and the signed security forms both ask here (each accepting its own subset).
"""

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# The name of the stream every Outlook .msg storage holds ([MS-OXMSG] 2.4), as the compound
# file's directory spells it (UTF-16LE); a Word or Excel file has none of its own.
OUTLOOK_PROPERTIES = "__properties_version1.0".encode("utf-16-le")


@dataclass(frozen=True)
class Sniffed:
    content_type: str
    extension: str


def sniff(data: bytes) -> Sniffed | None:
    """The type of ``data`` if it is one we accept, else None."""
    head = data[:16]
    if head.startswith(b"%PDF-"):
        return Sniffed("application/pdf", "pdf")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return Sniffed("image/png", "png")
    if head.startswith(b"\xff\xd8\xff"):
        return Sniffed("image/jpeg", "jpg")
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return Sniffed("image/gif", "gif")
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return Sniffed("image/tiff", "tif")  # scanners' favourite
    if head.startswith(OLE2) and OUTLOOK_PROPERTIES in data:
        return Sniffed("application/vnd.ms-outlook", "msg")  # an e-mail saved from Outlook
    if head.startswith(OLE2):
        return Sniffed("application/x-ole-storage", "doc")  # Word/Excel 97-2003
    if head.startswith(b"PK\x03\x04"):
        return _office_open_xml(data)
    if head.startswith(b"\x78\x9f\x3e\x22"):
        return Sniffed("application/vnd.ms-tnef", "dat")  # Outlook's winmail.dat
    return _mail_message(data) or _plain_text(data)


_FIELD_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")  # RFC 5322 2.2: a field name, then a colon
_FOLDED_LINE = re.compile(rb"[ \t]")


def _mail_message(data: bytes) -> Sniffed | None:
    """A mail message (an .eml, a forwarded message kept from the mail intake): a header
    block of nothing but fields, with a From and a Date, Subject or Message-ID. Downloads are
    always served as attachments in a sandbox, so the HTML it may carry is never rendered."""
    head = re.split(rb"\r?\n\r?\n", data[:65536], maxsplit=1)[0]
    lines = head.splitlines()
    if b"\x00" in head or not lines or _FOLDED_LINE.match(lines[0]):
        return None
    if not all(_FIELD_LINE.match(line) or _FOLDED_LINE.match(line) for line in lines):
        return None
    names = {line.split(b":", 1)[0].strip().lower() for line in lines if _FIELD_LINE.match(line)}
    if b"from" in names and names & {b"date", b"subject", b"message-id"}:
        return Sniffed("message/rfc822", "eml")
    return None


def _office_open_xml(data: bytes) -> Sniffed | None:
    try:
        names = set(zipfile.ZipFile(BytesIO(data)).namelist())
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None  # an arbitrary zip could carry anything
    if any(n.startswith("word/") for n in names):
        return Sniffed(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"
        )
    if any(n.startswith("xl/") for n in names):
        return Sniffed("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
    return None


_MARKUP = re.compile(rb"<\s*(html|script|svg|iframe|object|body|meta|!doctype)", re.IGNORECASE)


def _plain_text(data: bytes) -> Sniffed | None:
    sample = data[:65536]
    if b"\x00" in sample or _MARKUP.search(sample):
        return None
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(sample) - 4:  # a cut multi-byte character at the end is fine
            return None
    return Sniffed("text/plain", "txt")


def safe_name(name: str, extension: str) -> str:
    """A display and download name: no path, no control or odd characters, a sane length, and
    the extension of what the content really is."""
    name = unicodedata.normalize("NFKC", name).replace("\\", "/").rsplit("/", 1)[-1]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    if stem.lower().endswith(f".{extension}"):
        stem = stem[: -len(extension) - 1]  # "photo.png.exe" is a png called "photo"
    stem = re.sub(r"[^\w\- ().]+", "_", stem, flags=re.UNICODE).strip(" ._") or "attachment"
    return f"{stem[:100]}.{extension}"
