"""Exports hold hostile text as data: Markdown renders it literally, JSON and .ics give it back unchanged.

Hypothesis plants markup fragments and random text in every user- or profile-supplied field of the
journal's Markdown and JSON exports, the agenda's Markdown and .ics, and the insights report, then reads
the export back the way a person's tools would (a CommonMark renderer, `json`, the `icalendar` parser).
"""

from __future__ import annotations

import json
import re
import unicodedata
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from icalendar import Calendar

from coach.agenda import agenda_with_renderings, render_text
from coach.journal.insights import DepartmentRow, ExpertLoad, Gap, InsightsReport
from coach.journal.insights import render_markdown as render_report
from coach.journal.store import Journal
from coach.markdown import escape_markdown, single_line
from coach.models import Agenda, ReferralIn
from tests.hostile.literal import PROPERTY, assert_inert, hostile_text, reads_back, visible_text
from vectorstore.models import ExpertProfile


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
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "journal.sqlite3") as opened:
        yield opened


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


# --- the agenda: Markdown and .ics

START = datetime(2026, 12, 3, 10, 0)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
profile_text = st.one_of(  # a profile keeps names and titles within 200 characters
    hostile_text,
    st.text(st.characters(blacklist_categories=("Cs",)), min_size=70, max_size=190),  # folds many times
    st.sampled_from(
        [
            "a,b;c\\d",
            "C:\\New folder",
            "\\\\N",
            "line one\nline two\r\nthree",
            "ü" * 80,
            "😀" * 40,
            "名前" * 30,
            "\x00\x1b",
        ]
    ),
)


def agenda_for(name: str, title: str, question: str, about: str) -> Agenda:
    person = ExpertProfile(id="ex-1", name=name, title=title, email="sam@example.com")
    return agenda_with_renderings(
        person, [question], 20, start=START, tz="Europe/London", about_me=about, now=NOW
    )


def usable(text: str) -> bool:
    return bool(single_line(text)) and len(single_line(text)) <= 400


AGENDA_INPUTS = {
    "name": profile_text.filter(lambda t: t.strip()),
    "title": profile_text,
    "question": profile_text.filter(usable),
    "about": profile_text,
}


@PROPERTY
@given(**AGENDA_INPUTS)
def test_agenda_markdown_shows_hostile_profile_text_literally(
    name: str, title: str, question: str, about: str
) -> None:
    agenda = agenda_for(name, title, question, about)
    assert_inert(agenda.markdown)
    shown = visible_text(agenda.markdown)
    for text in (name, title, question):
        assert reads_back(text) in shown


@PROPERTY
@given(**AGENDA_INPUTS)
def test_ics_lines_are_folded_at_75_octets_escaped_and_read_back_unchanged(
    name: str, title: str, question: str, about: str
) -> None:
    agenda = agenda_for(name, title, question, about)
    raw = agenda.ics.encode("utf-8")
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    for line in lines:
        assert len(line) <= 75, line  # RFC 5545 3.1: octets, not characters
        line.decode("utf-8")  # folding never splits a multi-byte character
        assert b"\n" not in line and b"\r" not in line
        assert not CONTROL.search(line.decode("utf-8")), line  # no CTL but HTAB in a content line
    unfolded = raw.replace(b"\r\n ", b"").replace(b"\r\n\t", b"").decode("utf-8").split("\r\n")
    description = next(line for line in unfolded if line.startswith("DESCRIPTION:"))
    assert UNESCAPED.search(description.removeprefix("DESCRIPTION:")) is None, description
    event = next(iter(Calendar.from_ical(agenda.ics).walk("VEVENT")))
    shown = {key: str(event[key]).replace("\u2060", "") for key in ("DESCRIPTION", "SUMMARY")}  # invisible
    assert shown["DESCRIPTION"] == printable_ics(render_text(agenda))
    assert shown["SUMMARY"].startswith(f"Coffee chat with {printable_ics(single_line(name))}")
    assert reads_back(printable_ics(single_line(question))) in " ".join(shown["DESCRIPTION"].split())


def printable_ics(text: str) -> str:
    """What a TEXT value can hold: every character but the controls RFC 5545 leaves out (HTAB and the
    newlines that escaping turns into `\\n` stay)."""
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text)


CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # RFC 5545 CONTROL: none may appear in a content line
# In an escaped TEXT value a `,` or `;` is always preceded by a backslash that is not itself escaped.
UNESCAPED = re.compile(r"(?<!\\)(?:\\\\)*[,;]")


# --- insights for the people team (`coach report`)


@PROPERTY
@given(topic=hostile_text, name=hostile_text, department=hostile_text)
def test_the_insights_report_shows_profile_and_topic_text_literally(
    topic: str, name: str, department: str
) -> None:
    report = InsightsReport(
        generated_at=datetime(2026, 12, 1, tzinfo=UTC),
        weeks=8,
        min_group=5,
        gaps=[Gap(topic=topic, weak=3, questions=6, people=5)],
        experts=[
            ExpertLoad(expert_id="ex-1", name=name, department=department, asks=6, capacity=4, people=5)
        ],
        departments=[
            DepartmentRow(department=department, people_asking=5, questions=9, experts=2, asks_received=6)
        ],
        trend=[],
        hidden={},
    )
    markdown = render_report(report)
    assert_inert(markdown)
