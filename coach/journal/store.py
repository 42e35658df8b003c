"""The learning journal: each user's wish -> question -> coffee chat loop, in SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, and_, delete, func, insert, select, update

from coach.journal import portable as journal_io
from coach.journal import rows
from coach.journal.database import Database, JournalError, JournalUnavailable
from coach.journal.portable import JournalSnapshot, OnConflict
from coach.journal.restore import ImportReport, plan_import, read_document
from coach.journal.rows import LOCAL_USER, Entry, JournalInputError, JournalNotFound
from coach.journal.schema import MIGRATIONS, TABLES, Migration
from coach.journal.timeline import timeline
from coach.models import (
    ChatStatus,
    CoffeeChat,
    Date,
    LearningQuestion,
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

Clock = Callable[[], datetime]
ASK_REPEAT_WINDOW = timedelta(days=7)  # sending the same person another draft within a week is one ask

__all__ = [
    "LOCAL_USER",
    "MIGRATIONS",
    "Journal",
    "JournalError",
    "JournalInputError",
    "JournalNotFound",
    "JournalUnavailable",
]


def utc_now() -> datetime:
    return datetime.now(UTC)


class Journal:
    """A thread-safe journal; every query is scoped to one user_id, every user action is one transaction."""

    def __init__(
        self,
        location: Path | str | Database,
        *,
        clock: Clock = utc_now,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        self.db = location if isinstance(location, Database) else Database(location, migrations=migrations)
        self._clock = clock
        self._closed = False

    @classmethod
    def open(cls, location: Path | str, *, clock: Clock = utc_now) -> Journal:
        """A path opens SQLite; `postgresql://...` opens a shared PostgreSQL database."""
        return cls(location, clock=clock)

    def close(self) -> None:
        self._closed = True
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        return self.db.schema_version

    def now(self) -> datetime:
        return self._clock()

    def _write(self, user_id: str) -> Any:
        self._check_open()
        return self.db.write(serialize=f"user:{rows.user(user_id)}")

    def _read(self) -> Any:
        self._check_open()
        return self.db.read()

    def _check_open(self) -> None:
        if self._closed:
            raise JournalError("the journal is closed; open it again with Journal.open(location)")

    def _read_list(self, model: type[Entry], user_id: str, *where: Any) -> list[Entry]:
        with self._read() as conn:
            return rows.list_entries(conn, model, user_id, *where)

    # --- reading

    def snapshot(self, user_id: str) -> JournalSnapshot:
        """All of one user's entries, read in one transaction."""
        with self._read() as conn:
            return rows.snapshot(conn, user_id)

    def list_wishes(self, user_id: str) -> list[Wish]:
        return self._read_list(Wish, user_id)

    def list_questions(self, user_id: str, status: QuestionStatus | None = None) -> list[Question]:
        if status is None:
            return self._read_list(Question, user_id)
        return self._read_list(
            Question, user_id, TABLES["questions"].c.status == QuestionStatus(status).value
        )

    def open_questions(self, user_id: str) -> list[Question]:
        return self.list_questions(user_id, QuestionStatus.open)

    def list_chats(self, user_id: str) -> list[CoffeeChat]:
        return self._read_list(CoffeeChat, user_id)

    def list_takeaways(self, user_id: str, chat_id: int | None = None) -> list[Takeaway]:
        if chat_id is None:
            return self._read_list(Takeaway, user_id)
        return self._read_list(Takeaway, user_id, TABLES["takeaways"].c.chat_id == chat_id)

    def list_referrals(self, user_id: str, status: ReferralStatus | None = None) -> list[Referral]:
        if status is None:
            return self._read_list(Referral, user_id)
        return self._read_list(
            Referral, user_id, TABLES["referrals"].c.status == ReferralStatus(status).value
        )

    def pending_referrals(self, user_id: str) -> list[Referral]:
        return self.list_referrals(user_id, ReferralStatus.suggested)

    def timeline(self, user_id: str, tz: tzinfo = UTC) -> list[TimelineEvent]:
        """The user's history, oldest first, with times in `tz` (the zone chat dates are given in)."""
        return timeline(self.snapshot(user_id), tz)

    # --- writing

    def add_wish(self, user_id: str, text: str) -> Wish:
        wish = rows.entry(Wish, text=text, created_at=self._clock())
        with self._write(user_id) as conn:
            return rows.save(conn, user_id, wish)

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
        question = rows.entry(Question, **fields, created_at=self._clock())
        with self._write(user_id) as conn:
            rows.require(conn, Wish, user_id, [wish_id])
            rows.require(conn, CoffeeChat, user_id, [chat_id])
            return rows.save(conn, user_id, question)

    def keep_questions(
        self, user_id: str, wish_text: str, questions: Sequence[LearningQuestion]
    ) -> list[Question]:
        """Save the questions a person kept, under their wish, in one transaction; saving again adds nothing.

        A question already in the journal (same words, any case) is returned as it is, whatever its status.
        """
        kept = self._kept(wish_text, questions, self._clock())
        with self._write(user_id) as conn:
            return self._keep(conn, user_id, *kept)

    def _kept(
        self, wish_text: str, questions: Sequence[LearningQuestion], now: datetime
    ) -> tuple[Wish | None, list[Question]]:
        """The entries to keep, validated before any transaction starts."""
        wish = rows.entry(Wish, text=wish_text, created_at=now) if wish_text.strip() and questions else None
        new = [
            rows.entry(
                Question,
                text=q.text,
                why=q.why,
                source=QuestionSource.coach if q.why else QuestionSource.user,
                created_at=now,
            )
            for q in questions
        ]
        return wish, new

    def _keep(self, conn: Connection, user_id: str, wish: Wish | None, new: list[Question]) -> list[Question]:
        wish_id = None
        if wish is not None:
            same = [
                w for w in rows.list_entries(conn, Wish, user_id) if w.text.casefold() == wish.text.casefold()
            ]
            wish_id = same[-1].id if same else rows.save(conn, user_id, wish).id
        kept: list[Question] = []
        have = {q.text.casefold(): q for q in rows.list_entries(conn, Question, user_id)}
        for question in new:
            found = have.get(question.text.casefold())
            if found is None:
                found = rows.save(conn, user_id, question.model_copy(update={"wish_id": wish_id}))
                have[found.text.casefold()] = found
            kept.append(found)
        return kept

    def set_question_status(self, user_id: str, question_id: int, status: QuestionStatus) -> Question:
        """Change a question's status; answered_at is kept from the first answer and cleared otherwise."""
        status = QuestionStatus(status)
        questions = TABLES["questions"]
        with self._write(user_id) as conn:
            question = rows.get(conn, Question, user_id, question_id)
            answered = (question.answered_at or self._clock()) if status is QuestionStatus.answered else None
            conn.execute(
                update(questions)
                .where(questions.c.user_id == user_id, questions.c.id == question_id)
                .values(status=status.value, answered_at=answered)
            )
            return rows.get(conn, Question, user_id, question_id)

    def delete_question(self, user_id: str, question_id: int) -> Question:
        """Remove a question for good (and its links to chats); archive instead to keep it out of sight."""
        questions, cq = TABLES["questions"], TABLES["chat_questions"]
        with self._write(user_id) as conn:
            question = rows.get(conn, Question, user_id, question_id)
            conn.execute(delete(cq).where(cq.c.user_id == user_id, cq.c.question_id == question_id))
            conn.execute(
                delete(questions).where(questions.c.user_id == user_id, questions.c.id == question_id)
            )
            return question

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
        chat = rows.entry(CoffeeChat, **fields, status=ChatStatus.planned, created_at=self._clock())
        with self._write(user_id) as conn:
            return rows.save(conn, user_id, chat)

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
        uid: str | None = None,
        tz: tzinfo = UTC,
    ) -> CoffeeChat:
        """Save the after-chat form in one transaction; covered questions become answered if it happened.

        Blank takeaways and new questions are skipped. With `chat_id`, a planned chat is closed instead of a
        new one being created. Referrals are kept even when the chat did not happen: a decline often names
        someone else. `uid` makes a retry safe: a second call with the same uid returns the saved chat and
        adds nothing. Without `on`, the chat is dated today in `tz` (the zone the timeline is shown in).
        """
        now = self._clock()
        status = ChatStatus.done if happened else ChatStatus.cancelled
        outcome = {"status": status, "logged_at": now, "notes": notes}
        covered = list(dict.fromkeys(question_ids_covered))
        found: list[Takeaway | Referral | Question] = [
            rows.entry(Takeaway, chat_id=0, text=t, created_at=now) for t in takeaways if t.strip()
        ]
        found += [rows.entry(Referral, chat_id=0, created_at=now, **r.model_dump()) for r in referrals]
        found += [
            rows.entry(Question, chat_id=0, text=q, source=QuestionSource.chat, created_at=now)
            for q in new_questions
            if q.strip()
        ]
        day = on or now.astimezone(tz).date()
        with self._write(user_id) as conn:
            if uid is not None:
                done = rows.list_entries(conn, CoffeeChat, user_id, TABLES["chats"].c.uid == uid)
                if done:
                    return done[0]
            if chat_id is None:
                fields = {"expert_id": expert_id, "expert_name": expert_name, "question_ids": covered}
                chat = rows.entry(CoffeeChat, **fields, **outcome, date=day, created_at=now)
                if uid is not None:
                    chat = chat.model_copy(update={"uid": uid})
                chat_id = rows.save(conn, user_id, chat).id
            else:
                self._close_planned(conn, user_id, chat_id, expert_id, {**outcome, "date": on}, covered)
            if happened and covered:
                q = TABLES["questions"]
                conn.execute(
                    update(q)
                    .where(q.c.user_id == user_id, q.c.status == "open", q.c.id.in_(covered))
                    .values(status="answered", answered_at=now)
                )
            for entry in found:
                rows.save(conn, user_id, entry.model_copy(update={"chat_id": chat_id}))
            return rows.get(conn, CoffeeChat, user_id, chat_id)

    def _close_planned(
        self,
        conn: Connection,
        user_id: str,
        chat_id: int,
        expert_id: str,
        outcome: dict[str, object],
        covered: list[int],
    ) -> None:
        chat = rows.get(conn, CoffeeChat, user_id, chat_id)
        if chat.status is not ChatStatus.planned:
            raise JournalInputError(
                f"chat {chat_id} is already logged as {chat.status}; log a new chat instead"
            )
        if chat.expert_id != expert_id.strip():
            raise JournalInputError(f"chat {chat_id} was planned with {chat.expert_name}, not {expert_id!r}")
        outcome["date"] = outcome["date"] or chat.date
        closed = rows.entry(CoffeeChat, **{**chat.model_dump(), **outcome})
        chats = TABLES["chats"]
        conn.execute(
            update(chats)
            .where(chats.c.user_id == user_id, chats.c.id == chat_id)
            .values(
                status=closed.status.value, logged_at=closed.logged_at, notes=closed.notes, date=closed.date
            )
        )
        rows.link(conn, user_id, chat_id, covered)

    def add_takeaway(self, user_id: str, chat_id: int, text: str) -> Takeaway:
        takeaway = rows.entry(Takeaway, chat_id=chat_id, text=text, created_at=self._clock())
        with self._write(user_id) as conn:
            rows.require(conn, CoffeeChat, user_id, [chat_id])
            return rows.save(conn, user_id, takeaway)

    def add_referral(self, user_id: str, referral: ReferralIn, *, chat_id: int | None = None) -> Referral:
        referral_entry = rows.entry(
            Referral, chat_id=chat_id, created_at=self._clock(), **referral.model_dump()
        )
        with self._write(user_id) as conn:
            rows.require(conn, CoffeeChat, user_id, [chat_id])
            return rows.save(conn, user_id, referral_entry)

    def set_referral_status(self, user_id: str, referral_id: int, status: ReferralStatus) -> Referral:
        referrals = TABLES["referrals"]
        with self._write(user_id) as conn:
            rows.get(conn, Referral, user_id, referral_id)
            conn.execute(
                update(referrals)
                .where(referrals.c.user_id == user_id, referrals.c.id == referral_id)
                .values(status=ReferralStatus(status).value)
            )
            return rows.get(conn, Referral, user_id, referral_id)

    # --- asks: sent intro requests, counted across all users so ranking can spread them

    def record_ask(
        self,
        user_id: str,
        expert_id: str,
        *,
        department: str | None = None,
        wish: str = "",
        questions: Sequence[LearningQuestion] = (),
    ) -> bool:
        """Count one sent request to an expert, and keep the questions it asks, in one transaction.

        Sending the same person again within a week counts once. Returns whether a new ask was counted.
        """
        if not expert_id.strip():
            raise JournalInputError("expert_id is empty; record asks with the expert's index id")
        now = self._clock()
        asks = TABLES["asks"]
        kept = self._kept(wish, questions, now)
        with self._write(user_id) as conn:
            self._keep(conn, user_id, *kept)
            recent = conn.execute(
                select(asks.c.id).where(
                    asks.c.user_id == user_id,
                    asks.c.expert_id == expert_id,
                    asks.c.created_at >= now - ASK_REPEAT_WINDOW,
                )
            ).first()
            if recent is not None:
                return False
            conn.execute(
                insert(asks).values(
                    user_id=user_id, expert_id=expert_id, department=department, created_at=now
                )
            )
            return True

    def count_asks(self, expert_ids: Iterable[str], since: datetime) -> dict[str, int]:
        """Sent requests per expert since a moment, across all users; exposes counts only."""
        ids = sorted(set(expert_ids))
        asks = TABLES["asks"]
        query = (
            select(asks.c.expert_id, func.count())
            .where(and_(asks.c.created_at >= since, asks.c.expert_id.in_(ids)))
            .group_by(asks.c.expert_id)
        )
        with self._read() as conn:
            found = {expert: int(n) for expert, n in conn.execute(query)} if ids else {}
        return {expert_id: found.get(expert_id, 0) for expert_id in ids}

    def record_searches(
        self, user_id: str, records: Sequence[tuple[str, int, bool]], department: str | None = None
    ) -> None:
        """Remember (topic, people who fit, nobody fits) per matched question, for the people team's insights.

        No question text is stored: insights can only ever show aggregates.
        """
        if not records:
            return
        now = self._clock()
        values = [
            {
                "user_id": rows.user(user_id),
                "department": department,
                "topic": topic[:200],
                "fitting": int(fitting),
                "nobody_fits": bool(nobody),
                "created_at": now,
            }
            for topic, fitting, nobody in records
        ]
        with self._write(user_id) as conn:
            conn.execute(insert(TABLES["searches"]), values)

    # --- export and import

    def export_json(self, user_id: str) -> str:
        return journal_io.dump_json(self.snapshot(user_id), exported_at=self._clock())

    def export_markdown(self, user_id: str) -> str:
        return journal_io.render_markdown(self.snapshot(user_id))

    def import_json(self, user_id: str, text: str, *, on_conflict: OnConflict = "skip") -> ImportReport:
        """Add the document's new entries in one transaction; same-uid entries that differ are reported.

        Entries that break a rule, or point at entries that are nowhere, are left out and listed in
        `report.rejected`; the rest go in. Raises JournalImportError, changing nothing, for a file that is
        not a journal export, or (with on_conflict="error") for any conflict.
        """
        document = read_document(text)
        with self._write(user_id) as conn:
            existing = journal_io.to_entries(rows.snapshot(conn, user_id))
            plan = plan_import(document, existing, on_conflict)
            rows.insert_entries(conn, user_id, plan.new)
        return plan.report
