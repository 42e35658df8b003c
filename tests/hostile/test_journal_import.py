"""Property-based journal import (hypothesis): hostile files never crash it, good entries still go in.

Random bytes, BOMs and UTF-16/32, wrong types, huge fields, control characters in uids, formulas as
text, entries pointing at entries that are nowhere; through `Journal.import_json` and through the real
`coach journal import`. Each bad entry is left out with its own reason (and so is whatever depends on
it), everything else is restored, and a refused file changes nothing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coach.errors import CoachError
from coach.journal.restore import JournalImportError, read_file
from coach.journal.store import Journal
from tests.hostile.cli import run_coach
from tests.hostile.literal import PROPERTY
from tests.test_profile_properties import ENCODINGS, FORMULAS, text

WHEN = "2026-11-02T09:00:00+00:00"
MAX_BYTES = 2_000_000
wrong_type = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
)
not_a_time = st.one_of(st.none(), st.lists(st.integers(), max_size=3), st.text(alphabet="abc:T-", max_size=8))
question_text = st.one_of(text.filter(lambda t: len(t) >= 5), st.sampled_from(FORMULAS))


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "journal.sqlite3") as opened:
        yield opened


@dataclass
class Plan:
    """A document, and what an import of it must do: which entries go in, which are left out."""

    entries: dict[str, list[Any]] = field(
        default_factory=lambda: {k: [] for k in ("wishes", "questions", "chats", "takeaways", "referrals")}
    )
    good: dict[str, set[str]] = field(default_factory=dict)
    bad: set[tuple[str, int]] = field(default_factory=set)
    texts: dict[str, str] = field(default_factory=dict)

    def add(self, kind: str, item: Any, *, ok: bool) -> None:
        if ok:
            self.good.setdefault(kind, set()).add(item["uid"])
        else:
            self.bad.add((kind, len(self.entries[kind])))
        self.entries[kind].append(item)

    def document(self) -> str:
        return json.dumps(
            {"format": "question-coach-journal", "version": 1, "entries": self.entries}, ensure_ascii=False
        )


@st.composite
def bad_entry(draw: st.DrawFn, uid: str) -> Any:
    """A wish with one thing wrong with it."""
    entry: dict[str, Any] = {"uid": uid, "text": "Learn rights", "created_at": WHEN}
    fault = draw(
        st.sampled_from(
            [
                "wrong type",
                "huge text",
                "huge uid",
                "missing",
                "not an object",
                "control uid",
                "naive",
                "extra",
            ]
        )
    )
    if fault == "wrong type":
        name = draw(st.sampled_from(["text", "created_at", "uid"]))
        # A number is a fine time (seconds since 1970, as pydantic reads it), so times get other types.
        entry[name] = draw(wrong_type if name != "created_at" else not_a_time)
    elif fault == "huge text":
        entry["text"] = "x" * draw(st.integers(2_001, 200_000))
    elif fault == "huge uid":
        entry["uid"] = "u" * draw(st.integers(101, 100_000))
    elif fault == "missing":
        del entry[draw(st.sampled_from(["text", "created_at", "uid"]))]
    elif fault == "not an object":
        return draw(st.one_of(wrong_type, st.sampled_from(FORMULAS)))
    elif fault == "control uid":
        entry["uid"] = uid + draw(st.sampled_from(["\x00", "\x1b[2J", "\x7f", "\u009b"]))
    elif fault == "naive":
        entry["created_at"] = "2026-11-02T09:00:00"
    else:
        entry[draw(st.sampled_from(["mood", "id", "", "=1+1"]))] = "x"
    return entry


@st.composite
def mixed_documents(draw: st.DrawFn) -> Plan:
    """Good wishes, bad wishes, and questions under either: those under a bad wish must be left out too."""
    plan = Plan()
    wishes: list[tuple[str, bool]] = []
    for i in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            wish = {
                "uid": f"good-w{i}",
                "text": draw(st.one_of(text, st.sampled_from(FORMULAS))),
                "created_at": WHEN,
            }
            plan.texts[wish["uid"]] = wish["text"]
            plan.add("wishes", wish, ok=True)
            wishes.append((wish["uid"], True))
        else:
            plan.add("wishes", draw(bad_entry(f"bad-w{i}")), ok=False)
            wishes.append((f"bad-w{i}", False))
    for i in range(draw(st.integers(0, 5))):
        wish_uid, ok = draw(st.sampled_from([*wishes, ("nowhere", False)]))
        question = {"uid": f"q{i}", "text": draw(question_text), "created_at": WHEN, "wish_uid": wish_uid}
        plan.add("questions", question, ok=ok)
    return plan


@PROPERTY
@given(plan=mixed_documents())
def test_good_entries_go_in_and_each_bad_one_is_left_out_with_its_reason(
    journal: Journal, plan: Plan
) -> None:
    user = uuid.uuid4().hex
    report = journal.import_json(user, plan.document())
    assert {(r.kind, r.index) for r in report.rejected} == plan.bad, [str(r) for r in report.rejected]
    assert all(r.reason and len(str(r)) < 1_000 for r in report.rejected), "reasons are short and present"
    assert all(str(r).isprintable() for r in report.rejected), "no control character reaches a terminal"
    snapshot = journal.snapshot(user)
    assert {w.uid for w in snapshot.wishes} == plan.good.get("wishes", set())
    assert {q.uid for q in snapshot.questions} == plan.good.get("questions", set())
    assert report.added.total == len(snapshot.wishes) + len(snapshot.questions)
    for wish in snapshot.wishes:  # formulas and markup are kept as typed, as data
        assert wish.text == plan.texts[wish.uid]
    again = journal.import_json(user, plan.document())
    assert again.added.total == 0 and journal.snapshot(user) == snapshot, "a second import adds nothing"


@PROPERTY
@given(data=st.binary(max_size=2_000))
def test_random_bytes_are_a_clear_error_or_an_import_never_a_crash(
    journal: Journal, tmp_path: Path, data: bytes
) -> None:
    path = tmp_path / "backup.json"
    path.write_bytes(data)
    user = uuid.uuid4().hex
    try:
        report = journal.import_json(user, read_file(path, MAX_BYTES))
    except JournalImportError as exc:
        assert str(exc) and isinstance(exc, CoachError)
        assert journal.snapshot(user) == journal.snapshot("nobody"), "a refused file changes nothing"
        return
    entries = json.loads(journal.export_json(user))["entries"]  # every reference resolves, or this fails
    assert report.added.total == sum(len(kind) for kind in entries.values())


@PROPERTY
@given(
    structure=st.recursive(
        st.one_of(wrong_type, st.text(max_size=20)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.dictionaries(st.sampled_from(["entries", "wishes", "uid", "text", "x"]), inner, max_size=4),
        ),
        max_leaves=20,
    ),
    where=st.sampled_from(["entries", "wishes", "document"]),
)
def test_any_json_shape_is_read_without_a_crash(journal: Journal, structure: Any, where: str) -> None:
    if where == "document":
        document: Any = structure
    elif where == "entries":
        document = {"format": "question-coach-journal", "version": 1, "entries": structure}
    else:
        document = {"format": "question-coach-journal", "version": 1, "entries": {"wishes": structure}}
    user = uuid.uuid4().hex
    try:
        report = journal.import_json(user, json.dumps(document))
    except JournalImportError as exc:
        assert str(exc)
        return
    assert report.added.total == len(journal.snapshot(user).wishes)


@PROPERTY
@given(plan=mixed_documents(), encoding=st.sampled_from(sorted(ENCODINGS)))
def test_utf8_with_or_without_bom_and_utf16_with_bom_read_the_same(
    journal: Journal, tmp_path: Path, plan: Plan, encoding: str
) -> None:
    path = tmp_path / "backup.json"
    path.write_bytes(ENCODINGS[encoding](plan.document()))
    assert read_file(path, MAX_BYTES) == plan.document()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ('{"x": "café"}'.encode("latin-1"), "not UTF-8 text"),
        ('{"format": 1}'.encode("utf-16-le"), "NUL"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b"1" * 5_000, "not a JSON document"),
        (b"", "not a JSON document"),
    ],
    ids=["latin-1", "utf-16 without BOM", "deep nesting", "huge integer", "empty"],
)
def test_files_that_are_no_export_are_refused_by_the_cli_without_a_traceback(
    tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "backup.json"
    path.write_bytes(data)
    outcome = run_coach("journal", "import", str(path))
    outcome.assert_no_traceback()
    assert outcome.exit_code == 2 and message in outcome.stderr, outcome.stderr


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COACH_MAX_FILE_MB", "0.001")
    path = tmp_path / "backup.json"
    path.write_text(" " * 2_000)
    outcome = run_coach("journal", "import", str(path))
    outcome.assert_no_traceback()
    assert outcome.exit_code == 2 and "over the 0.001 MB limit" in outcome.stderr


@PROPERTY
@given(plan=mixed_documents())
def test_the_cli_exits_3_and_lists_each_left_out_entry_or_0_when_all_went_in(
    tmp_path: Path, plan: Plan
) -> None:
    path = tmp_path / "backup.json"
    path.write_text(plan.document(), encoding="utf-8")
    outcome = run_coach("journal", "import", "--user", uuid.uuid4().hex, str(path))
    outcome.assert_no_traceback()
    assert outcome.exit_code == (3 if plan.bad else 0), outcome.stderr
    listed = [line for line in outcome.stderr.splitlines() if line.startswith("rejected entries.")]
    assert len(listed) == len(plan.bad)
    report = json.loads(outcome.stdout)
    assert report["added"]["wishes"] == len(plan.good.get("wishes", set()))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.server)])
def any_journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    location = (
        str(tmp_path / "j.sqlite3") if request.param == "sqlite" else request.getfixturevalue("postgres_url")
    )
    with Journal(location) as opened:
        yield opened


@pytest.mark.parametrize("control", ["\x00", "\x1b", "\x07", "\x9b"])
def test_control_characters_in_journal_text_are_dropped_on_either_database(
    any_journal: Journal, control: str
) -> None:
    """PostgreSQL refuses NUL outright and SQLite's length() stops at it; a terminal obeys the others."""
    document = {
        "format": "question-coach-journal",
        "version": 1,
        "entries": {"wishes": [{"uid": "w1", "text": f"Learn {control}rights", "created_at": WHEN}]},
    }
    report = any_journal.import_json("alice", json.dumps(document))
    wish = any_journal.add_wish("alice", f"Learn{control} pricing")
    assert report.added.wishes == 1 and not report.rejected
    assert [w.text for w in any_journal.list_wishes("alice")] == ["Learn rights", "Learn pricing"]
    assert wish.text == "Learn pricing"
