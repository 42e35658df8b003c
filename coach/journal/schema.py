"""The journal's SQLite schema, as ordered migrations: adding version n is one more tuple."""

from __future__ import annotations

Migration = tuple[str, ...]
"""The statements that take the schema from version n-1 to n; pending migrations run in one transaction."""

# Composite foreign keys on (user_id, id) make SQLite itself refuse links between two users' entries.
SCHEMA_V1: Migration = (
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
MIGRATIONS: tuple[Migration, ...] = (SCHEMA_V1,)

__all__ = ["MIGRATIONS", "SCHEMA_V1", "Migration"]
