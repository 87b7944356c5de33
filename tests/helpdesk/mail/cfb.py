"""Outlook .msg files written for the test suite, not copied from anywhere: a small writer of
Compound File Binary files ([MS-CFB], version 3: 512-byte sectors, 64-byte mini sectors), and
on it the few storages and streams of an Outlook message ([MS-OXMSG]) that a reader needs.

A compound file is a file system in a file. Sector 0 follows a 512-byte header; the FAT says,
for every sector, which sector comes next in its chain; the directory (128-byte entries, a
red-black tree of names under each storage) names every storage and stream and where its chain
starts. A stream shorter than the cutoff (4096 bytes) lives instead in the mini stream: 64-byte
mini sectors, chained by the mini FAT, all kept in one ordinary chain that the root entry
starts. Readers (olefile, so extract-msg) take the cutoff from the header but the standard fixes
it at 4096, so short streams must really be in the mini stream, as here."""

import struct
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
FREESECT, ENDOFCHAIN, FATSECT, NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
STORAGE, STREAM, ROOT = 1, 2, 5
BLACK = 1
HEADER_DIFAT = 109  # FAT sector numbers the header holds; enough for a 6.8 MB file

# A storage is a dict of names to storages (dict) and streams (bytes).
Tree = dict[str, "Tree | bytes"]


@dataclass
class _Entry:
    name: str
    kind: int
    data: bytes = b""
    children: list[int] = field(default_factory=list)
    left: int = NOSTREAM
    right: int = NOSTREAM
    child: int = NOSTREAM
    start: int = ENDOFCHAIN
    size: int = 0


def compound_file(tree: Tree) -> bytes:
    """The bytes of a compound file whose root storage holds ``tree``."""
    entries = [_Entry("Root Entry", ROOT)]
    _add_children(entries, 0, tree)

    # Short streams go into the mini stream, one chain of mini sectors each.
    mini, mini_fat = bytearray(), []
    for entry in entries:
        if entry.kind == STREAM and 0 < len(entry.data) < MINI_CUTOFF:
            entry.start, entry.size = len(mini) // MINI_SECTOR, len(entry.data)
            count = -(-len(entry.data) // MINI_SECTOR)
            mini_fat += [*range(entry.start + 1, entry.start + count), ENDOFCHAIN]
            mini += _padded(entry.data, MINI_SECTOR)

    # Every other chain in ordinary sectors: the directory, the mini FAT, the mini stream (the
    # root entry's own data), then the long streams. The FAT sectors come first, at sector 0.
    directory = b"".join(_pack(entry) for entry in entries)
    directory = _padded(directory, SECTOR, fill=_pack(_Entry("", 0, start=0)))
    mini_fat_bytes = b"".join(struct.pack("<I", n) for n in mini_fat)
    chains: list[tuple[_Entry | None, bytes]] = [(None, directory), (None, mini_fat_bytes)]
    chains.append((entries[0], bytes(mini)))
    chains += [(e, e.data) for e in entries if e.kind == STREAM and len(e.data) >= MINI_CUTOFF]
    used = sum(-(-len(data) // SECTOR) for _, data in chains)
    fat_sectors = 1
    while fat_sectors * SECTOR // 4 < used + fat_sectors:  # the FAT maps itself too
        fat_sectors += 1
    assert fat_sectors <= HEADER_DIFAT, "the test writer keeps to header-only DIFAT"

    fat = [FATSECT] * fat_sectors
    starts = []
    body = bytearray()
    for owner, data in chains:
        count = -(-len(data) // SECTOR)
        start = len(fat) if count else ENDOFCHAIN
        fat += [*range(start + 1, start + count), ENDOFCHAIN] if count else []
        starts.append(start)
        if owner is not None:
            owner.start = start
            owner.size = len(data)
        body += _padded(data, SECTOR)
    fat += [FREESECT] * (fat_sectors * SECTOR // 4 - len(fat))
    # The directory now knows where each chain starts: write it again, same size.
    directory = b"".join(_pack(entry) for entry in entries)
    directory = _padded(directory, SECTOR, fill=_pack(_Entry("", 0, start=0)))
    body[: len(directory)] = directory

    difat = [*range(fat_sectors), *[FREESECT] * (HEADER_DIFAT - fat_sectors)]
    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        MAGIC,
        b"\x00" * 16,  # CLSID: none
        0x003E,  # minor version
        0x0003,  # major version 3: 512-byte sectors
        0xFFFE,  # byte order: little-endian
        9,  # sector shift: 2**9 = 512
        6,  # mini sector shift: 2**6 = 64
        b"\x00" * 6,
        0,  # directory sectors: always 0 in version 3
        fat_sectors,
        starts[0],  # the directory
        0,  # transaction signature
        MINI_CUTOFF,
        starts[1],  # the mini FAT (ENDOFCHAIN when empty)
        -(-len(mini_fat_bytes) // SECTOR),
        ENDOFCHAIN,  # no DIFAT sectors: the header's 109 entries are enough
        0,
    ) + struct.pack(f"<{HEADER_DIFAT}I", *difat)
    fat_bytes = struct.pack(f"<{len(fat)}I", *fat)
    return header + fat_bytes + bytes(body)


def _add_children(entries: list[_Entry], parent: int, tree: Tree) -> None:
    ids = []
    for name, value in tree.items():
        assert len(name) <= 31, "a directory name holds at most 31 UTF-16 characters"
        ids.append(len(entries))
        if isinstance(value, dict):
            entries.append(_Entry(name, STORAGE))
            _add_children(entries, ids[-1], value)
        else:
            entries.append(_Entry(name, STREAM, data=value))
    # Siblings form a binary search tree ordered by name length, then by the upper-cased
    # names ([MS-CFB] 2.6.4). Built balanced and all black: the standard lets a writer colour
    # every node black, and a balanced tree keeps each path short.
    ordered = sorted(ids, key=lambda i: (len(entries[i].name), entries[i].name.upper()))
    entries[parent].child = _balanced(entries, ordered)


def _balanced(entries: list[_Entry], ordered: list[int]) -> int:
    if not ordered:
        return NOSTREAM
    middle = len(ordered) // 2
    node = ordered[middle]
    entries[node].left = _balanced(entries, ordered[:middle])
    entries[node].right = _balanced(entries, ordered[middle + 1 :])
    return node


def _pack(entry: _Entry) -> bytes:
    name = (entry.name + "\x00").encode("utf-16-le") if entry.name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        name,
        len(name),
        entry.kind,
        BLACK if entry.kind else 0,
        entry.left,
        entry.right,
        entry.child,
        b"\x00" * 16,  # CLSID
        0,  # state bits
        0,  # created
        0,  # modified
        entry.start if entry.kind in (STREAM, ROOT) else 0,
        entry.size,
    )


def _padded(data: bytes, size: int, fill: bytes = b"\x00") -> bytes:
    missing = -len(data) % size
    return data + (fill * (missing // len(fill) + 1))[:missing]


# --- Outlook messages ([MS-OXMSG]) ----------------------------------------------------------------

PT_LONG, PT_SYSTIME, PT_STRING, PT_BINARY, PT_OBJECT = 0x0003, 0x0040, 0x001F, 0x0102, 0x000D
READABLE_WRITABLE = 0x6
ATTACH_BY_VALUE, ATTACH_EMBEDDED_MSG = 1, 5


def _utf16(text: str) -> bytes:
    return text.encode("utf-16-le")  # string streams hold no terminator


def _stream_name(prop_id: int, prop_type: int) -> str:
    return f"__substg1.0_{prop_id:04X}{prop_type:04X}"


def _properties(header: bytes, fixed: dict[tuple[int, int], bytes], streams: Tree) -> bytes:
    """A ``__properties_version1.0`` stream: its header, then 16 bytes per property: the tag,
    the flags, and the value (fixed-size types) or the length of the value's stream (strings
    count their terminator)."""
    out = [header]
    for (prop_id, prop_type), value in sorted(fixed.items()):
        out.append(struct.pack("<II", prop_id << 16 | prop_type, READABLE_WRITABLE))
        out.append(value.ljust(8, b"\x00"))
    for name, data in streams.items():
        if not name.startswith("__substg1.0_"):
            continue
        tag = int(name[12:], 16)
        prop_type = tag & 0xFFFF
        # An embedded message (a storage) has no length here.
        size = 0xFFFFFFFF if isinstance(data, dict) else len(data) + 2 * (prop_type == PT_STRING)
        out.append(struct.pack("<IIII", tag, READABLE_WRITABLE, size, 0))
    return b"".join(out)


def _filetime(moment: datetime) -> bytes:
    ticks = int((moment - datetime(1601, 1, 1, tzinfo=UTC)).total_seconds() * 10_000_000)
    return struct.pack("<Q", ticks)


def message_storage(
    *,
    subject: str,
    body: str | None = None,
    html: bytes | None = None,
    sender_name: str = "Pat Primary",
    sender: str = "pat@example.org",
    sent: datetime | None = None,
    files: Sequence[tuple[str, bytes]] = (),
    messages: Sequence[tuple[str, Tree]] = (),
    embedded: bool = False,
) -> Tree:
    """The storages and streams of one Outlook message (``embedded``: one inside another, as
    an attachment). ``files`` are (long file name, data); ``messages`` are (display name,
    ``message_storage(..., embedded=True)``)."""
    tree: Tree = {
        _stream_name(0x001A, PT_STRING): _utf16("IPM.Note"),  # the message class
        _stream_name(0x0037, PT_STRING): _utf16(subject),
        _stream_name(0x0C1A, PT_STRING): _utf16(sender_name),
        _stream_name(0x0C1F, PT_STRING): _utf16(sender),
    }
    if body is not None:
        tree[_stream_name(0x1000, PT_STRING)] = _utf16(body)
    if html is not None:
        tree[_stream_name(0x1013, PT_BINARY)] = html
    fixed = {(0x0E07, PT_LONG): struct.pack("<I", 0x1)}  # message flags: read, sent
    if sent is not None:
        fixed[(0x0039, PT_SYSTIME)] = _filetime(sent)  # client submit time
    attachments: list[tuple[int, Tree]] = [
        (
            ATTACH_BY_VALUE,
            {
                _stream_name(0x3707, PT_STRING): _utf16(name),  # long file name
                _stream_name(0x3701, PT_BINARY): data,
            },
        )
        for name, data in files
    ]
    attachments += [
        (
            ATTACH_EMBEDDED_MSG,
            {
                _stream_name(0x3001, PT_STRING): _utf16(name),  # display name
                _stream_name(0x3701, PT_OBJECT): inner,
            },
        )
        for name, inner in messages
    ]
    for number, (method, streams) in enumerate(attachments):
        streams["__properties_version1.0"] = _properties(
            b"\x00" * 8,
            {
                (0x3705, PT_LONG): struct.pack("<I", method),
                (0x0E21, PT_LONG): struct.pack("<I", number),  # attachment number
            },
            streams,
        )
        tree[f"__attach_version1.0_#{number:08X}"] = streams
    # Named properties: a storage every message has; these tests use none of its entries.
    if not embedded:
        tree["__nameid_version1.0"] = {
            _stream_name(0x0002, PT_BINARY): b"",
            _stream_name(0x0003, PT_BINARY): b"",
            _stream_name(0x0004, PT_BINARY): b"",
        }
    # The header: 8 reserved bytes, next recipient and attachment ids, their counts, and
    # (only in a top-level message) 8 more reserved bytes.
    counts = struct.pack("<IIII", 0, len(attachments), 0, len(attachments))
    header = b"\x00" * 8 + counts + (b"" if embedded else b"\x00" * 8)
    tree["__properties_version1.0"] = _properties(header, fixed, tree)
    return tree


def outlook_msg(**fields: Any) -> bytes:
    """A .msg file: ``message_storage``'s arguments, written as a compound file."""
    return compound_file(message_storage(**fields))
