"""Journal actions on both backends: one set of limits, kept/archived/deleted questions, safe retries,
chat dates, sent asks, the cross-instance lock, the v1 upgrade and a full disk."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from coach.journal.database import Database, LockBusy, SharedLock
from coach.journal.schema import LIMITS
from coach.journal.store import Journal, JournalInputError, JournalNotFound, JournalUnavailable
from coach.journal.timeline import questions_by_wish
from coach.models import (
    MAX_JOURNAL_TEXT,
    MAX_NAME_CHARS,
    MAX_WISH_CHARS,
    QUESTION_MAX_CHARS,
    QUESTION_MIN_CHARS,
    WHY_MAX_CHARS,
    LearningQuestion,
    QuestionStatus,
    ReferralIn,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "journal"
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def journal(location: str, clock: Clock) -> Iterator[Journal]:
    with Journal(location, clock=clock) as opened:
        yield opened


def asked(*texts: str) -> list[LearningQuestion]:
    return [LearningQuestion(text=t, why="because") for t in texts]


# --- one set of limits


def test_the_schema_pins_the_limits_every_layer_uses() -> None:
    assert LIMITS == {
        "wish": MAX_WISH_CHARS,
        "question_min": QUESTION_MIN_CHARS,
        "question_max": QUESTION_MAX_CHARS,
        "why": WHY_MAX_CHARS,
        "text": MAX_JOURNAL_TEXT,
        "name": MAX_NAME_CHARS,
    }, "a limit changed in coach/models.py: add a migration that changes the schema's CHECKs too"


@pytest.mark.parametrize(
    "text", ["Why?", "x" * (QUESTION_MAX_CHARS + 1), "a" * (QUESTION_MIN_CHARS - 1) + "   "]
)
def test_a_question_the_coach_could_not_use_is_refused_where_it_is_typed(journal: Journal, text: str) -> None:
    with pytest.raises(ValidationError):
        LearningQuestion(text=text)
    for write in (
        lambda: journal.add_question("alice", text),
        lambda: journal.log_chat("alice", "e1", "Sam", True, ["learned"], [], [text], []),
    ):
        with pytest.raises(JournalInputError, match="text"):
            write()
    assert journal.snapshot("alice") == journal.snapshot("nobody"), "nothing half-saved"


def test_every_stored_question_becomes_a_coach_question(journal: Journal) -> None:
    """What broke the Journal tab: every question the journal holds must convert without an error."""
    edge = ["x" * QUESTION_MIN_CHARS, "y" * QUESTION_MAX_CHARS]
    for text in edge:
        journal.add_question("alice", text, why="w" * WHY_MAX_CHARS)
    for question in journal.list_questions("alice"):
        LearningQuestion(text=question.text, why=question.why)


# --- questions: keep, archive, delete


def test_keeping_questions_twice_adds_nothing(journal: Journal) -> None:
    first = journal.keep_questions(
        "alice", "Learn pricing", asked("How are prices set?", "Who approves discounts?")
    )
    again = journal.keep_questions(
        "alice", "learn PRICING", asked("how are prices set?", "What is a margin?")
    )
    assert [q.id for q in again[:1]] == [first[0].id]
    assert len(journal.list_wishes("alice")) == 1 and len(journal.list_questions("alice")) == 3
    assert {q.wish_id for q in journal.list_questions("alice")} == {journal.list_wishes("alice")[0].id}
    assert journal.snapshot("bob") == journal.snapshot("nobody")


def test_archive_and_delete_a_question(journal: Journal) -> None:
    kept = journal.keep_questions(
        "alice", "Learn pricing", asked("How are prices set?", "Who approves discounts?")
    )
    chat = journal.log_chat(
        "alice", "e1", "Sam", True, ["Prices follow costs"], [], [], [kept[0].id, kept[1].id]
    )
    journal.set_question_status("alice", kept[1].id, QuestionStatus.dropped)
    assert [q.id for q in journal.open_questions("alice")] == []
    gone = journal.delete_question("alice", kept[0].id)
    assert gone.text == "How are prices set?"
    assert [q.id for q in journal.list_questions("alice")] == [kept[1].id]
    assert journal.list_chats("alice")[0].question_ids == [kept[1].id], "the chat keeps its other question"
    assert journal.list_chats("alice")[0].id == chat.id
    with pytest.raises(JournalNotFound):
        journal.delete_question("bob", kept[1].id)
    assert "How are prices set?" not in journal.export_json("alice") + journal.export_markdown("alice")


def test_questions_are_grouped_by_wish_newest_first(journal: Journal) -> None:
    journal.keep_questions("alice", "Learn pricing", asked("How are prices set?"))
    journal.keep_questions("alice", "Learn hiring", asked("How do we hire engineers?"))
    journal.add_question("alice", "My own question here")
    journal.log_chat("alice", "e1", "Sam", True, [], [], ["What came up in the chat?"], [])
    groups = questions_by_wish(journal.snapshot("alice"))
    assert [(title, [q.text for q in qs]) for title, qs in groups] == [
        ("Learn hiring", ["How do we hire engineers?"]),
        ("Learn pricing", ["How are prices set?"]),
        ("From your chats", ["What came up in the chat?"]),
        ("Your own questions", ["My own question here"]),
    ]


# --- one user action, one transaction; retries are safe


def test_a_retried_chat_log_is_saved_once(journal: Journal) -> None:
    question = journal.add_question("alice", "Which metrics matter?")
    key = str(uuid.uuid4())
    form = (
        "alice",
        "e1",
        "Sam",
        True,
        ["learned a lot"],
        [ReferralIn(name="Dana")],
        ["What next then?"],
        [question.id],
    )
    first = journal.log_chat(*form, uid=key)
    second = journal.log_chat(*form, uid=key)
    assert first == second
    snapshot = journal.snapshot("alice")
    assert (
        len(snapshot.chats),
        len(snapshot.takeaways),
        len(snapshot.referrals),
        len(snapshot.questions),
    ) == (
        1,
        1,
        1,
        2,
    )
    other = journal.log_chat("bob", "e1", "Sam", True, ["mine"], [], [], [], uid=key)
    assert other.id != first.id or journal.list_chats("bob") == [other], "a key is scoped to its user"


# --- dates: one zone for a chat's date and the timeline


@pytest.mark.parametrize("server_tz", ["Pacific/Kiritimati", "America/Los_Angeles"])
@pytest.mark.parametrize(
    ("moment", "user_tz", "day"),
    [
        (datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "UTC", date(2026, 11, 2)),
        (datetime(2026, 11, 2, 23, 30, tzinfo=UTC), "Pacific/Auckland", date(2026, 11, 3)),
        (datetime(2026, 11, 3, 2, 0, tzinfo=UTC), "America/New_York", date(2026, 11, 2)),
    ],
)
def test_a_chat_is_dated_on_the_day_its_timeline_shows(
    location: str, server_tz: str, moment: datetime, user_tz: str, day: date, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", server_tz)  # the server's own zone must not matter
    time.tzset()
    try:
        with Journal(location, clock=lambda: moment) as journal:
            chat = journal.log_chat("alice", "e1", "Sam", True, ["learned"], [], [], [], tz=ZoneInfo(user_tz))
            events = journal.timeline("alice", ZoneInfo(user_tz))
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
    assert chat.date == day
    assert {event.at.date() for event in events} == {day}


# --- sent asks


def test_asks_are_counted_across_users_once_a_week_each(journal: Journal, clock: Clock) -> None:
    assert journal.record_ask("alex", "p1", department="Sales") is True
    assert journal.record_ask("alex", "p1") is False, "marking the same request sent twice is one ask"
    assert journal.record_ask("sam", "p1") is True
    clock.now += timedelta(days=8)
    assert journal.record_ask("alex", "p1") is True, "a new request a week later is a new ask"
    assert journal.count_asks(["p1", "p2"], since=START) == {"p1": 3, "p2": 0}


def test_an_ask_keeps_the_questions_it_names(journal: Journal) -> None:
    journal.record_ask("alex", "p1", wish="Learn pricing", questions=asked("How are prices set?"))
    assert [q.text for q in journal.open_questions("alex")] == ["How are prices set?"]
    with pytest.raises(JournalInputError):
        journal.record_ask(
            "alex", "p2", wish="Learn pricing", questions=[LearningQuestion.model_construct(text="?")]
        )
    assert journal.count_asks(["p2"], since=START) == {"p2": 0}, "a bad question leaves no half-counted ask"


# --- one import at a time across instances


def test_the_import_lock_is_exclusive_across_instances(location: str) -> None:
    first, second = Database(location), Database(location)
    try:
        with (
            first.hold("profile-import"),
            pytest.raises(LockBusy, match="another app instance"),
            second.hold("profile-import"),
        ):
            pass
        with second.hold("profile-import", wait=1):
            pass
        # The factory the index runs its writes in (runtime.import_lock) contends for the same lock.
        factory = SharedLock(location, "profile-import")
        with first.hold("profile-import"), pytest.raises(LockBusy), factory():
            pass
        with factory(), pytest.raises(LockBusy), first.hold("profile-import"):
            pass
        with factory():
            pass
    finally:
        first.close()
        second.close()


# --- upgrading the SQLite journal of the previous release


def test_a_v1_sqlite_journal_is_upgraded_without_losing_an_entry(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    shutil.copy(FIXTURES / "journal-v1.sqlite3", path)
    with sqlite3.connect(path) as raw:
        before = {
            t: raw.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("wishes", "questions", "chats")
        }
    with Journal(path) as journal:
        assert journal.schema_version == 2
        snapshot = journal.snapshot("alice")
        after = {kind: len(getattr(snapshot, kind)) for kind in ("wishes", "questions", "chats")}
        assert after == {"wishes": 1, "questions": 4, "chats": 1}
        assert sum(before.values()) == sum(after.values()) + 1, "bob's wish is his, not alice's"
        texts = [q.text for q in snapshot.questions]
        assert "Question: Why?" in texts, "a too-short question is marked, never dropped"
        assert any(t.endswith("…") and len(t) <= QUESTION_MAX_CHARS for t in texts)
        assert "\n" in snapshot.takeaways[0].text, "text within the limits is untouched"
        for question in snapshot.questions:
            LearningQuestion(text=question.text, why=question.why)
        assert journal.count_asks(["fp-01"], since=START - timedelta(days=30)) == {"fp-01": 0}, (
            "drafts never counted"
        )
        old_export = (FIXTURES / "journal-v1-export.json").read_text(encoding="utf-8")
        report = journal.import_json("alice", old_export)
        assert (report.added.total, report.conflicts) == (0, []), "an old backup matches the upgraded journal"
        json.loads(journal.export_json("alice"))
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []


# --- a full disk


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs where the machine allows mounting one (root), else a folder (see the test)."""
    folder = Path(f"/tmp/coach-small-disk-{uuid.uuid4().hex[:8]}")
    folder.mkdir()
    mounted = os.geteuid() == 0 and shutil.which("mount") is not None
    if mounted:
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(folder)], check=False)
        mounted = result.returncode == 0
    try:
        yield folder
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(folder)], check=False)
        shutil.rmtree(folder, ignore_errors=True)


def test_a_full_disk_fails_clearly_and_keeps_what_was_saved(small_disk: Path) -> None:
    path = small_disk / "journal.sqlite3"
    with Journal(path) as journal:
        saved = [journal.add_wish("alice", f"wish number {n}") for n in range(20)]
        if not os.path.ismount(small_disk):  # no tmpfs here: SQLite's own size cap gives the same error
            with journal.db.engine.connect() as conn:
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
            journal.db.engine.dispose()
            from sqlalchemy import event

            event.listen(
                journal.db.engine,
                "connect",
                lambda dbapi, _: dbapi.execute(f"PRAGMA max_page_count = {pages + 2}"),
            )
        big = "x" * (MAX_WISH_CHARS - 10)
        with pytest.raises(JournalUnavailable, match="full") as caught:
            for _ in range(5_000):
                journal.log_chat("alice", "e1", "Sam", True, [big] * 50, [], [], [])
        assert "Nothing was changed" in str(caught.value)
        assert journal.list_wishes("alice") == saved, "reads keep working and nothing saved before is lost"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    with Journal(path) as reopened:
        assert reopened.list_wishes("alice") == saved
        chats = reopened.list_chats("alice")
        assert all(len(reopened.list_takeaways("alice", c.id)) == 50 for c in chats), "no chat is half-saved"
