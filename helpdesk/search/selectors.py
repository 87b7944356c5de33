"""The search of the header box: tickets (any number they ever had, summary, description,
every message the reader may see), people, offices, procedures and notices.

Each kind is read from the same permission selector its own list page uses
(``tickets_visible_to``, ``sees_internal_notes``, ``offices_visible_to``,
``procedures_visible_to``, ``notices_visible_to``); nothing here decides who sees what.

Tickets are ranked by full text: PostgreSQL's ``tsvector`` over the GIN indexes of
``helpdesk.tickets.fulltext`` (summary weighs A, description B, a message D, so a summary match
comes first), SQLite's FTS5 with ``bm25`` weighted the same way. Only the newest
``CANDIDATES`` matches of each table are ranked: a word found in half the tickets costs the
same as a rare one, and the newest of many matches is what the desk looks for.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.fields import BooleanField, FloatField
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from helpdesk.directory.permissions import offices_visible_to
from helpdesk.directory.roles import STATE_ROLES, AnyUser, Role, has_role, roles_of
from helpdesk.lib.sequences import PREFIX
from helpdesk.models import (
    EventKind,
    Notice,
    Office,
    Person,
    Procedure,
    Ticket,
    TicketEvent,
    TicketMessage,
)
from helpdesk.models.tickets import TicketQuerySet
from helpdesk.notices.permissions import notices_visible_to
from helpdesk.procedures.services import procedures_visible_to
from helpdesk.procedures.services import search as search_procedures
from helpdesk.tickets import fulltext as schema
from helpdesk.tickets.fulltext import fts_matching, fts_query, pg_query, raw, words_of
from helpdesk.tickets.permissions import sees_internal_notes, tickets_visible_to

LIMIT = 20  # results shown per kind
CANDIDATES = 200  # newest full-text matches ranked per table
SCOPED_WINDOW = 1000  # newest message matches of all a scoped reader's are taken from
SNIPPET_CHARS = 180
# A message counts a tenth of a summary word: ts_rank's default weight of D against A; FTS5's
# bm25 has no weights across tables, so the same factor is applied by hand.
MESSAGE_FACTOR = 0.1
SUMMARY_WEIGHT, DESCRIPTION_WEIGHT = 1.0, 0.4

TRACKING_NUMBER = re.compile(r"^CCAP-(\d{4})-(\d{6})$", re.IGNORECASE)
PLAIN_NUMBER = re.compile(r"^(?:report\s*)?#?\s*(\d{1,9})$", re.IGNORECASE)
# What an MIS ticket number may look like: one token with a digit in it.
REFERENCE_LIKE = re.compile(r"^(?=.*\d)[\w./-]{2,50}$")
# The first year with tracking numbers: "69" looks for CCAP-<year>-000069 in each year since.
FIRST_YEAR = 2020


def shows_search_box(user: AnyUser) -> bool:
    """The header box is for state staff and local experts (issue 16); the page itself is
    open to anyone with a role, each result scoped as on its own page."""
    return has_role(user, *STATE_ROLES, Role.LOCAL_EXPERT)


def may_search(user: AnyUser) -> bool:
    return bool(roles_of(user))


@dataclass(frozen=True)
class TicketHit:
    ticket: Ticket
    snippet: SafeString
    # Where it matched: "number", "summary", "description" or "message".
    matched: str
    score: float = 0.0


@dataclass(frozen=True)
class Results:
    query: str
    tickets: list[TicketHit] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)
    offices: list[Office] = field(default_factory=list)
    procedures: list[Procedure] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.tickets or self.people or self.offices or self.procedures or self.notices)


def search(user: AnyUser, text: str) -> Results:
    text = " ".join(text.split())[:200]
    words = words_of(text)
    if not words or not may_search(user):
        return Results(query=text)
    if TRACKING_NUMBER.match(text):  # the commonest search: one ticket, nothing else
        return Results(query=text, tickets=ticket_hits(user, text))
    return Results(
        query=text,
        tickets=ticket_hits(user, text),
        people=_people(user, words),
        offices=_offices(user, words),
        procedures=list(search_procedures(procedures_visible_to(user), text=text)[:LIMIT]),
        notices=list(_notices(user, words)),
    )


# --- Tickets ------------------------------------------------------------------------------------


def ticket_hits(user: AnyUser, text: str, limit: int = LIMIT) -> list[TicketHit]:
    """The tickets ``user`` may open that match ``text``: those it names by a number first,
    then the full-text matches, best first."""
    visible = tickets_visible_to(user)
    words = words_of(text)
    by_number = sorted(
        visible.filter(numbered_q(text)).select_related("office__agency")[:limit],
        key=lambda t: _closeness(t, text),
    )
    hits = [TicketHit(t, _snippet(t.summary, []), "number") for t in by_number]
    if TRACKING_NUMBER.match(text.strip()):
        return hits
    seen = {t.pk for t in by_number}
    internal = sees_internal_notes(user)
    messages = TicketMessage.objects.filter(ticket__in=visible)
    if not internal:
        messages = messages.filter(internal=False)
    ranked = _ranked(visible, messages, words, internal)
    best = sorted(ranked.items(), key=lambda item: (-item[1][0], -item[0]))
    ids = [pk for pk, _ in best if pk not in seen][: limit - len(hits)]
    tickets = Ticket.objects.select_related("office__agency").in_bulk(ids)
    bodies = dict(
        TicketMessage.objects.filter(pk__in=[ranked[pk][1] for pk in ids if ranked[pk][1]])
        .values_list("pk", "body")
        .iterator()
    )
    for pk in ids:
        score, message_id = ranked[pk]
        hits.append(_hit(tickets[pk], words, score, bodies.get(message_id or 0)))
    return hits


def numbered_q(text: str) -> Q:
    """Tickets ``text`` names by a number they ever had: the tracking number, the id (what an
    old page called "Report #73"), the tracking number's sequence part, an MIS ticket number
    now or before. Nothing for text that is no number."""
    term = text.strip()
    found = TRACKING_NUMBER.match(term)
    if found:
        return Q(tracking_number=term.upper())
    plain = PLAIN_NUMBER.match(term)
    q = Q(pk__in=[])
    if plain:
        n = int(plain.group(1))
        q |= Q(pk=n)
        if n < 1_000_000:
            years = range(FIRST_YEAR, timezone.localdate().year + 1)
            q |= Q(tracking_number__in=[f"{PREFIX}-{y}-{n:06d}" for y in years])
    if plain or REFERENCE_LIKE.match(term):
        # The earlier numbers as a list: a subquery inside the OR would keep PostgreSQL from
        # combining the indexes (measured: 350 ms at 100,000 tickets, a scan of them all).
        q |= Q(mis_reference__iexact=term) | Q(pk__in=list(_past_mis_references(term)))
    return q


def _closeness(ticket: Ticket, text: str) -> int:
    """Which number ``text`` named, the ticket's own first: its tracking number or MIS's, its
    tracking number's sequence part, then its id."""
    term = text.strip().upper()
    if term in (ticket.tracking_number, ticket.mis_reference.upper()):
        return 0
    plain = PLAIN_NUMBER.match(term)
    if plain and (ticket.tracking_number or "").endswith(f"-{int(plain.group(1)):06d}"):
        return 1
    return 2


def _past_mis_references(term: str) -> QuerySet[TicketEvent, int]:
    """MIS ticket numbers recorded before the current one (``set_mis_reference`` writes each
    on the timeline, with the one it replaced)."""
    return TicketEvent.objects.filter(
        Q(note__iexact=term) | Q(data__previous__iexact=term), kind=EventKind.MIS_REFERENCE
    ).values_list("ticket_id", flat=True)


def _ranked(
    visible: TicketQuerySet, messages: QuerySet[TicketMessage], words: list[str], internal: bool
) -> dict[int, tuple[float, int | None]]:
    """ticket id -> (score, the id of the message that scored, if a message did)."""
    if connection.vendor == "postgresql":
        # A reader who sees every ticket has no scope to apply: an empty WHERE.
        scoped = bool(visible.query.where)
        tickets = _pg_tickets(visible, words)
        readable = TicketMessage.objects.all()
        if not internal:
            readable = readable.filter(internal=False)
        found = _pg_messages(readable, words, visible=visible, scoped=scoped)
    else:
        tickets, found = _fts_tickets(visible, words), _fts_messages(messages, words)
    ranked: dict[int, tuple[float, int | None]] = {pk: (score, None) for pk, score in tickets}
    for message_id, ticket_id, score in found:
        if score > ranked.get(ticket_id, (0.0, None))[0]:
            ranked[ticket_id] = (score, message_id)
    return ranked


# PostgreSQL: the stored vectors of ``schema``, GIN-indexed.


def _pg_tickets(visible: TicketQuerySet, words: list[str]) -> Iterable[tuple[int, float]]:
    vector = f"helpdesk_ticket.{schema.COLUMN}"
    query, params = pg_query(words)
    match = raw(f"{vector} @@ {query}", params, BooleanField())
    rank = raw(f"ts_rank({vector}, {query})", params, FloatField())
    newest = visible.filter(match).annotate(rank=rank).order_by("-id")
    return newest.values_list("id", "rank")[:CANDIDATES]


def _pg_messages(
    messages: QuerySet[TicketMessage],
    words: list[str],
    *,
    visible: TicketQuerySet,
    scoped: bool,
) -> Iterable[tuple[int, int, float]]:
    """The newest matching messages the reader may see, ranked. ``messages`` holds the ones
    their notes rule lets them read, of any ticket; ``visible`` the tickets they may open."""
    vector = f"helpdesk_ticketmessage.{schema.COLUMN}"
    query, params = pg_query(words)
    match = messages.filter(raw(f"{vector} @@ {query}", params, BooleanField()))
    if scoped:
        # The newest SCOPED_WINDOW matches of all, then the reader's among them: asking the
        # database for "the reader's newest matches" of a frequent word makes it read every
        # message of their tickets (measured: 590 ms median for an agency at 500,000
        # messages). Exact while a word has fewer matches than the window; for a frequent
        # one, an older message of theirs beyond it is not ranked (summary, description and
        # numbers still are).
        window = list(match.order_by("-id").values_list("id", "ticket_id")[:SCOPED_WINDOW])
        theirs = set(visible.filter(pk__in={t for _, t in window}).values_list("id", flat=True))
        ids = [m for m, t in window if t in theirs][:CANDIDATES]
        match = TicketMessage.objects.filter(pk__in=ids)
    # A message's vector is all weight D: ts_rank already counts it a tenth of A.
    rank = raw(f"ts_rank({vector}, {query})", params, FloatField())
    newest = match.annotate(rank=rank).order_by("-id")
    return newest.values_list("id", "ticket_id", "rank")[:CANDIDATES]


# SQLite: FTS5 (every word quoted by ``fts_query``), ranked by bm25.


def _fts_tickets(visible: TicketQuerySet, words: list[str]) -> Iterable[tuple[int, float]]:
    fts = schema.TICKET_FTS
    newest = (
        visible.filter(pk__in=fts_matching(fts, words)).order_by("-id").values_list("id", flat=True)
    )
    ids = list(newest[:CANDIDATES])
    if not ids:
        return []
    marks = ", ".join(["%s"] * len(ids))
    # bm25 is lower for a better match; negated, weighted like ts_rank's A and B.
    sql = (
        f"SELECT rowid, -bm25({fts}, %s, %s) FROM {fts} WHERE {fts} MATCH %s AND rowid IN ({marks})"  # noqa: E501, S608
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [SUMMARY_WEIGHT, DESCRIPTION_WEIGHT, fts_query(words), *ids])
        return [(int(pk), float(score)) for pk, score in cursor.fetchall()]


def _fts_messages(
    messages: QuerySet[TicketMessage], words: list[str]
) -> Iterable[tuple[int, int, float]]:
    fts = schema.MESSAGE_FTS
    newest = messages.filter(pk__in=fts_matching(fts, words)).order_by("-id")
    rows = list(newest.values_list("id", "ticket_id")[:CANDIDATES])
    if not rows:
        return []
    ticket_of = dict(rows)
    marks = ", ".join(["%s"] * len(rows))
    sql = f"SELECT rowid, -bm25({fts}) FROM {fts} WHERE {fts} MATCH %s AND rowid IN ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [fts_query(words), *ticket_of])
        return [
            (int(pk), ticket_of[int(pk)], float(score) * MESSAGE_FACTOR)
            for pk, score in cursor.fetchall()
        ]


def _hit(ticket: Ticket, words: list[str], score: float, message: str | None) -> TicketHit:
    """Where the ticket matched, shown with the words marked: a message when a message
    scored best, else the summary or the description, whichever has a word."""
    if message is not None:
        return TicketHit(ticket, _snippet(message, words), "message", score)
    pattern = _pattern(words)
    if pattern.search(ticket.summary):
        return TicketHit(ticket, _snippet(ticket.summary, words), "summary", score)
    return TicketHit(ticket, _snippet(ticket.description, words), "description", score)


# --- Snippets -----------------------------------------------------------------------------------


def _pattern(words: Sequence[str]) -> re.Pattern[str]:
    """Words as the index stems them, roughly: "passwords" marks "password" and "passworded"."""
    stems = sorted({w[: max(3, len(w) - 2)] for w in words if w}, key=len, reverse=True)
    if not stems:
        return re.compile(r"(?!)")
    return re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.IGNORECASE)


def _snippet(text: str, words: Sequence[str]) -> SafeString:
    """A window of ``text`` around the first word found, every piece escaped and the words
    in ``<mark>``: the text is whatever a reporter or an email wrote."""
    pattern = _pattern(words)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - SNIPPET_CHARS // 3)
    if start:
        space = text.rfind(" ", 0, start)
        start = space + 1 if space > start - 20 else start
    window = text[start : start + SNIPPET_CHARS]
    parts = ["…" if start else ""]
    at = 0
    for found in pattern.finditer(window):
        parts.append(escape(window[at : found.start()]))
        parts.append(f"<mark>{escape(found.group())}</mark>")
        at = found.end()
    parts.append(escape(window[at:]))
    if start + SNIPPET_CHARS < len(text):
        parts.append("…")
    return mark_safe("".join(parts))  # noqa: S308 (every piece of the text is escaped above)


# --- People, offices, notices -------------------------------------------------------------------


def _each_word(words: list[str], fields: Sequence[str]) -> Q:
    """Every word in one of the fields."""
    q = Q()
    for word in words:
        any_field = Q()
        for name in fields:
            any_field |= Q(**{f"{name}__icontains": word})
        q &= any_field
    return q


def _people(user: AnyUser, words: list[str]) -> list[Person]:
    fields = ("first_name", "last_name", "job_title", "emails__address")
    return list(
        Person.objects.active()
        .filter(office__in=offices_visible_to(user))
        .filter(_each_word(words, fields))
        .select_related("office__agency")
        .distinct()
        .order_by("last_name", "first_name", "pk")[:LIMIT]
    )


def _offices(user: AnyUser, words: list[str]) -> list[Office]:
    fields = ("name", "city", "agency__name", "agency__code")
    return list(
        offices_visible_to(user)
        .filter(active=True)
        .filter(_each_word(words, fields))
        .order_by("agency__name", "name")[:LIMIT]
    )


def _notices(user: AnyUser, words: list[str]) -> QuerySet[Notice]:
    return (
        notices_visible_to(user)
        .filter(_each_word(words, ("title", "text")))
        .order_by("-published_at", "-pk")[:LIMIT]
    )
