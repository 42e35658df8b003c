"""How a profile is stored in a Chroma record and read back, and what an upsert changes."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from chromadb.api.models.Collection import Collection as ChromaCollection

from vectorstore.models import ExpertProfile


@dataclass
class UpsertReport:
    """What an import changed; ids are listed so callers can show them."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def counts(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in ("added", "updated", "unchanged", "removed")}


def plan_upsert(
    incoming: dict[str, ExpertProfile],
    current: dict[str, ExpertProfile],
    replace: bool,
    keep: Collection[str],
) -> UpsertReport:
    report = UpsertReport()
    for pid, profile in incoming.items():
        existing = current.get(pid)
        if existing is None:
            report.added.append(pid)
        elif existing.content_hash() != profile.content_hash():
            report.updated.append(pid)
        else:
            report.unchanged.append(pid)
    if replace:
        report.removed = [pid for pid in current if pid not in incoming and pid not in keep]
    return report


def read_profiles(collection: ChromaCollection, batch: int = 5000) -> Iterable[tuple[str, ExpertProfile]]:
    """Every profile of a collection, in pages."""
    offset = 0
    while True:
        got = collection.get(include=["metadatas"], limit=batch, offset=offset)
        for pid, metadata in zip(got["ids"], got["metadatas"] or [], strict=True):
            yield pid, ExpertProfile.model_validate_json(str(metadata["profile"]))
        if len(got["ids"]) < batch:
            return
        offset += batch


def record_metadata(profile: ExpertProfile) -> dict[str, Any]:
    """The whole profile (JSON) plus the casefolded fields that Chroma's `where` filters use."""
    metadata: dict[str, Any] = {
        "profile": profile.model_dump_json(),
        "availability": profile.availability.value,
        "location": profile.location.casefold(),
        "department": profile.department.casefold(),
    }
    if profile.languages:
        metadata["languages"] = [language.casefold() for language in profile.languages]
    return metadata
