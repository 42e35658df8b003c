"""The journal as a chronological list of typed events, for the UI and `coach journal list`."""

from __future__ import annotations

from datetime import datetime

from coach.journal.portable import JournalSnapshot
from coach.models import ChatStatus, TimelineEvent, TimelineKind


def timeline(snapshot: JournalSnapshot) -> list[TimelineEvent]:
    """The journal as dated events, oldest first; events of one logged chat keep the loop's order."""
    names = {c.id: c.expert_name for c in snapshot.chats}
    rows: list[tuple[TimelineKind, datetime | None, int, str, str, int | None]] = []
    rows += [(TimelineKind.wish, w.created_at, w.id, w.text, "", None) for w in snapshot.wishes]
    for q in snapshot.questions:
        origin = q.why if q.chat_id is None else f"came up with {names[q.chat_id]}"
        rows.append((TimelineKind.question, q.created_at, q.id, q.text, origin, q.chat_id))
        rows.append((TimelineKind.question_answered, q.answered_at, q.id, q.text, "", None))
    for c in snapshot.chats:
        title = f"Coffee chat with {c.expert_name}"
        if c.logged_at != c.created_at:
            rows.append((TimelineKind.chat_planned, c.created_at, c.id, title, f"for {c.date}", c.id))
        outcome = TimelineKind.chat_done if c.status is ChatStatus.done else TimelineKind.chat_cancelled
        rows.append((outcome, c.logged_at, c.id, title, c.notes, c.id))
    rows += [
        (TimelineKind.takeaway, t.created_at, t.id, t.text, names[t.chat_id], t.chat_id)
        for t in snapshot.takeaways
    ]
    rows += [
        (TimelineKind.referral, r.created_at, r.id, r.name or r.expert_id or "", r.note, r.chat_id)
        for r in snapshot.referrals
    ]
    events = [
        TimelineEvent(kind=kind, at=at, entry_id=entry_id, text=text, detail=detail, chat_id=chat_id)
        for kind, at, entry_id, text, detail, chat_id in rows
        if at is not None
    ]
    return sorted(events, key=_order)


_RANK = {kind: rank for rank, kind in enumerate(TimelineKind)}


def _order(event: TimelineEvent) -> tuple[datetime, int, int]:
    # A question that came up in a chat sorts after that chat's takeaways and referrals at the same moment.
    late = event.kind is TimelineKind.question and event.chat_id is not None
    return (event.at, len(_RANK) if late else _RANK[event.kind], event.entry_id)
