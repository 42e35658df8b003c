"""The journal's tables (SQLAlchemy Core, one definition for SQLite and PostgreSQL) and their migrations.

`METADATA` is the current schema: a new database is created from it in one step. An existing database is
brought up to date by `MIGRATIONS`, one function per version, run in order in one transaction. Text limits
are pinned here per version (a migration must not change meaning when a constant moves later); a test
holds `LIMITS` equal to the constants in `coach.models` that the Pydantic models and the UI use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Connection,
    Date,
    Dialect,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import DateTime, TypeDecorator, TypeEngine

Migration = Callable[[Connection], None]
"""Takes the schema from version n-1 to n inside the caller's transaction."""

# Version 2's limits (characters). Change a limit with a new migration, never by editing these.
LIMITS = {
    "wish": 2_000,
    "question_min": 5,
    "question_max": 400,
    "why": 400,
    "text": 4_000,
    "name": 200,
}
STATUSES = ("open", "answered", "dropped")
SOURCES = ("coach", "chat", "user")
CHAT_STATUSES = ("planned", "done", "cancelled")
REFERRAL_STATUSES = ("suggested", "contacted")


class Moment(TypeDecorator[datetime]):
    """An aware UTC time: timestamptz in PostgreSQL, fixed-width ISO text in SQLite (text order = time order)."""

    impl = String(40)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(DateTime(timezone=True))
        return dialect.type_descriptor(String(40))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        moment = value.astimezone(UTC)  # a naive time is taken as the server's local time
        return moment if dialect.name == "postgresql" else moment.isoformat(timespec="microseconds")

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
        return moment.astimezone(UTC)


def _length(column: str, low: int, high: int) -> CheckConstraint:
    return CheckConstraint(f"length({column}) BETWEEN {low} AND {high}")


def _in(column: str, values: tuple[str, ...]) -> CheckConstraint:
    return CheckConstraint(f"{column} IN ({', '.join(repr(v) for v in values)})")


def _owned(name: str, metadata: MetaData, *columns: Any) -> Table:
    """A per-user table: every row carries user_id, and (user_id, id) is what other rows point at."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True),
        Column("uid", String(100), nullable=False),
        Column("user_id", String(LIMITS["name"]), nullable=False),
        *columns,
        UniqueConstraint("user_id", "uid"),
        UniqueConstraint("user_id", "id"),
    )


def build_metadata() -> MetaData:
    """The current (version 2) schema."""
    m = MetaData()
    n, t = LIMITS["name"], LIMITS["text"]
    _owned(
        "wishes",
        m,
        Column("text", Text, nullable=False),
        Column("created_at", Moment, nullable=False),
        _length("text", 1, LIMITS["wish"]),
    )
    _owned(
        "chats",
        m,
        Column("expert_id", String(n), nullable=False),
        Column("expert_name", String(n), nullable=False),
        Column("date", Date, nullable=False),
        Column("status", String(20), nullable=False),
        Column("notes", Text, nullable=False, server_default=""),
        Column("created_at", Moment, nullable=False),
        Column("logged_at", Moment),
        _in("status", CHAT_STATUSES),
        _length("expert_id", 1, n),
        _length("expert_name", 1, n),
        _length("notes", 0, t),
    )
    _owned(
        "questions",
        m,
        Column("text", String(LIMITS["question_max"]), nullable=False),
        Column("why", String(LIMITS["why"]), nullable=False, server_default=""),
        Column("status", String(20), nullable=False),
        Column("source", String(20), nullable=False),
        Column("wish_id", Integer),
        Column("chat_id", Integer),
        Column("created_at", Moment, nullable=False),
        Column("answered_at", Moment),
        _length("text", LIMITS["question_min"], LIMITS["question_max"]),
        _length("why", 0, LIMITS["why"]),
        _in("status", STATUSES),
        _in("source", SOURCES),
        ForeignKeyConstraint(["user_id", "wish_id"], ["wishes.user_id", "wishes.id"]),
        ForeignKeyConstraint(["user_id", "chat_id"], ["chats.user_id", "chats.id"]),
    )
    Table(
        "chat_questions",
        m,
        Column("user_id", String(n), nullable=False),
        Column("chat_id", Integer, nullable=False),
        Column("question_id", Integer, nullable=False),
        UniqueConstraint("chat_id", "question_id"),
        ForeignKeyConstraint(["user_id", "chat_id"], ["chats.user_id", "chats.id"]),
        ForeignKeyConstraint(["user_id", "question_id"], ["questions.user_id", "questions.id"]),
    )
    _owned(
        "takeaways",
        m,
        Column("chat_id", Integer, nullable=False),
        Column("text", Text, nullable=False),
        Column("created_at", Moment, nullable=False),
        _length("text", 1, t),
        ForeignKeyConstraint(["user_id", "chat_id"], ["chats.user_id", "chats.id"]),
    )
    _owned(
        "referrals",
        m,
        Column("chat_id", Integer),
        Column("expert_id", String(n)),
        Column("name", String(n), nullable=False, server_default=""),
        Column("note", Text, nullable=False, server_default=""),
        Column("status", String(20), nullable=False),
        Column("created_at", Moment, nullable=False),
        CheckConstraint("expert_id IS NOT NULL OR name <> ''"),
        _in("status", REFERRAL_STATUSES),
        _length("note", 0, t),
        ForeignKeyConstraint(["user_id", "chat_id"], ["chats.user_id", "chats.id"]),
    )
    # Sent intro requests, across users: the load that spreads asks over experts, and insights.
    Table(
        "asks",
        m,
        Column("id", Integer, primary_key=True),
        Column("user_id", String(n), nullable=False),
        Column("department", String(n)),
        Column("expert_id", String(n), nullable=False),
        Column("created_at", Moment, nullable=False),
        Index("asks_by_expert", "expert_id", "created_at"),
    )
    # One row per matched question, without its text: topic, how many people fit, the asker's department.
    Table(
        "searches",
        m,
        Column("id", Integer, primary_key=True),
        Column("user_id", String(n), nullable=False),
        Column("department", String(n)),
        Column("topic", String(n), nullable=False),
        Column("fitting", Integer, nullable=False),
        Column("nobody_fits", Boolean, nullable=False),
        Column("created_at", Moment, nullable=False),
        Index("searches_by_time", "created_at"),
    )
    Table("schema_version", m, Column("version", Integer, nullable=False))
    return m


METADATA = build_metadata()
TABLES = METADATA.tables
# The order in which rows can be copied (parents first) and dropped (children first).
ENTRY_TABLES = ("wishes", "chats", "questions", "chat_questions", "takeaways", "referrals")


def fit(value: str, low: int, high: int) -> str:
    """Text brought within limits for rows written before the limits existed: cut at a word, or marked.

    Text already within the limits is returned unchanged.
    """
    if low <= len(value.strip()) <= high:
        return value
    value = " ".join(value.split())
    if len(value) > high:
        head = value[: high - 1]
        cut = head.rsplit(" ", 1)[0] if " " in head else head
        value = cut.rstrip(" ,;:") + "…"
    if len(value) < low:
        value = f"Question: {value}"[:high]
    return value


def _v1(connection: Connection) -> None:
    """Version 1 (the SQLite-only journal before PostgreSQL support): kept so old files can be upgraded."""
    for statement in V1_SQL:
        connection.exec_driver_sql(statement)


def _v2(connection: Connection) -> None:
    """Limits on every text column, sent asks replace drafted intros, per-question search records.

    SQLite cannot change a CHECK in place, so every entry table is rebuilt: old tables are renamed, the new
    ones created, rows copied (texts beyond a limit are cut at a word; too-short questions are marked, never
    dropped), and the old tables dropped. `intro_log` counted drafts, not sent requests; it is dropped.
    """
    for name in ENTRY_TABLES:
        connection.exec_driver_sql(f"ALTER TABLE {name} RENAME TO old_{name}")
    METADATA.create_all(connection)
    limits = {
        ("wishes", "text"): (1, LIMITS["wish"]),
        ("questions", "text"): (LIMITS["question_min"], LIMITS["question_max"]),
        ("questions", "why"): (0, LIMITS["why"]),
        ("chats", "expert_name"): (1, LIMITS["name"]),
        ("chats", "notes"): (0, LIMITS["text"]),
        ("takeaways", "text"): (1, LIMITS["text"]),
        ("referrals", "name"): (0, LIMITS["name"]),
        ("referrals", "note"): (0, LIMITS["text"]),
    }
    for name in ENTRY_TABLES:
        table = TABLES[name]
        rows = [dict(row) for row in connection.exec_driver_sql(f"SELECT * FROM old_{name}").mappings()]
        for row in rows:
            for (owner, column), (low, high) in limits.items():
                if owner == name and row.get(column) is not None:
                    row[column] = fit(str(row[column]), low, high)
            for column in ("created_at", "logged_at", "answered_at"):
                if isinstance(row.get(column), str):
                    row[column] = datetime.fromisoformat(row[column])
            if isinstance(row.get("date"), str):
                row["date"] = date.fromisoformat(row["date"])
        if rows:
            connection.execute(table.insert(), [{c.name: r.get(c.name) for c in table.columns} for r in rows])
    for name in reversed(ENTRY_TABLES):
        connection.exec_driver_sql(f"DROP TABLE old_{name}")
    connection.exec_driver_sql("DROP TABLE IF EXISTS intro_log")


MIGRATIONS: tuple[Migration, ...] = (_v1, _v2)

V1_SQL = (
    """CREATE TABLE wishes (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, user_id TEXT NOT NULL,
        text TEXT NOT NULL CHECK (text <> ''), created_at TEXT NOT NULL,
        UNIQUE (user_id, uid), UNIQUE (user_id, id))""",
    """CREATE TABLE chats (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, user_id TEXT NOT NULL,
        expert_id TEXT NOT NULL, expert_name TEXT NOT NULL, date TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('planned', 'done', 'cancelled')),
        notes TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, logged_at TEXT,
        UNIQUE (user_id, uid), UNIQUE (user_id, id))""",
    """CREATE TABLE questions (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, user_id TEXT NOT NULL,
        text TEXT NOT NULL CHECK (text <> ''), why TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('open', 'answered', 'dropped')),
        source TEXT NOT NULL CHECK (source IN ('coach', 'chat', 'user')),
        wish_id INTEGER, chat_id INTEGER, created_at TEXT NOT NULL, answered_at TEXT,
        UNIQUE (user_id, uid), UNIQUE (user_id, id),
        FOREIGN KEY (user_id, wish_id) REFERENCES wishes (user_id, id),
        FOREIGN KEY (user_id, chat_id) REFERENCES chats (user_id, id))""",
    """CREATE TABLE chat_questions (
        user_id TEXT NOT NULL, chat_id INTEGER NOT NULL, question_id INTEGER NOT NULL,
        UNIQUE (chat_id, question_id),
        FOREIGN KEY (user_id, chat_id) REFERENCES chats (user_id, id),
        FOREIGN KEY (user_id, question_id) REFERENCES questions (user_id, id))""",
    """CREATE TABLE takeaways (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, user_id TEXT NOT NULL, chat_id INTEGER NOT NULL,
        text TEXT NOT NULL CHECK (text <> ''), created_at TEXT NOT NULL,
        UNIQUE (user_id, uid), UNIQUE (user_id, id),
        FOREIGN KEY (user_id, chat_id) REFERENCES chats (user_id, id))""",
    """CREATE TABLE referrals (
        id INTEGER PRIMARY KEY, uid TEXT NOT NULL, user_id TEXT NOT NULL, chat_id INTEGER,
        expert_id TEXT, name TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT '',
        status TEXT NOT NULL CHECK (status IN ('suggested', 'contacted')), created_at TEXT NOT NULL,
        CHECK (expert_id IS NOT NULL OR name <> ''),
        UNIQUE (user_id, uid), UNIQUE (user_id, id),
        FOREIGN KEY (user_id, chat_id) REFERENCES chats (user_id, id))""",
    """CREATE TABLE intro_log (
        id INTEGER PRIMARY KEY, user_id TEXT NOT NULL, expert_id TEXT NOT NULL, created_at TEXT NOT NULL)""",
    "CREATE INDEX intro_log_by_expert ON intro_log (expert_id, created_at)",
)

__all__ = ["LIMITS", "METADATA", "MIGRATIONS", "TABLES", "Migration", "Moment", "fit"]
