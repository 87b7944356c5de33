"""The full-text indexes of tickets and their messages, one per database engine, and how a
query matches them (the header's search ranks over them; a queue's search filters by them).

PostgreSQL: GIN indexes over ``to_tsvector`` expressions (a query matches the index only when
it repeats the expression word for word, so the selectors read the same constants). Summary
words weigh A, description words B; a message's rank is scaled down by the selectors.

SQLite: FTS5 tables over the ticket and message tables (external content: the text stays in
the tables, the FTS table holds only the index), kept in step by triggers. A migration that
rebuilds a table on SQLite (Django copies it to a new table) drops that table's triggers;
``ensure`` runs after every ``migrate`` and puts them back, and the index they fed is still
right because the rows kept their ids and text.

``ensure`` is idempotent; migration 0020 calls it, and so does the post-migrate hook. Every
statement is built from the constant names below, never from input.
"""

import re
from collections.abc import Sequence
from typing import Any

from django.db import connection as default_connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.db.models.fields import BooleanField

MAX_WORDS = 8
WORD = re.compile(r"\w+")

# --- PostgreSQL ---------------------------------------------------------------------------------

CONFIG = "english"
COLUMN = "search_vector"
# table: the vector its trigger keeps in ``search_vector`` (of the row being written, NEW).
PG_VECTORS = {
    "helpdesk_ticket": (
        "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.summary, '')), 'A') || "
        "setweight(to_tsvector('english'::regconfig, COALESCE(NEW.description, '')), 'B')"
    ),
    # All weight D (to_tsvector's own): ts_rank counts a message word a tenth of a summary's.
    "helpdesk_ticketmessage": "to_tsvector('english'::regconfig, COALESCE(NEW.body, ''))",
}
PG_WATCHED = {"helpdesk_ticket": "summary, description", "helpdesk_ticketmessage": "body"}


def _pg_statements(table: str) -> list[str]:
    vector, watched = PG_VECTORS[table], PG_WATCHED[table]
    function = f"{table}_search_vector"
    return [
        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {COLUMN} tsvector",
        f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN NEW.{COLUMN} := {vector}; RETURN NEW; END $$",
        f"DROP TRIGGER IF EXISTS {function} ON {table}",
        f"CREATE TRIGGER {function} BEFORE INSERT OR UPDATE OF {watched} ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        # Rows from before the trigger: the same vector, NEW read as the row itself.
        f"UPDATE {table} AS NEW SET {COLUMN} = {vector} WHERE NEW.{COLUMN} IS NULL",  # noqa: S608
        f"CREATE INDEX IF NOT EXISTS {table}_{COLUMN} ON {table} USING gin ({COLUMN})",
    ]


# --- SQLite -------------------------------------------------------------------------------------

TICKET_FTS = "helpdesk_ticket_fts"
MESSAGE_FTS = "helpdesk_ticketmessage_fts"
_FTS_TABLES = {
    # fts table: (content table, indexed columns)
    TICKET_FTS: ("helpdesk_ticket", ("summary", "description")),
    MESSAGE_FTS: ("helpdesk_ticketmessage", ("body",)),
}


def _sqlite_statements(fts: str, table: str, columns: tuple[str, ...]) -> tuple[str, list[str]]:
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    create = (
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {fts} USING fts5({names}, content='{table}', "
        "content_rowid='id', tokenize='porter unicode61')"
    )
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"  # noqa: S608
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"  # noqa: S608
    triggers = [
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER IF NOT EXISTS {fts}_au AFTER UPDATE OF {names} ON {table} "
        f"BEGIN {delete} {insert} END",
    ]
    return create, triggers


def sqlite_trigger_names() -> list[str]:
    return [f"{fts}_{suffix}" for fts in _FTS_TABLES for suffix in ("ai", "ad", "au")]


def ensure(connection: BaseDatabaseWrapper) -> None:
    """Create what is missing of this engine's indexes (nothing on other engines, nor before
    the tables exist: ``migrate`` back to zero also ends with the post-migrate hook)."""
    tables = set(connection.introspection.table_names())
    if not {"helpdesk_ticket", "helpdesk_ticketmessage"} <= tables:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in PG_VECTORS:
                for statement in _pg_statements(table):
                    cursor.execute(statement)
        elif connection.vendor == "sqlite":
            for fts, (table, columns) in _FTS_TABLES.items():
                create, triggers = _sqlite_statements(fts, table, columns)
                cursor.execute(
                    "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s "
                    "AND name LIKE %s",
                    [table, f"{fts}_%"],
                )
                complete = cursor.fetchone()[0] == len(triggers)
                cursor.execute(create)
                for trigger in triggers:
                    cursor.execute(trigger)
                if not complete:  # new, or rows written while a trigger was missing
                    cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")  # noqa: S608


def drop(connection: BaseDatabaseWrapper) -> None:
    """Undo ``ensure`` (the migration's reverse)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for table in PG_VECTORS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {table}_search_vector ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {table}_search_vector()")
                cursor.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS {COLUMN}")
        elif connection.vendor == "sqlite":
            for trigger in sqlite_trigger_names():
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for fts in _FTS_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")


# --- Matching -----------------------------------------------------------------------------------


def words_of(text: str) -> list[str]:
    """The words of a query, as both engines' indexes match them (at most MAX_WORDS)."""
    return [w.lower() for w in WORD.findall(text)][:MAX_WORDS]


def raw(sql: str, params: Sequence[object], output_field: Any = None) -> RawSQL:
    """SQL built from this module's constant names; the reader's words only as parameters."""
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611


def pg_query(words: list[str]) -> tuple[str, list[str]]:
    """PostgreSQL's query of every word (plainto_tsquery: no input is query syntax)."""
    return f"plainto_tsquery('{CONFIG}'::regconfig, %s)", [" ".join(words)]


def fts_query(words: list[str]) -> str:
    """FTS5's query of every word, each quoted (a phrase of one token): no input is syntax."""
    return " ".join('"' + w.replace('"', "") + '"' for w in words)


def fts_matching(fts: str, words: list[str]) -> RawSQL:
    """The rowids of an FTS5 table's rows holding every word."""
    return raw(f"SELECT rowid FROM {fts} WHERE {fts} MATCH %s", [fts_query(words)])  # noqa: S608


def tickets_matching(words: list[str]) -> Q:
    """Tickets whose summary or description hold every word, read from the index (so a
    filtered count does not read every ticket's text)."""
    if default_connection.vendor == "postgresql":
        query, params = pg_query(words)
        return Q(raw(f"helpdesk_ticket.{COLUMN} @@ {query}", params, BooleanField()))
    return Q(pk__in=fts_matching(TICKET_FTS, words))
