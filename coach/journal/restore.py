"""Restoring a journal export: read it entry by entry, keep the good entries, say what is wrong with each bad one.

A backup with one damaged entry should still give back everything else, as `coach index` does with a bad
row. So only a file that is not a journal export at all (not text, not JSON, another format or version)
is refused as a whole; an entry that breaks a rule, repeats a uid or points at an entry that is neither in
the document nor in the journal is left out and reported, and so is everything that depends on it. What is
kept goes in in one transaction (the caller's), so an import never leaves half of itself behind.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from coach.errors import CoachInputError, ProfileError
from coach.journal.portable import (
    FORMAT,
    KINDS,
    VERSION,
    ChatRecord,
    EntryRecord,
    JournalDocument,
    JournalEntries,
    OnConflict,
    QuestionRecord,
    ReferralRecord,
    TakeawayRecord,
    WishRecord,
)
from vectorstore.profiles import read_text

RECORDS: dict[str, type[EntryRecord]] = {
    "wishes": WishRecord,
    "questions": QuestionRecord,
    "chats": ChatRecord,
    "takeaways": TakeawayRecord,
    "referrals": ReferralRecord,
}
_SHOWN_CHARS = 60
_LISTED = 5


class JournalImportError(CoachInputError):
    """The file is not a journal export that can be read; nothing was changed."""


class JournalImportConflict(JournalImportError):
    """Entries in the document differ from entries with the same uid; nothing was changed."""

    def __init__(self, conflicts: list[ImportConflict]) -> None:
        listed = "; ".join(f"{c.kind} {c.uid}: {', '.join(c.fields)}" for c in conflicts[:_LISTED])
        super().__init__(
            f"{len(conflicts)} entries differ from the ones already in your journal ({listed}); nothing was "
            "imported. Import with on_conflict='skip' to keep your versions and add the rest."
        )
        self.conflicts = conflicts


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


class RejectedEntry(BaseModel):
    """An entry left out of the import, found at `entries.<kind>[<index>]` in the document."""

    kind: str
    index: int
    uid: str | None = None
    reason: str

    def __str__(self) -> str:
        uid = f" (uid {shown(self.uid)})" if self.uid is not None else ""
        return f"entries.{self.kind}[{self.index}]{uid}: {self.reason}"


class ImportReport(BaseModel):
    added: EntryCounts
    unchanged: EntryCounts
    conflicts: list[ImportConflict] = []
    rejected: list[RejectedEntry] = []


@dataclass(frozen=True)
class ImportPlan:
    new: JournalEntries
    report: ImportReport


@dataclass
class ReadDocument:
    """The entries of a document that passed their own checks (by kind, with their index), and the rest."""

    entries: dict[str, list[tuple[int, EntryRecord]]]
    rejected: list[RejectedEntry] = field(default_factory=list)


def read_file(path: Path, max_bytes: int) -> str:
    """The text of an export file: bounded in size, UTF-8 or BOM-marked UTF-16/32, else a clear error."""
    try:
        return read_text(path, max_bytes, path.name, advice="COACH_MAX_FILE_MB sets it")
    except ProfileError as exc:  # the reader is shared with profile files; its messages fit both
        raise JournalImportError(f"{exc}; nothing was imported") from exc


def read_document(text: str) -> ReadDocument:
    """Check the envelope (raising JournalImportError), then each entry on its own."""
    raw = _envelope(text)
    entries: dict[str, list[tuple[int, EntryRecord]]] = {kind: [] for kind in KINDS}
    rejected: list[RejectedEntry] = []
    for kind in KINDS:
        for index, item in enumerate(raw["entries"].get(kind, [])):
            uid = item.get("uid") if isinstance(item, dict) else None
            uid = uid if isinstance(uid, str) else None
            try:
                entries[kind].append((index, RECORDS[kind].model_validate(item)))
            except ValidationError as exc:
                rejected.append(RejectedEntry(kind=kind, index=index, uid=uid, reason=_problems(exc)))
        repeated = {uid for uid, n in Counter(r.uid for _, r in entries[kind]).items() if n > 1}
        for index, record in entries[kind]:
            if record.uid in repeated:
                reason = "the uid appears more than once in the document, so no copy is trusted"
                rejected.append(RejectedEntry(kind=kind, index=index, uid=record.uid, reason=reason))
        entries[kind] = [(i, r) for i, r in entries[kind] if r.uid not in repeated]
    return ReadDocument(entries=entries, rejected=rejected)


def _envelope(text: str) -> dict[str, Any]:
    """The parsed document once its format, version and shape are right; else JournalImportError."""
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: bad JSON, or an integer too long to convert
        problem = str(exc)[:200] if isinstance(exc, ValueError) else "nested too deeply"
        raise JournalImportError(
            f"not a JSON document ({problem}); choose a file from 'Export journal'"
        ) from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise JournalImportError(f'not a question-coach journal: expected "format": "{FORMAT}" at the top')
    if raw.get("version") != VERSION:
        raise JournalImportError(
            f"journal format version {shown(raw.get('version'))} is not supported; this app reads version "
            f"{VERSION} (update question-coach to import newer exports)"
        )
    entries = raw.get("entries")
    if not isinstance(entries, dict):
        raise JournalImportError('invalid journal document: "entries" must be an object of entry lists')
    unknown = sorted(set(raw) - set(JournalDocument.model_fields)) + sorted(set(entries) - set(KINDS))
    if unknown:
        raise JournalImportError(
            f"invalid journal document: unknown field {shown(unknown[0])}; this app reads version {VERSION}"
        )
    lists = [kind for kind in KINDS if not isinstance(entries.get(kind, []), list)]
    if lists:
        raise JournalImportError(f'invalid journal document: "entries.{lists[0]}" must be a list')
    try:
        JournalDocument.model_validate({**raw, "entries": {}})
    except ValidationError as exc:
        raise JournalImportError(f"invalid journal document: {_problems(exc)}") from None
    return raw


def plan_import(document: ReadDocument, existing: JournalEntries, on_conflict: OnConflict) -> ImportPlan:
    """Split the entries into new, unchanged and conflicting; leave out those whose references do not resolve."""
    if on_conflict not in ("skip", "error"):
        raise ValueError(f"on_conflict must be 'skip' or 'error', not {on_conflict!r}")
    kept = {kind: dict(entries) for kind, entries in document.entries.items()}
    rejected = document.rejected + _unresolved(kept, existing)
    new: dict[str, list[EntryRecord]] = {kind: [] for kind in KINDS}
    unchanged = dict.fromkeys(KINDS, 0)
    conflicts: list[ImportConflict] = []
    for kind in KINDS:
        mine: dict[str, EntryRecord] = {r.uid: r for r in getattr(existing, kind)}
        for record in kept[kind].values():
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
        rejected=sorted(rejected, key=lambda r: (KINDS.index(r.kind), r.index)),
    )
    return ImportPlan(new=JournalEntries.model_validate(new), report=report)


def _unresolved(kept: dict[str, dict[int, EntryRecord]], existing: JournalEntries) -> list[RejectedEntry]:
    """Leave out (from `kept`) every entry pointing at one that is nowhere, until nothing dangles.

    Repeated because leaving one out can strand another: a chat whose question was rejected goes, and
    then the takeaways of that chat."""
    mine = {kind: {r.uid for r in getattr(existing, kind)} for kind in KINDS}
    rejected: list[RejectedEntry] = []
    dropped: dict[str, set[str]] = {kind: set() for kind in KINDS}
    changed = True
    while changed:
        changed = False
        known = {kind: mine[kind] | {r.uid for r in kept[kind].values()} for kind in KINDS}
        for kind in KINDS:
            for index, record in list(kept[kind].items()):
                problem = _dangling(record, known, dropped)
                if problem is not None:
                    del kept[kind][index]
                    dropped[kind].add(record.uid)
                    rejected.append(RejectedEntry(kind=kind, index=index, uid=record.uid, reason=problem))
                    changed = True
    return rejected


def _references(record: EntryRecord) -> list[tuple[str, str, str]]:
    """(field, kind it points at, uid) for each reference the entry makes."""
    if isinstance(record, QuestionRecord):
        pairs = [("wish_uid", "wishes", record.wish_uid), ("chat_uid", "chats", record.chat_uid)]
        return [(name, kind, uid) for name, kind, uid in pairs if uid is not None]
    if isinstance(record, ChatRecord):
        return [("question_uids", "questions", uid) for uid in record.question_uids]
    if isinstance(record, TakeawayRecord | ReferralRecord) and record.chat_uid is not None:
        return [("chat_uid", "chats", record.chat_uid)]
    return []


def _dangling(record: EntryRecord, known: dict[str, set[str]], dropped: dict[str, set[str]]) -> str | None:
    for name, kind, uid in _references(record):
        if uid in known[kind]:
            continue
        if uid in dropped[kind]:
            return f"{name}: {shown(uid)} is one of the {kind} left out of this import"
        return f"{name}: {shown(uid)} matches none of the {kind} in the document or journal"
    return None


def _problems(exc: ValidationError) -> str:
    """Pydantic's complaints as `field: message`, a few of them, never echoing the (maybe huge) input."""
    parts = [
        f"{'.'.join(_field(part) for part in error['loc']) or 'entry'}: {error['msg']}"
        for error in exc.errors()[:_LISTED]
    ]
    more = exc.error_count() - _LISTED
    return "; ".join(parts) + (f" (and {more} more)" if more > 0 else "")


def shown(value: object) -> str:
    """A value from the file, safe to print to a terminal: quoted, control characters escaped, bounded."""
    text = repr(value[:_SHOWN_CHARS] if isinstance(value, str) else value)
    return text if len(text) <= 2 * _SHOWN_CHARS else text[: 2 * _SHOWN_CHARS] + "…"


def _field(part: int | str) -> str:
    """One step of a field's location: a plain name or index as is, anything odd as `shown`."""
    return (
        str(part)
        if isinstance(part, int) or (part.isidentifier() and len(part) <= _SHOWN_CHARS)
        else shown(part)
    )
