"""The journal's portable formats: a versioned JSON document (export, checked import) and Markdown."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from coach.errors import CoachInputError
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
# A uid is an identifier, not text: control characters are refused rather than dropped (or it would change).
Uid = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]


class JournalImportError(CoachInputError):
    """The document cannot be imported; nothing was changed."""


class JournalImportConflict(JournalImportError):
    """Entries in the document differ from entries with the same uid; nothing was changed."""

    def __init__(self, conflicts: list[ImportConflict]) -> None:
        listed = "; ".join(f"{c.kind} {c.uid}: {', '.join(c.fields)}" for c in conflicts[:5])
        super().__init__(
            f"{len(conflicts)} entries differ from the ones already in your journal ({listed}); nothing was "
            "imported. Import with on_conflict='skip' to keep your versions and add the rest."
        )
        self.conflicts = conflicts


@dataclass(frozen=True)
class JournalSnapshot:
    """Everything in one user's journal, read in one transaction."""

    wishes: list[Wish] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)
    chats: list[CoffeeChat] = field(default_factory=list)
    takeaways: list[Takeaway] = field(default_factory=list)
    referrals: list[Referral] = field(default_factory=list)


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    uid: Uid
    created_at: AwareDatetime


class WishRecord(_Record):
    text: WishText


class QuestionRecord(_Record):
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


class ChatRecord(_Record):
    expert_id: ExpertId
    expert_name: NameText
    date: Date
    status: ChatStatus
    question_uids: list[Uid] = []
    notes: JournalNote = ""
    logged_at: AwareDatetime | None = None


class TakeawayRecord(_Record):
    chat_uid: Uid
    text: JournalText


class ReferralRecord(_Record):
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


class EntryCounts(BaseModel):
    wishes: int = 0
    questions: int = 0
    chats: int = 0
    takeaways: int = 0
    referrals: int = 0

    @property
    def total(self) -> int:
        return self.wishes + self.questions + self.chats + self.takeaways + self.referrals


class ImportConflict(BaseModel):
    """An entry whose uid exists with different content; the journal's version was kept."""

    kind: str
    uid: str
    fields: list[str]


class ImportReport(BaseModel):
    added: EntryCounts
    unchanged: EntryCounts
    conflicts: list[ImportConflict] = []


@dataclass(frozen=True)
class ImportPlan:
    new: JournalEntries
    report: ImportReport


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


def parse_document(text: str) -> JournalDocument:
    """Validate an export document, with errors that point at the offending entry."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JournalImportError(f"not a JSON document ({exc}); choose a file from 'Export journal'") from exc
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise JournalImportError(f'not a question-coach journal: expected "format": "{FORMAT}" at the top')
    if raw.get("version") != VERSION:
        raise JournalImportError(
            f"journal format version {raw.get('version')!r} is not supported; this app reads version "
            f"{VERSION} (update question-coach to import newer exports)"
        )
    try:
        document = JournalDocument.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()[:5]
        )
        raise JournalImportError(
            f"invalid journal document ({exc.error_count()} problems): {problems}"
        ) from exc
    for kind in KINDS:
        repeated = [
            uid for uid, n in Counter(r.uid for r in getattr(document.entries, kind)).items() if n > 1
        ]
        if repeated:
            raise JournalImportError(f"{kind} uid {repeated[0]!r} appears more than once in the document")
    return document


def plan_import(document: JournalDocument, existing: JournalEntries, on_conflict: OnConflict) -> ImportPlan:
    """Split the document into new, unchanged and conflicting entries; check every reference resolves."""
    if on_conflict not in ("skip", "error"):
        raise ValueError(f"on_conflict must be 'skip' or 'error', not {on_conflict!r}")
    incoming = document.entries
    known = {
        kind: {r.uid for r in getattr(incoming, kind)} | {r.uid for r in getattr(existing, kind)}
        for kind in KINDS
    }
    references = (
        [(f"questions {q.uid} wish_uid", "wishes", q.wish_uid) for q in incoming.questions]
        + [(f"questions {q.uid} chat_uid", "chats", q.chat_uid) for q in incoming.questions]
        + [(f"chats {c.uid} question_uids", "questions", u) for c in incoming.chats for u in c.question_uids]
        + [(f"takeaways {t.uid} chat_uid", "chats", t.chat_uid) for t in incoming.takeaways]
        + [(f"referrals {r.uid} chat_uid", "chats", r.chat_uid) for r in incoming.referrals]
    )
    for where, kind, uid in references:
        if uid is not None and uid not in known[kind]:
            raise JournalImportError(
                f"{where}: {uid!r} matches none of the {kind} in the document or journal"
            )
    new: dict[str, list[_Record]] = {kind: [] for kind in KINDS}
    unchanged = dict.fromkeys(KINDS, 0)
    conflicts: list[ImportConflict] = []
    for kind in KINDS:
        mine: dict[str, _Record] = {r.uid: r for r in getattr(existing, kind)}
        for record in getattr(incoming, kind):
            old = mine.get(record.uid)
            if old is None:
                new[kind].append(record)
            elif old == record:
                unchanged[kind] += 1
            else:
                differing = [
                    name for name in type(record).model_fields if getattr(old, name) != getattr(record, name)
                ]
                conflicts.append(ImportConflict(kind=kind, uid=record.uid, fields=differing))
    if conflicts and on_conflict == "error":
        raise JournalImportConflict(conflicts)
    report = ImportReport(
        added=EntryCounts(**{kind: len(records) for kind, records in new.items()}),
        unchanged=EntryCounts(**unchanged),
        conflicts=conflicts,
    )
    return ImportPlan(new=JournalEntries.model_validate(new), report=report)


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
