"""The learning journal: persistence, per-user isolation, migrations, export/import, crash safety."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine, inspect, text

from coach.errors import CoachError, CoachInputError
from coach.journal.database import JournalMigrationError, journal_url
from coach.journal.restore import JournalImportConflict, JournalImportError
from coach.journal.store import MIGRATIONS, Journal, JournalError, JournalInputError, JournalNotFound
from coach.models import (
    MAX_WISH_CHARS,
    ChatStatus,
    QuestionSource,
    QuestionStatus,
    ReferralIn,
    ReferralStatus,
    TimelineKind,
)
from tests.hostile.literal import visible_text

REPO = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class TickingClock:
    """A fake clock that moves one second per reading, so every entry gets a distinct, known time."""

    now: datetime = START
    step: timedelta = timedelta(seconds=1)

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a journal lives: a SQLite file, or a fresh database on a real PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite3")
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def journal(location: str, clock: TickingClock) -> Iterator[Journal]:
    with Journal(location, clock=clock) as opened:
        yield opened


@dataclass
class Filled:
    """The ids of a journal that holds every entry type, as the loop in PRODUCT.md creates them."""

    wish_id: int
    question_ids: list[int] = field(default_factory=list)
    chat_ids: list[int] = field(default_factory=list)


def fill(journal: Journal, user: str) -> Filled:
    wish = journal.add_wish(user, "I want to understand traditional publishing")
    metrics = journal.add_question(
        user, "Which metrics does the division watch?", why="read their reports", source=QuestionSource.coach
    )
    goals = journal.add_question(user, "What revenue goals shape the strategy?", wish_id=wish.id)
    advance = journal.add_question(user, "What makes an advance worth paying?", wish_id=wish.id)
    journal.set_question_status(user, goals.id, QuestionStatus.dropped)
    planned = journal.plan_chat(
        user, "fp-01", "Sam Finance", on=date(2026, 11, 10), question_ids=[metrics.id]
    )
    done = journal.log_chat(
        user,
        "fp-01",
        "Sam Finance",
        happened=True,
        takeaways=["Title P&L drives acquisitions", "Returns hit the numbers late"],
        referrals=[ReferralIn(expert_id="sa-02", name="Dana Sales", note="ask about returns")],
        new_questions=["How do retailer returns show up in the numbers?"],
        question_ids_covered=[metrics.id, advance.id],
        chat_id=planned.id,
        notes="Bring the Q3 report next time",
    )
    declined = journal.log_chat(
        user,
        "vp-03",
        "Vic Strategy",
        happened=False,
        takeaways=[],
        referrals=[ReferralIn(name="Chief of staff", note="knows who owns what")],
        new_questions=[],
        question_ids_covered=[],
        on=date(2026, 11, 12),
    )
    journal.add_referral(user, ReferralIn(name="A librarian from the book club"))
    return Filled(wish.id, [metrics.id, goals.id, advance.id], [done.id, declined.id])


def test_fill_creates_every_entry_type(journal: Journal) -> None:
    fill(journal, "alice")
    snapshot = journal.snapshot("alice")
    counts = {
        kind: len(getattr(snapshot, kind))
        for kind in ("wishes", "questions", "chats", "takeaways", "referrals")
    }
    assert counts == {"wishes": 1, "questions": 4, "chats": 2, "takeaways": 2, "referrals": 3}
    assert {q.source for q in snapshot.questions} == set(QuestionSource)
    assert {q.status for q in snapshot.questions} == set(QuestionStatus)


def test_log_chat_closes_questions_and_records_the_form(journal: Journal) -> None:
    ids = fill(journal, "alice")
    metrics, goals, advance, follow_up = journal.list_questions("alice")
    done, declined = journal.list_chats("alice")
    assert (done.status, done.question_ids) == (ChatStatus.done, [metrics.id, advance.id])
    assert done.notes == "Bring the Q3 report next time"
    assert declined.status is ChatStatus.cancelled and declined.date == date(2026, 11, 12)
    assert [q.status for q in (metrics, goals, advance, follow_up)] == [
        "answered",
        "dropped",
        "answered",
        "open",
    ]
    assert metrics.answered_at == done.logged_at and goals.answered_at is None
    assert (follow_up.source, follow_up.chat_id) == (QuestionSource.chat, ids.chat_ids[0])
    assert [t.text for t in journal.list_takeaways("alice", done.id)] == [
        "Title P&L drives acquisitions",
        "Returns hit the numbers late",
    ]
    assert [q.id for q in journal.open_questions("alice")] == [follow_up.id]
    with pytest.raises(JournalInputError, match="already logged"):
        journal.log_chat("alice", "fp-01", "Sam Finance", True, [], [], [], [], chat_id=done.id)


def test_log_chat_is_one_transaction(journal: Journal) -> None:
    question = journal.add_question("alice", "Which metrics matter?")
    with pytest.raises(JournalNotFound):
        journal.log_chat("alice", "fp-01", "Sam", True, ["learned"], [], ["next?"], [question.id, 999])
    assert journal.list_chats("alice") == [] and journal.list_takeaways("alice") == []
    assert journal.list_questions("alice") == [question]


def test_referrals_move_from_suggested_to_contacted(journal: Journal) -> None:
    fill(journal, "alice")
    first, *rest = journal.pending_referrals("alice")
    contacted = journal.set_referral_status("alice", first.id, ReferralStatus.contacted)
    assert contacted.status is ReferralStatus.contacted
    assert journal.pending_referrals("alice") == rest and len(rest) == 2


def test_timeline_follows_the_loop(journal: Journal) -> None:
    fill(journal, "alice")
    kinds = [event.kind for event in journal.timeline("alice")]
    k = TimelineKind
    assert kinds == [
        k.wish, k.question, k.question, k.question, k.chat_planned,
        k.chat_done, k.question_answered, k.question_answered, k.takeaway, k.takeaway, k.referral, k.question,
        k.chat_cancelled, k.referral, k.referral,
    ]  # fmt: skip
    events = journal.timeline("alice")
    assert [e.at for e in events] == sorted(e.at for e in events)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda j: j.add_wish("alice", "   "), "at least 1 character"),
        (lambda j: j.add_wish("alice", "x" * (MAX_WISH_CHARS + 1)), f"at most {MAX_WISH_CHARS}"),
        (lambda j: j.add_wish("", "a wish"), "user_id is empty"),
        (lambda j: j.add_referral("alice", ReferralIn.model_construct(expert_id=None, name="")), "referral"),
        (lambda j: j.record_ask("alice", " "), "expert_id is empty"),
    ],
)
def test_bad_input_is_refused_with_a_hint(
    journal: Journal, call: Callable[[Journal], Any], message: str
) -> None:
    with pytest.raises(JournalInputError, match=message) as caught:
        call(journal)
    assert isinstance(caught.value, CoachInputError)
    assert journal.snapshot("alice") == journal.snapshot("nobody")


# --- users


def other_users_entries(journal: Journal) -> list[Callable[[Filled], Any]]:
    """Every way bob could try to touch alice's entries by id."""
    return [
        lambda a: journal.set_question_status("bob", a.question_ids[0], QuestionStatus.dropped),
        lambda a: journal.add_question("bob", "Mine?", wish_id=a.wish_id),
        lambda a: journal.add_question("bob", "Mine?", chat_id=a.chat_ids[0]),
        lambda a: journal.add_takeaway("bob", a.chat_ids[0], "stolen"),
        lambda a: journal.add_referral("bob", ReferralIn(name="x"), chat_id=a.chat_ids[0]),
        lambda a: journal.set_referral_status("bob", 1, ReferralStatus.contacted),
        lambda a: journal.log_chat("bob", "fp-01", "Sam", True, ["t"], [], [], [a.question_ids[2]]),
        lambda a: journal.log_chat("bob", "fp-01", "Sam", True, ["t"], [], [], [], chat_id=a.chat_ids[0]),
    ]


@pytest.mark.parametrize("attempt", range(8))
def test_one_user_cannot_touch_another_users_entries(journal: Journal, attempt: int) -> None:
    alice = fill(journal, "alice")
    before = journal.snapshot("alice")
    with pytest.raises(JournalNotFound):
        other_users_entries(journal)[attempt](alice)
    assert journal.snapshot("alice") == before
    assert journal.snapshot("bob") == journal.snapshot("nobody")


def test_users_see_only_their_own_journal(journal: Journal) -> None:
    fill(journal, "alice")
    bob_wish = journal.add_wish("bob", "Learn how audiobooks are produced")
    assert journal.list_wishes("bob") == [bob_wish]
    assert journal.timeline("bob")[0].text == bob_wish.text and len(journal.timeline("bob")) == 1
    assert "traditional publishing" not in journal.export_json("bob") + journal.export_markdown("bob")
    assert journal.open_questions("bob") == journal.pending_referrals("bob") == []


def test_same_export_can_live_under_two_users(journal: Journal) -> None:
    fill(journal, "alice")
    journal.import_json("bob", journal.export_json("alice"))
    bobs_question = journal.list_questions("bob")[0]
    journal.set_question_status("bob", bobs_question.id, QuestionStatus.dropped)
    assert journal.list_questions("alice")[0].status is QuestionStatus.answered
    assert [w.uid for w in journal.list_wishes("bob")] == [w.uid for w in journal.list_wishes("alice")]


# --- export and import


def test_json_round_trip_into_a_fresh_database(journal: Journal, tmp_path: Path) -> None:
    fill(journal, "alice")
    document = journal.export_json("alice")
    with Journal.open(tmp_path / "fresh.sqlite3") as fresh:  # e.g. PostgreSQL -> SQLite
        report = fresh.import_json("alice", document)
        assert fresh.snapshot("alice") == journal.snapshot("alice")
        assert fresh.timeline("alice") == journal.timeline("alice")
    assert (report.added.total, report.unchanged.total, report.conflicts) == (12, 0, [])
    header = json.loads(document)
    assert (header["format"], header["version"]) == ("question-coach-journal", 1)


def test_markdown_export_lists_every_entry_in_time_order(journal: Journal) -> None:
    fill(journal, "alice")
    markdown = journal.export_markdown("alice")
    snapshot = journal.snapshot("alice")
    texts = [w.text for w in snapshot.wishes] + [t.text for t in snapshot.takeaways]
    texts += [f"{q.status} {q.text}" for q in snapshot.questions] + [r.note for r in snapshot.referrals]
    texts += ["2026-11-10: Sam Finance (done)", "2026-11-12: Vic Strategy (cancelled)", "Dana Sales (sa-02)"]
    shown = visible_text(markdown)  # as read once rendered: user text is escaped in the Markdown itself
    missing = [text for text in texts if text not in shown]
    assert missing == []
    order = ["## Wishes", "## Questions", "## Coffee chats", "Sam Finance (done)", "Vic Strategy", "## Other"]
    assert [markdown.index(heading) for heading in order] == sorted(markdown.index(h) for h in order)


def _edit(path: list[str | int], value: object) -> Callable[[dict[str, Any]], None]:
    def apply(document: dict[str, Any]) -> None:
        target: Any = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return apply


def _repeat_first_question_uid(document: dict[str, Any]) -> None:
    questions = document["entries"]["questions"]
    questions[1]["uid"] = questions[0]["uid"]


@dataclass(frozen=True)
class BadDocument:
    name: str
    edit: Callable[[dict[str, Any]], None] | None
    message: str
    raw: str | None = None


# A file that is not a journal export at all is refused whole.
BAD_DOCUMENTS = [
    BadDocument("not json", None, "not a JSON document", raw="{not json"),
    BadDocument("a list", None, "not a question-coach journal", raw="[]"),
    BadDocument("wrong format", _edit(["format"], "other-app"), "not a question-coach journal"),
    BadDocument("newer version", _edit(["version"], 2), "version 2 is not supported"),
    BadDocument("entries not an object", _edit(["entries"], []), '"entries" must be an object'),
    BadDocument("unknown kind", _edit(["entries", "moods"], []), "unknown field 'moods'"),
    BadDocument("naive export time", _edit(["exported_at"], "2026-11-01T10:00:00"), "timezone"),
]


@pytest.mark.parametrize("case", BAD_DOCUMENTS, ids=[case.name for case in BAD_DOCUMENTS])
def test_a_file_that_is_no_journal_export_is_refused_and_changes_nothing(
    journal: Journal, case: BadDocument
) -> None:
    fill(journal, "alice")
    document = json.loads(journal.export_json("alice"))
    # A valid new entry beside the broken envelope: it must not be imported either.
    document["entries"]["wishes"].append({**document["entries"]["wishes"][0], "uid": "new-wish"})
    if case.edit is not None:
        case.edit(document)
    before = {user: journal.snapshot(user) for user in ("alice", "bob")}
    for user in before:
        with pytest.raises(JournalImportError, match=case.message) as caught:
            journal.import_json(user, case.raw or json.dumps(document))
        assert isinstance(caught.value, CoachError)
    assert {user: journal.snapshot(user) for user in before} == before


# One bad entry is left out with its reason; the rest of the backup is restored.
BAD_ENTRIES = [
    BadDocument("bad status", _edit(["entries", "questions", 1, "status"], "maybe"), "status"),
    BadDocument("empty text", _edit(["entries", "wishes", 0, "text"], " "), "text: String should have"),
    BadDocument(
        "naive time", _edit(["entries", "wishes", 0, "created_at"], "2026-11-01T10:00:00"), "timezone"
    ),
    BadDocument("unknown field", _edit(["entries", "takeaways", 0, "mood"], "happy"), "mood: Extra inputs"),
    BadDocument(
        "dangling ref", _edit(["entries", "takeaways", 0, "chat_uid"], "nope"), "'nope' matches none"
    ),
    BadDocument("duplicate uid", _repeat_first_question_uid, "more than once"),
    BadDocument("not an object", _edit(["entries", "referrals", 0], "hello"), "valid dictionary"),
]


@pytest.mark.parametrize("case", BAD_ENTRIES, ids=[case.name for case in BAD_ENTRIES])
def test_a_bad_entry_is_left_out_with_its_reason_and_the_rest_goes_in(
    journal: Journal, case: BadDocument
) -> None:
    fill(journal, "alice")
    document = json.loads(journal.export_json("alice"))
    document["entries"]["wishes"].append(
        {"uid": "new-wish", "text": "Learn rights", "created_at": START.isoformat()}
    )
    assert case.edit is not None
    case.edit(document)
    before = journal.snapshot("alice")
    report = journal.import_json("bob", json.dumps(document))
    assert report.rejected and all(r.reason for r in report.rejected)
    assert any(re.search(case.message, str(r)) for r in report.rejected), [str(r) for r in report.rejected]
    assert "new-wish" in {w.uid for w in journal.list_wishes("bob")}
    assert report.added.total == len(_uids(journal, "bob"))
    assert journal.snapshot("alice") == before
    restored = json.loads(journal.export_json("bob"))["entries"]
    left_out = {(r.kind, r.uid) for r in report.rejected}
    for kind, entries in restored.items():
        assert not {(kind, e["uid"]) for e in entries} & left_out


def _uids(journal: Journal, user: str) -> list[str]:
    entries = json.loads(journal.export_json(user))["entries"]
    return [e["uid"] for kind in entries.values() for e in kind]


def test_reimport_is_idempotent(journal: Journal) -> None:
    fill(journal, "alice")
    document = journal.export_json("alice")
    before = journal.snapshot("alice")
    report = journal.import_json("alice", document, on_conflict="error")
    again = journal.import_json("alice", document)
    assert journal.snapshot("alice") == before
    assert report == again and report.added.total == 0 and report.unchanged.total == 12


def test_conflicts_are_reported_never_overwritten(journal: Journal) -> None:
    fill(journal, "alice")
    exported = json.loads(journal.export_json("alice"))
    exported["entries"]["wishes"].append(
        {"uid": "w-new", "text": "Learn rights", "created_at": START.isoformat()}
    )
    open_question = journal.open_questions("alice")[0]
    journal.set_question_status("alice", open_question.id, QuestionStatus.answered)
    before = journal.snapshot("alice")

    with pytest.raises(JournalImportConflict, match="questions") as caught:
        journal.import_json("alice", json.dumps(exported), on_conflict="error")
    assert journal.snapshot("alice") == before
    assert [(c.uid, c.fields) for c in caught.value.conflicts] == [
        (open_question.uid, ["status", "answered_at"])
    ]

    report = journal.import_json("alice", json.dumps(exported))
    assert [c.uid for c in report.conflicts] == [open_question.uid] and report.added.wishes == 1
    assert journal.list_questions("alice", QuestionStatus.answered)[-1].uid == open_question.uid


# --- schema and durability


def add_priority(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE questions ADD COLUMN priority INTEGER NOT NULL DEFAULT 0"))


def broken(conn: Connection) -> None:
    add_priority(conn)
    conn.execute(text("SELECT * FROM no_such_table"))


def columns(location: str, table: str) -> set[str]:
    engine = create_engine(journal_url(location))
    try:
        return {column["name"] for column in inspect(engine).get_columns(table)}
    finally:
        engine.dispose()


def test_opening_an_older_database_migrates_it(location: str, clock: TickingClock) -> None:
    latest = len(MIGRATIONS)
    with Journal(location, clock=clock) as old:
        fill(old, "alice")
        before = old.snapshot("alice")
        assert old.schema_version == latest
    with Journal(location, clock=clock, migrations=(*MIGRATIONS, add_priority)) as new:
        assert new.schema_version == latest + 1
        assert new.snapshot("alice") == before
    assert "priority" in columns(location, "questions")


def test_a_failing_migration_leaves_the_old_schema(location: str) -> None:
    Journal(location).close()
    with pytest.raises(JournalMigrationError, match="stays at schema 2"):
        Journal(location, migrations=(*MIGRATIONS, broken))
    with Journal(location) as reopened:
        assert reopened.schema_version == len(MIGRATIONS)
    assert "priority" not in columns(location, "questions")


def test_a_newer_database_is_refused(location: str) -> None:
    Journal(location, migrations=(*MIGRATIONS, add_priority)).close()
    with pytest.raises(JournalError, match=f"newer than this app's {len(MIGRATIONS)}; upgrade"):
        Journal(location)


def test_sqlite_settings_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "journal.sqlite3"
    with Journal.open(path) as first:
        wish = first.add_wish("local", "Learn the numbers")
    with Journal.open(path) as second:
        assert second.list_wishes("local") == [wish]
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    with pytest.raises(JournalError, match="closed"):
        second.list_wishes("local")


def test_threads_share_one_journal(journal: Journal) -> None:
    errors: list[BaseException] = []

    def write(user: str) -> None:
        try:
            for n in range(25):
                journal.add_wish(user, f"wish {n}")
                journal.list_wishes(user)
        except BaseException as exc:  # surfaced below: a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(f"user-{i % 4}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [len(journal.list_wishes(f"user-{i}")) for i in range(4)] == [50] * 4


def test_committed_sqlite_entries_survive_sigkill(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite3"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.journal_writer", str(path)]
    writer = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    printed: list[str] = []
    deadline = time.monotonic() + 8
    try:
        while len(printed) < 200 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            printed.append(line)
        writer.send_signal(signal.SIGKILL)
        printed += writer.stdout.readlines()  # lines already in the pipe were committed too
    finally:
        writer.kill()
        writer.wait(timeout=5)
    assert writer.returncode == -signal.SIGKILL
    assert len(printed) >= 200

    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    with Journal.open(path) as reopened:
        snapshot = reopened.snapshot("local")
    stored = {
        (kind, entry.uid) for kind in ("wishes", "questions", "chats") for entry in getattr(snapshot, kind)
    }
    committed = {tuple(line.split()) for line in printed}
    assert committed - stored == set()


# --- sent asks


@pytest.mark.parametrize(
    ("since", "expected"),
    [
        (START - timedelta(days=30), {"e1": 3, "e2": 1, "e3": 0}),
        (START - timedelta(days=7), {"e1": 2, "e2": 1, "e3": 0}),
        (START - timedelta(hours=2), {"e1": 1, "e2": 1, "e3": 0}),
        (START + timedelta(hours=1), {"e1": 0, "e2": 0, "e3": 0}),
    ],
)
def test_ask_counts_span_all_users_within_the_window(
    journal: Journal, clock: TickingClock, since: datetime, expected: dict[str, int]
) -> None:
    for user, expert, age in [
        ("alice", "e1", timedelta(days=10)),
        ("bob", "e1", timedelta(days=1)),
        ("carol", "e2", timedelta(hours=1)),
        ("alice", "e1", timedelta(0)),
    ]:
        clock.now = START - age - clock.step
        journal.record_ask(user, expert)
    assert journal.count_asks(["e3", "e1", "e2", "e1"], since) == expected
