"""What the Journal tab shows, without Gradio: the people one can log a chat with, questions grouped by
wish (collapsed), and the parsing of its date field."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, tzinfo
from html import escape

from coach.errors import CoachInputError
from coach.journal.portable import JournalSnapshot
from coach.journal.timeline import questions_by_wish
from coach.models import QuestionStatus
from coach.web.cards import expert_label
from coach.web.session import CoachSession
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile

PICKER_LIMIT = 500  # an index this small is offered whole; a larger one is searched by name or topic
FOUND_LIMIT = 30
STATUS_LABEL = {
    QuestionStatus.open: "open",
    QuestionStatus.answered: "answered",
    QuestionStatus.dropped: "archived",
}


def people_to_log(
    index: ExpertIndex, session: CoachSession, snapshot: JournalSnapshot, query: str = ""
) -> list[tuple[str, str]]:
    """(label, id) of anyone in the index one may have talked to: matches of a name/team/topic search, or
    this session's people, the people in this journal, then everyone when the index is small."""
    query = " ".join(query.split())
    people: list[ExpertProfile] = []
    if query:
        needle = query.casefold()
        named = [
            p
            for p in index.profiles()
            if needle in f"{p.name} {p.title} {p.department}".casefold() or needle == p.id.casefold()
        ]
        people += sorted(named, key=lambda p: (not p.name.casefold().startswith(needle), p.name))[
            :FOUND_LIMIT
        ]
        people += [m.profile for m in index.search(query, k=10)]
    else:
        people += [m.profile for g in session.matches for m in g.matches]
        people += [g.connector.profile for g in session.matches if g.connector is not None]
        people += [p for c in reversed(snapshot.chats) if (p := index.get(c.expert_id)) is not None]
        if index.count() <= PICKER_LIMIT:
            people += sorted(index.profiles(), key=lambda p: p.name)
    seen: dict[str, str] = {}
    for profile in people:
        seen.setdefault(profile.id, expert_label(profile))
    return [(label, pid) for pid, label in seen.items()]


def question_choices(snapshot: JournalSnapshot, *, open_only: bool) -> list[tuple[str, str]]:
    """(text, id) of the user's questions, for pickers that act on them."""
    return [
        (q.text if q.status is QuestionStatus.open else f"{q.text} ({STATUS_LABEL[q.status]})", str(q.id))
        for q in snapshot.questions
        if q.status is QuestionStatus.open or not open_only
    ]


def questions_html(snapshot: JournalSnapshot) -> str:
    """Every question once, grouped under its wish (newest first); only the newest group starts open."""
    groups = questions_by_wish(snapshot)
    if not groups:
        return (
            '<div class="qc-empty">No questions kept yet. Keep the ones you want from the Coach tab, '
            "or add them when you log a chat.</div>"
        )
    parts = []
    for number, (title, questions) in enumerate(groups):
        still_open = sum(1 for q in questions if q.status is QuestionStatus.open)
        items = "".join(
            f'<li class="qc-q-{q.status.value}"><span class="qc-kind">{STATUS_LABEL[q.status]}</span> '
            f"{escape(q.text)}</li>"
            for q in questions
        )
        summary = f"{escape(title)} <small>({still_open} open of {len(questions)})</small>"
        opened = " open" if number == 0 else ""
        parts.append(
            f'<details class="qc-wish"{opened}><summary>{summary}</summary><ul>{items}</ul></details>'
        )
    return f'<div class="qc-journal-questions">{"".join(parts)}</div>'


def chat_day(text: str | None, tz: tzinfo) -> date | None:
    """The chat's date from the form (YYYY-MM-DD); None (today in the user's zone) when left empty."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise CoachInputError(f"Date {text!r} is not a date like 2026-12-01 (year-month-day).") from None
    if day > datetime.now(tz).date():
        raise CoachInputError(f"{day} is in the future: log a chat after it happened.")
    return day


def picked_ids(values: Sequence[str] | None) -> list[int]:
    """Question ids from a picker's values; anything else is ignored (an id always comes from our list,
    so a 5,000-digit number or a superscript digit from an API client is not one)."""
    items = values if isinstance(values, list | tuple) else []
    return [int(v) for v in items if _ID.fullmatch(str(v).strip())]


_ID = re.compile(r"[0-9]{1,18}")  # within a 64-bit database id
