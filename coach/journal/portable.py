"""The journal's portable formats: a versioned JSON document (its records, the export) and Markdown.

Reading a document back, entry by entry, is `restore`'s job."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    field_validator,
    model_validator,
)

from coach.journal.schema import fit
from coach.markdown import escape_markdown
from coach.models import (
    MAX_NAME_CHARS,
    QUESTION_MAX_CHARS,
    QUESTION_MIN_CHARS,
    WHY_MAX_CHARS,
    ChatStatus,
    CoffeeChat,
    Date,
    ExpertId,
    JournalNote,
    JournalText,
    NameText,
    Question,
    QuestionSource,
    QuestionStatus,
    QuestionText,
    Referral,
    ReferralStatus,
    Takeaway,
    Typed,
    WhyText,
    Wish,
    WishText,
)

FORMAT = "question-coach-journal"
VERSION = 1
KINDS = ("wishes", "questions", "chats", "takeaways", "referrals")
OnConflict = Literal["skip", "error"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _identifier(value: str) -> str:
    """A uid is an identifier, not text: control characters are refused rather than dropped (or it would
    change, and stop matching the entries that point at it)."""
    if _CONTROL.search(value):
        raise ValueError("a uid cannot contain control characters")
    return value


Uid = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(_identifier)]


@dataclass(frozen=True)
class JournalSnapshot:
    """Everything in one user's journal, read in one transaction."""

    wishes: list[Wish] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    chats: list[CoffeeChat] = field(default_factory=list)
    takeaways: list[Takeaway] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)


class EntryRecord(BaseModel):
    """What every entry of the document has: a uid that is the same in any database, and a time."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    uid: Uid
    created_at: AwareDatetime


class WishRecord(EntryRecord):
    text: WishText


class QuestionRecord(EntryRecord):
    text: QuestionText
    why: WhyText = ""
    status: QuestionStatus = QuestionStatus.open
    source: QuestionSource = QuestionSource.user
    wish_uid: Uid | None = None
    chat_uid: Uid | None = None
    answered_at: AwareDatetime | None = None

    @field_validator("text", mode="before")
    @classmethod
    def _legacy_text(cls, value: object) -> object:
        """Exports from before the shared limits are brought within them the way the migration did."""
        return (
            fit(value, QUESTION_MIN_CHARS, QUESTION_MAX_CHARS)
            if isinstance(value, str) and value.strip()
            else value
        )

    @field_validator("why", mode="before")
    @classmethod
    def _legacy_why(cls, value: object) -> object:
        return fit(value, 0, WHY_MAX_CHARS) if isinstance(value, str) else value


class ChatRecord(EntryRecord):
    expert_id: ExpertId
    expert_name: NameText
    date: Date
    status: ChatStatus
    question_uids: list[Uid] = []
    notes: JournalNote = ""
    logged_at: AwareDatetime | None = None


class TakeawayRecord(EntryRecord):
    chat_uid: Uid
    text: JournalText


class ReferralRecord(EntryRecord):
    chat_uid: Uid | None = None
    expert_id: ExpertId | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_NAME_CHARS), Typed] = ""
    note: JournalNote = ""
    status: ReferralStatus = ReferralStatus.suggested

    @model_validator(mode="after")
    def _someone(self) -> ReferralRecord:
        if self.expert_id is None and not self.name:
            raise ValueError("a referral needs an expert_id or a name")
        return self


class JournalEntries(BaseModel):
    """One user's entries keyed by uid; references between entries are uids, not database ids."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wishes: list[WishRecord] = []
    questions: list[QuestionRecord] = []
    chats: list[ChatRecord] = []
    takeaways: list[TakeawayRecord] = []
    referrals: list[ReferralRecord] = []


class JournalDocument(BaseModel):
    """The export file: {"format": ..., "version": 1, "entries": {...}}."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: Literal["question-coach-journal"] = "question-coach-journal"
    version: Literal[1] = 1
    exported_at: AwareDatetime | None = None
    entries: JournalEntries


def to_entries(snapshot: JournalSnapshot) -> JournalEntries:
    """Swap database ids for uids so the entries mean the same thing in any database."""
    wish_uid = {w.id: w.uid for w in snapshot.wishes}
    question_uid = {q.id: q.uid for q in snapshot.questions}
    chat_uid = {c.id: c.uid for c in snapshot.chats}
    return JournalEntries(
        wishes=[WishRecord(uid=w.uid, created_at=w.created_at, text=w.text) for w in snapshot.wishes],
        questions=[
            QuestionRecord(
                **q.model_dump(exclude={"id", "wish_id", "chat_id"}),
                wish_uid=None if q.wish_id is None else wish_uid[q.wish_id],
                chat_uid=None if q.chat_id is None else chat_uid[q.chat_id],
            )
            for q in snapshot.questions
        ],
        chats=[
            ChatRecord(
                **c.model_dump(exclude={"id", "question_ids"}),
                question_uids=[question_uid[i] for i in c.question_ids],
            )
            for c in snapshot.chats
        ],
        takeaways=[
            TakeawayRecord(uid=t.uid, created_at=t.created_at, chat_uid=chat_uid[t.chat_id], text=t.text)
            for t in snapshot.takeaways
        ],
        referrals=[
            ReferralRecord(
                **r.model_dump(exclude={"id", "chat_id"}),
                chat_uid=None if r.chat_id is None else chat_uid[r.chat_id],
            )
            for r in snapshot.referrals
        ],
    )


def dump_json(snapshot: JournalSnapshot, exported_at: datetime) -> str:
    """The export document as indented JSON."""
    document = JournalDocument(exported_at=exported_at, entries=to_entries(snapshot))
    return document.model_dump_json(indent=2) + "\n"


def render_markdown(snapshot: JournalSnapshot) -> str:
    """A readable journal: wishes, questions with status, chats with what came out of them, in time order.

    Every journal text goes through `_line`, so a note like `<img src=...>` or `[x](https://...)` reads as
    typed in any Markdown viewer instead of loading an image or becoming a link."""
    questions = {q.id: q for q in snapshot.questions}
    chats = {c.id: c for c in snapshot.chats}
    lines = ["# Learning journal", ""]
    if snapshot.wishes:
        lines += ["## Wishes", ""]
        lines += [
            f"- {w.created_at:%Y-%m-%d}: {_line(w.text)}" for w in sorted(snapshot.wishes, key=_created)
        ]
        lines.append("")
    if snapshot.questions:
        lines += ["## Questions", ""]
        for q in sorted(snapshot.questions, key=_created):
            line = f"- **{q.status}** {_line(q.text)}"
            if q.why:
                line += f" _(why: {_line(q.why)})_"
            if q.chat_id is not None:
                line += f" (came up with {_line(chats[q.chat_id].expert_name)})"
            if q.answered_at is not None:
                line += f", answered {q.answered_at:%Y-%m-%d}"
            lines.append(line)
        lines.append("")
    if snapshot.chats:
        lines += ["## Coffee chats", ""]
    for chat in sorted(snapshot.chats, key=lambda c: (c.date, c.created_at)):
        lines += [f"### {chat.date}: {_line(chat.expert_name)} ({chat.status})", ""]
        sections = [
            ("Questions covered", [_line(questions[i].text) for i in chat.question_ids]),
            ("Takeaways", [_line(t.text) for t in snapshot.takeaways if t.chat_id == chat.id]),
            ("Referrals", [_referral(r) for r in snapshot.referrals if r.chat_id == chat.id]),
            ("New questions", [_line(q.text) for q in snapshot.questions if q.chat_id == chat.id]),
        ]
        for title, items in sections:
            if items:
                lines += [f"{title}:", *(f"- {item}" for item in items), ""]
        if chat.notes:
            lines += [f"Notes: {_line(chat.notes)}", ""]
    loose = [r for r in snapshot.referrals if r.chat_id is None]
    if loose:
        lines += ["## Other referrals", "", *(f"- {_referral(r)}" for r in loose), ""]
    return "\n".join(lines)


def _created(entry: Wish | Question) -> datetime:
    return entry.created_at


def _line(text: str) -> str:
    """One journal text, on one line and escaped: the only way user text enters the Markdown."""
    return escape_markdown(text)


def _referral(referral: Referral) -> str:
    """`Name (expert-id): note [status]`, each part escaped (the caller must not escape it again)."""
    who = _line(referral.name or referral.expert_id or "")
    if referral.name and referral.expert_id:
        who += f" ({_line(referral.expert_id)})"
    note = f": {_line(referral.note)}" if referral.note else ""
    return f"{who}{note} \\[{referral.status}\\]"
