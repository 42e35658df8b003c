"""The journal as a chronological list of typed events, for the UI and `coach journal list`."""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from coach.errors import CoachInputError
from coach.journal.portable import JournalSnapshot
from coach.models import ChatStatus, Question, TimelineEvent, TimelineKind


def timeline(snapshot: JournalSnapshot, tz: tzinfo = UTC) -> list[TimelineEvent]:
    """The journal as dated events, oldest first, with times in `tz`; events of one logged chat keep the
    loop's order. Give the zone chat dates were taken in, so a chat and its events show the same day."""
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
        logged_day = c.logged_at.astimezone(tz).date() if c.logged_at is not None else c.date
        when = f"on {c.date}" if c.date != logged_day else ""  # logged days later: say when it happened
        rows.append((outcome, c.logged_at, c.id, title, "; ".join(p for p in (when, c.notes) if p), c.id))
    rows += [
        (TimelineKind.takeaway, t.created_at, t.id, t.text, names[t.chat_id], t.chat_id)
        for t in snapshot.takeaways
    ]
    rows += [
        (TimelineKind.referral, r.created_at, r.id, r.name or r.expert_id or "", r.note, r.chat_id)
        for r in snapshot.referrals
    ]
    events = [
        TimelineEvent(
            kind=kind, at=at.astimezone(tz), entry_id=entry_id, text=text, detail=detail, chat_id=chat_id
        )
        for kind, at, entry_id, text, detail, chat_id in rows
        if at is not None
    ]
    return sorted(events, key=_order)


_RANK = {kind: rank for rank, kind in enumerate(TimelineKind)}


def _order(event: TimelineEvent) -> tuple[datetime, int, int]:
    # A question that came up in a chat sorts after that chat's takeaways and referrals at the same moment.
    late = event.kind is TimelineKind.question and event.chat_id is not None
    return (event.at, len(_RANK) if late else _RANK[event.kind], event.entry_id)


def questions_by_wish(snapshot: JournalSnapshot) -> list[tuple[str, list[Question]]]:
    """The user's questions grouped under the wish they came from, newest wish first; loose ones last.

    Questions raised in a chat are grouped under "From your chats", questions added by hand under "Your own".
    """
    wishes = {w.id: w for w in snapshot.wishes}
    groups: dict[tuple[int, int], list[Question]] = {}
    for question in snapshot.questions:
        if question.wish_id in wishes:
            key = (0, -question.wish_id)  # type: ignore[operator]
        else:
            key = (1, 0) if question.chat_id is not None else (2, 0)
        groups.setdefault(key, []).append(question)
    titled = []
    for (kind, wish), questions in sorted(groups.items()):
        title = (
            wishes[-wish].text if kind == 0 else ("From your chats" if kind == 1 else "Your own questions")
        )
        titled.append((title, questions))
    return titled


def user_zone(name: str | None) -> tzinfo:
    """The IANA zone a person's dates are shown and taken in (the browser's, or --tz); UTC when not given."""
    name = (name or "").strip()
    if not name or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long to be a file name
        raise CoachInputError(
            f"Unknown time zone {name[:60]!r}: use an IANA name such as 'Europe/London' or 'America/New_York'."
        ) from None
