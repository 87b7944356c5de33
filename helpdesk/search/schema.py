"""The full-text indexes of tickets and their messages, one per database engine.

PostgreSQL: GIN indexes over ``to_tsvector`` expressions (a query matches the index only when
it repeats the expression word for word, so the selectors read the same constants). Summary
words weigh A, description words B; a message's rank is scaled down by the selectors.

SQLite: FTS5 tables over the ticket and message tables (external content: the text stays in
the tables, the FTS table holds only the index), kept in step by triggers. A migration that
rebuilds a table on SQLite (Django copies it to a new table) drops that table's triggers;
``ensure`` runs after every ``migrate`` and puts them back, and the index they fed is still
right because the rows kept their ids and text.

``ensure`` is idempotent; migration 0020 calls it, and so does the post-migrate hook.
"""

from django.db.backends.base.base import BaseDatabaseWrapper

# --- PostgreSQL ---------------------------------------------------------------------------------

CONFIG = "english"
TICKET_VECTOR = (
    "(setweight(to_tsvector('english'::regconfig, COALESCE({t}.summary, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, COALESCE({t}.description, '')), 'B'))"
)
MESSAGE_VECTOR = "to_tsvector('english'::regconfig, COALESCE({t}.body, ''))"
PG_INDEXES = {
    "ticket_search_vector": ("helpdesk_ticket", TICKET_VECTOR),
    "ticketmessage_search_vector": ("helpdesk_ticketmessage", MESSAGE_VECTOR),
}

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
    insert = f"INSERT INTO {fts}(rowid, {names}) VALUES (new.id, {new});"
    delete = f"INSERT INTO {fts}({fts}, rowid, {names}) VALUES ('delete', old.id, {old});"
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
    """Create what is missing of this engine's indexes (nothing on other engines)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, (table, expression) in PG_INDEXES.items():
                cursor.execute(
                    f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
                    f"USING gin ({expression.format(t=table)})"
                )
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
                    cursor.execute(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")


def drop(connection: BaseDatabaseWrapper) -> None:
    """Undo ``ensure`` (the migration's reverse)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name in PG_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
        elif connection.vendor == "sqlite":
            for trigger in sqlite_trigger_names():
                cursor.execute(f"DROP TRIGGER IF EXISTS {trigger}")
            for fts in _FTS_TABLES:
                cursor.execute(f"DROP TABLE IF EXISTS {fts}")
