"""Exports hold hostile text as data: Markdown renders it literally, JSON and .ics give it back unchanged.

Hypothesis plants markup fragments and random text in every user- or profile-supplied field of the
journal's Markdown and JSON exports, the agenda's Markdown and .ics, and the insights report, then reads
the export back the way a person's tools would (a CommonMark renderer, `json`, the `icalendar` parser).
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coach.journal.store import Journal
from coach.markdown import escape_markdown
from coach.models import ReferralIn
from tests.hostile.literal import PROPERTY, assert_inert, hostile_text, reads_back, visible_text


def bounded(limit: int) -> st.SearchStrategy[str]:
    """Hostile text the journal accepts: five characters besides spaces and controls, within the limit."""
    return hostile_text.map(lambda t: t[:limit]).filter(lambda t: len(printable(t).strip()) >= 5)


def printable(text: str) -> str:
    return "".join(char for char in text if unicodedata.category(char) != "Cc")


@PROPERTY
@given(text=hostile_text)
def test_escaped_text_renders_as_the_same_characters_and_nothing_else(text: str) -> None:
    markdown = escape_markdown(text)
    assert_inert(markdown)
    assert visible_text(markdown) == reads_back(text)


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    with Journal.open(tmp_path / "journal.sqlite3") as opened:
        yield opened  # type: ignore[misc]


@PROPERTY
@given(
    wish=bounded(2000),
    question=bounded(400),
    name=bounded(200),
    takeaway=bounded(4000),
    referral=bounded(200),
    note=bounded(4000),
    new_question=bounded(400),
)
def test_journal_markdown_shows_every_hostile_entry_literally(
    journal: Journal,
    wish: str,
    question: str,
    name: str,
    takeaway: str,
    referral: str,
    note: str,
    new_question: str,
) -> None:
    user = uuid.uuid4().hex
    made = journal.add_wish(user, wish)
    asked = journal.add_question(user, question, wish_id=made.id)
    journal.log_chat(
        user,
        "ex-1",
        name,
        True,
        [takeaway],
        [ReferralIn(name=referral, note=note)],
        [new_question],
        [asked.id],
        on=date(2026, 11, 10),
    )
    journal.add_referral(user, ReferralIn(name=referral, expert_id="ex-2"))
    markdown = journal.export_markdown(user)
    assert_inert(markdown)
    shown = visible_text(markdown)
    snapshot = journal.snapshot(user)
    stored = [w.text for w in snapshot.wishes] + [q.text for q in snapshot.questions]
    stored += [t.text for t in snapshot.takeaways] + [c.expert_name for c in snapshot.chats]
    stored += [r.name for r in snapshot.referrals] + [r.note for r in snapshot.referrals if r.note]
    missing = [text for text in stored if reads_back(text) not in shown]
    assert missing == []


@PROPERTY
@given(wish=bounded(2000), name=bounded(200), takeaway=bounded(4000))
def test_journal_json_export_gives_every_text_back_unchanged(
    journal: Journal, wish: str, name: str, takeaway: str
) -> None:
    user = uuid.uuid4().hex
    journal.add_wish(user, wish)
    journal.log_chat(user, "ex-1", name, True, [takeaway], [], [], [], on=date(2026, 11, 10))
    document = json.loads(journal.export_json(user))
    entries = document["entries"]
    snapshot = journal.snapshot(user)
    assert [w["text"] for w in entries["wishes"]] == [w.text for w in snapshot.wishes]
    assert [c["expert_name"] for c in entries["chats"]] == [c.expert_name for c in snapshot.chats]
    assert [t["text"] for t in entries["takeaways"]] == [t.text for t in snapshot.takeaways]
    assert datetime.fromisoformat(document["exported_at"]).tzinfo is not None
    assert UTC  # exported times are aware; the import refuses naive ones
