"""The learning journal: each user's wish -> question -> coffee chat loop, kept in SQLite."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from pydantic import BaseModel, ValidationError

from coach.errors import CoachError, CoachInputError
from coach.journal import portable as journal_io
from coach.journal.portable import ImportReport, JournalEntries, JournalSnapshot, OnConflict
from coach.journal.schema import MIGRATIONS, Migration
from coach.journal.timeline import timeline
from coach.models import (
    ChatStatus,
    CoffeeChat,
    Date,
    Question,
    QuestionSource,
    QuestionStatus,
    Referral,
    ReferralIn,
    ReferralStatus,
    Takeaway,
    TimelineEvent,
    Wish,
)

LOCAL_USER = "local"
Clock = Callable[[], datetime]
Entry = TypeVar("Entry", bound=BaseModel)
_TABLES: dict[type[BaseModel], str] = {
    Wish: "wishes",
    Question: "questions",
    CoffeeChat: "chats",
    Takeaway: "takeaways",
    Referral: "referrals",
}


class JournalError(CoachError):
    """A journal operation failed; the message says what to do."""


class JournalInputError(JournalError, CoachInputError):
    """An entry cannot be saved as given (empty, too long, wrong chat)."""


class JournalNotFound(JournalError):
    """The entry does not exist in this user's journal."""


INTRO_REDRAFT_WINDOW = timedelta(days=7)  # switching channel or tone is one ask, not several


def utc_now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    """Fixed-width UTC text, so string order is time order in SQL; a naive time is taken as local time."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def _sql(value: object) -> object:
    if isinstance(value, datetime):
        return _stamp(value)
    if isinstance(value, Date):
        return value.isoformat()
    return value


def _user(user_id: str) -> str:
    if not user_id.strip():
        raise JournalInputError(f"user_id is empty; use {LOCAL_USER!r} when there is no sign-in")
    return user_id


def _entry(model: type[Entry], **fields: object) -> Entry:
    """Validate a new entry (id 0 until saved) so bad input fails before it reaches the database."""
    try:
        return model.model_validate({"id": 0, "uid": str(uuid.uuid4()), **fields})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise JournalInputError(f"cannot save this {model.__name__.lower()}: {problems}") from exc


class Journal:
    """A thread-safe SQLite journal; every query is scoped to one user_id, every write is one transaction."""

    def __init__(
        self, path: Path | str, *, clock: Clock = utc_now, migrations: Sequence[Migration] = MIGRATIONS
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.RLock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One connection shared under a lock: simple and correct for a few writes a minute from worker threads.
        conn = sqlite3.connect(self.path, timeout=10.0, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        self._conn: sqlite3.Connection | None = conn
        try:
            if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0] != "wal":
                raise JournalError(
                    f"SQLite cannot use WAL at {self.path}; put COACH_DATA_DIR on a local disk"
                )
            # WAL + NORMAL: a commit survives the process being killed; only an OS crash can lose the last ones.
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            self._migrate(migrations)
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, path: Path | str, *, clock: Clock = utc_now) -> Journal:
        return cls(path, clock=clock)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        with self._read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise JournalError("the journal is closed; open it again with Journal.open(path)")
            conn = self._conn
            conn.execute(begin)
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:  # some errors (a full disk, say) already rolled back
                    conn.execute("ROLLBACK")
                raise

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front: another process waits instead of failing half-way.
        return self._transaction("BEGIN IMMEDIATE")

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction("BEGIN")

    def _migrate(self, migrations: Sequence[Migration]) -> None:
        with self._write() as conn:
            version = int(conn.execute("PRAGMA user_version").fetchone()[0])
            if version > len(migrations):
                raise JournalError(
                    f"{self.path} has journal schema {version}, newer than this app's {len(migrations)}; "
                    "upgrade question-coach or point COACH_DATA_DIR elsewhere"
                )
            for number, statements in enumerate(migrations[version:], start=version + 1):
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {number}")

    # --- rows <-> entries; every statement carries user_id

    def _insert(self, conn: sqlite3.Connection, table: str, user_id: str, values: dict[str, object]) -> int:
        columns = ["user_id", *values]
        cursor = conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
            (_user(user_id), *map(_sql, values.values())),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _save(self, conn: sqlite3.Connection, user_id: str, entry: Entry) -> Entry:
        values = entry.model_dump(exclude={"id", "question_ids"})
        entry_id = self._insert(conn, _TABLES[type(entry)], user_id, values)
        if isinstance(entry, CoffeeChat):
            self._link(conn, user_id, entry_id, entry.question_ids)
        return entry.model_copy(update={"id": entry_id})

    def _list(
        self, conn: sqlite3.Connection, model: type[Entry], user_id: str, where: str = "", *args: object
    ) -> list[Entry]:
        query = f"SELECT * FROM {_TABLES[model]} WHERE user_id = ? {where} ORDER BY id"
        rows = [dict(row) for row in conn.execute(query, (_user(user_id), *args))]
        if model is CoffeeChat:
            links: dict[int, list[int]] = {}
            query = "SELECT chat_id, question_id FROM chat_questions WHERE user_id = ? ORDER BY rowid"
            for chat_id, question_id in conn.execute(query, (user_id,)):
                links.setdefault(chat_id, []).append(question_id)
            rows = [{**row, "question_ids": links.get(row["id"], [])} for row in rows]
        return [model.model_validate(row) for row in rows]

    def _get(self, conn: sqlite3.Connection, model: type[Entry], user_id: str, entry_id: int) -> Entry:
        found = self._list(conn, model, user_id, "AND id = ?", entry_id)
        if not found:
            raise JournalNotFound(
                f"{_TABLES[model]} has no entry {entry_id} for this user; pick one from the list"
            )
        return found[0]

    def _require(
        self, conn: sqlite3.Connection, model: type[BaseModel], user_id: str, ids: Iterable[int | None]
    ) -> None:
        wanted = {i for i in ids if i is not None}
        query = (
            f"SELECT id FROM {_TABLES[model]} WHERE user_id = ? AND id IN (SELECT value FROM json_each(?))"
        )
        found = {row[0] for row in conn.execute(query, (user_id, json.dumps(sorted(wanted))))}
        if missing := sorted(wanted - found):
            raise JournalNotFound(
                f"{_TABLES[model]} {missing} are not in this user's journal; refresh and pick again"
            )

    def _link(
        self, conn: sqlite3.Connection, user_id: str, chat_id: int, question_ids: Iterable[int]
    ) -> None:
        question_ids = list(question_ids)
        self._require(conn, Question, user_id, question_ids)
        conn.executemany(
            "INSERT OR IGNORE INTO chat_questions (user_id, chat_id, question_id) VALUES (?, ?, ?)",
            [(user_id, chat_id, question_id) for question_id in question_ids],
        )

    def _read_list(self, model: type[Entry], user_id: str, where: str = "", *args: object) -> list[Entry]:
        with self._read() as conn:
            return self._list(conn, model, user_id, where, *args)

    # --- reading

    def snapshot(self, user_id: str) -> JournalSnapshot:
        """All of one user's entries, read in one transaction."""
        with self._read() as conn:
            return self._snapshot(conn, user_id)

    def _snapshot(self, conn: sqlite3.Connection, user_id: str) -> JournalSnapshot:
        lists = [self._list(conn, model, user_id) for model in _TABLES]
        return JournalSnapshot(*lists)  # type: ignore[arg-type]

    def list_wishes(self, user_id: str) -> list[Wish]:
        return self._read_list(Wish, user_id)

    def list_questions(self, user_id: str, status: QuestionStatus | None = None) -> list[Question]:
        if status is None:
            return self._read_list(Question, user_id)
        return self._read_list(Question, user_id, "AND status = ?", QuestionStatus(status).value)

    def open_questions(self, user_id: str) -> list[Question]:
        return self.list_questions(user_id, QuestionStatus.open)

    def list_chats(self, user_id: str) -> list[CoffeeChat]:
        return self._read_list(CoffeeChat, user_id)

    def list_takeaways(self, user_id: str, chat_id: int | None = None) -> list[Takeaway]:
        if chat_id is None:
            return self._read_list(Takeaway, user_id)
        return self._read_list(Takeaway, user_id, "AND chat_id = ?", chat_id)

    def list_referrals(self, user_id: str, status: ReferralStatus | None = None) -> list[Referral]:
        if status is None:
            return self._read_list(Referral, user_id)
        return self._read_list(Referral, user_id, "AND status = ?", ReferralStatus(status).value)

    def pending_referrals(self, user_id: str) -> list[Referral]:
        return self.list_referrals(user_id, ReferralStatus.suggested)

    def timeline(self, user_id: str) -> list[TimelineEvent]:
        return timeline(self.snapshot(user_id))

    def count_intros(self, expert_ids: Iterable[str], since: datetime) -> dict[str, int]:
        """Intro messages generated per expert since a moment, across all users; exposes counts only."""
        ids = sorted(set(expert_ids))
        query = (
            "SELECT expert_id, COUNT(*) FROM intro_log WHERE created_at >= ? "
            "AND expert_id IN (SELECT value FROM json_each(?)) GROUP BY expert_id"
        )
        with self._read() as conn:
            found = {row[0]: int(row[1]) for row in conn.execute(query, (_stamp(since), json.dumps(ids)))}
        return {expert_id: found.get(expert_id, 0) for expert_id in ids}

    # --- writing

    def add_wish(self, user_id: str, text: str) -> Wish:
        wish = _entry(Wish, text=text, created_at=self._clock())
        with self._write() as conn:
            return self._save(conn, user_id, wish)

    def add_question(
        self,
        user_id: str,
        text: str,
        *,
        why: str = "",
        source: QuestionSource = QuestionSource.user,
        wish_id: int | None = None,
        chat_id: int | None = None,
    ) -> Question:
        fields = {"text": text, "why": why, "source": source, "wish_id": wish_id, "chat_id": chat_id}
        question = _entry(Question, **fields, created_at=self._clock())
        with self._write() as conn:
            self._require(conn, Wish, user_id, [wish_id])
            self._require(conn, CoffeeChat, user_id, [chat_id])
            return self._save(conn, user_id, question)

    def set_question_status(self, user_id: str, question_id: int, status: QuestionStatus) -> Question:
        """Change a question's status; answered_at is kept from the first answer and cleared otherwise."""
        status = QuestionStatus(status)
        with self._write() as conn:
            self._get(conn, Question, user_id, question_id)
            conn.execute(
                "UPDATE questions SET status = :status, answered_at = CASE WHEN :status = 'answered' "
                "THEN COALESCE(answered_at, :now) END WHERE user_id = :user AND id = :id",
                {"status": status.value, "now": _stamp(self._clock()), "user": user_id, "id": question_id},
            )
            return self._get(conn, Question, user_id, question_id)

    def plan_chat(
        self, user_id: str, expert_id: str, expert_name: str, *, on: Date, question_ids: Sequence[int] = ()
    ) -> CoffeeChat:
        """Record an arranged chat; log_chat(..., chat_id=chat.id) records how it went."""
        fields = {
            "expert_id": expert_id,
            "expert_name": expert_name,
            "date": on,
            "question_ids": list(question_ids),
        }
        chat = _entry(CoffeeChat, **fields, status=ChatStatus.planned, created_at=self._clock())
        with self._write() as conn:
            return self._save(conn, user_id, chat)

    def log_chat(
        self,
        user_id: str,
        expert_id: str,
        expert_name: str,
        happened: bool,
        takeaways: Sequence[str],
        referrals: Sequence[ReferralIn],
        new_questions: Sequence[str],
        question_ids_covered: Sequence[int],
        *,
        chat_id: int | None = None,
        on: Date | None = None,
        notes: str = "",
    ) -> CoffeeChat:
        """Save the after-chat form in one transaction; covered questions become answered if it happened.

        Blank takeaways and new questions are skipped. With `chat_id`, a planned chat is closed instead of a
        new one being created. Referrals are kept even when the chat did not happen: a decline often names
        someone else.
        """
        now = self._clock()
        status = ChatStatus.done if happened else ChatStatus.cancelled
        outcome = {"status": status, "logged_at": now, "notes": notes}
        covered = list(question_ids_covered)
        found: list[Takeaway | Referral | Question] = [
            _entry(Takeaway, chat_id=0, text=t, created_at=now) for t in takeaways if t.strip()
        ]
        found += [_entry(Referral, chat_id=0, created_at=now, **r.model_dump()) for r in referrals]
        found += [
            _entry(Question, chat_id=0, text=q, source=QuestionSource.chat, created_at=now)
            for q in new_questions
            if q.strip()
        ]
        with self._write() as conn:
            if chat_id is None:
                fields = {"expert_id": expert_id, "expert_name": expert_name, "question_ids": covered}
                chat = _entry(
                    CoffeeChat, **fields, **outcome, date=on or now.astimezone().date(), created_at=now
                )
                chat_id = self._save(conn, user_id, chat).id
            else:
                self._close_planned(conn, user_id, chat_id, expert_id, {**outcome, "date": on}, covered)
            if happened:
                conn.execute(
                    "UPDATE questions SET status = 'answered', answered_at = ? WHERE user_id = ? "
                    "AND status = 'open' AND id IN (SELECT value FROM json_each(?))",
                    (_stamp(now), user_id, json.dumps(covered)),
                )
            for entry in found:
                self._save(conn, user_id, entry.model_copy(update={"chat_id": chat_id}))
            return self._get(conn, CoffeeChat, user_id, chat_id)

    def _close_planned(
        self,
        conn: sqlite3.Connection,
        user_id: str,
        chat_id: int,
        expert_id: str,
        outcome: dict[str, object],
        covered: list[int],
    ) -> None:
        chat = self._get(conn, CoffeeChat, user_id, chat_id)
        if chat.status is not ChatStatus.planned:
            raise JournalInputError(
                f"chat {chat_id} is already logged as {chat.status}; log a new chat instead"
            )
        if chat.expert_id != expert_id.strip():
            raise JournalInputError(f"chat {chat_id} was planned with {chat.expert_name}, not {expert_id!r}")
        outcome["date"] = outcome["date"] or chat.date
        closed = _entry(CoffeeChat, **{**chat.model_dump(), **outcome})
        conn.execute(
            "UPDATE chats SET status = ?, logged_at = ?, notes = ?, date = ? WHERE user_id = ? AND id = ?",
            (closed.status.value, _sql(closed.logged_at), closed.notes, _sql(closed.date), user_id, chat_id),
        )
        self._link(conn, user_id, chat_id, covered)

    def add_takeaway(self, user_id: str, chat_id: int, text: str) -> Takeaway:
        takeaway = _entry(Takeaway, chat_id=chat_id, text=text, created_at=self._clock())
        with self._write() as conn:
            self._require(conn, CoffeeChat, user_id, [chat_id])
            return self._save(conn, user_id, takeaway)

    def add_referral(self, user_id: str, referral: ReferralIn, *, chat_id: int | None = None) -> Referral:
        entry = _entry(Referral, chat_id=chat_id, created_at=self._clock(), **referral.model_dump())
        with self._write() as conn:
            self._require(conn, CoffeeChat, user_id, [chat_id])
            return self._save(conn, user_id, entry)

    def set_referral_status(self, user_id: str, referral_id: int, status: ReferralStatus) -> Referral:
        with self._write() as conn:
            self._get(conn, Referral, user_id, referral_id)
            conn.execute(
                "UPDATE referrals SET status = ? WHERE user_id = ? AND id = ?",
                (ReferralStatus(status).value, user_id, referral_id),
            )
            return self._get(conn, Referral, user_id, referral_id)

    def log_intro(self, user_id: str, expert_id: str) -> bool:
        """Count one ask of an expert, so ranking can spread asks; redrafts within a week count once.

        Returns whether a new ask was counted.
        """
        if not expert_id.strip():
            raise JournalInputError("expert_id is empty; log intros with the expert's index id")
        now = self._clock()
        with self._write() as conn:
            recent = conn.execute(
                "SELECT 1 FROM intro_log WHERE user_id = ? AND expert_id = ? AND created_at >= ? LIMIT 1",
                (_user(user_id), expert_id, _stamp(now - INTRO_REDRAFT_WINDOW)),
            ).fetchone()
            if recent:
                return False
            self._insert(conn, "intro_log", user_id, {"expert_id": expert_id, "created_at": now})
            return True

    # --- export and import

    def export_json(self, user_id: str) -> str:
        return journal_io.dump_json(self.snapshot(user_id), exported_at=self._clock())

    def export_markdown(self, user_id: str) -> str:
        return journal_io.render_markdown(self.snapshot(user_id))

    def import_json(self, user_id: str, text: str, *, on_conflict: OnConflict = "skip") -> ImportReport:
        """Add the document's new entries in one transaction; same-uid entries that differ are reported.

        Raises JournalImportError, changing nothing, for a malformed document or (with on_conflict="error")
        for any conflict.
        """
        document = journal_io.parse_document(text)
        with self._write() as conn:
            existing = journal_io.to_entries(self._snapshot(conn, user_id))
            plan = journal_io.plan_import(document, existing, on_conflict)
            self._insert_entries(conn, user_id, plan.new)
        return plan.report

    def _insert_entries(self, conn: sqlite3.Connection, user_id: str, new: JournalEntries) -> None:
        """Insert records parents first, turning uid references into this database's ids."""
        ids: dict[str, dict[str, int]] = {}
        for table in ("wishes", "chats", "questions"):
            ids[table] = dict(
                conn.execute(f"SELECT uid, id FROM {table} WHERE user_id = ?", (user_id,)).fetchall()
            )

        def add(
            table: str, record: BaseModel, wish_uid: str | None = None, chat_uid: str | None = None
        ) -> None:
            values = record.model_dump(exclude={"wish_uid", "chat_uid", "question_uids"})
            refs = {"wish_id": ("wishes", wish_uid), "chat_id": ("chats", chat_uid)}
            values |= {column: ids[t][uid] for column, (t, uid) in refs.items() if uid is not None}
            ids.setdefault(table, {})[str(values["uid"])] = self._insert(conn, table, user_id, values)

        for wish in new.wishes:
            add("wishes", wish)
        for chat in new.chats:
            add("chats", chat)
        for question in new.questions:
            add("questions", question, question.wish_uid, question.chat_uid)
        for chat in new.chats:
            self._link(
                conn, user_id, ids["chats"][chat.uid], [ids["questions"][uid] for uid in chat.question_uids]
            )
        for takeaway in new.takeaways:
            add("takeaways", takeaway, chat_uid=takeaway.chat_uid)
        for referral in new.referrals:
            add("referrals", referral, chat_uid=referral.chat_uid)
