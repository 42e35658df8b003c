"""Search filters: the same rule in memory (allowed ids) and as a Chroma `where` clause."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from vectorstore.models import ExpertProfile, SearchFilters


class FilterIndex:
    """Inverted sets of ids per availability, location, department and language (all case-folded)."""

    def __init__(self, profiles: Iterable[ExpertProfile]) -> None:
        self._sets: dict[str, dict[str, set[str]]] = {
            name: defaultdict(set) for name in ("availability", "location", "department", "languages")
        }
        self._labels: dict[str, dict[str, str]] = {
            name: {} for name in ("location", "department", "languages")
        }
        for profile in profiles:
            self._add("availability", profile.availability.value, profile.id)
            self._add("location", profile.location, profile.id)
            self._add("department", profile.department, profile.id)
            for language in profile.languages:
                self._add("languages", language, profile.id)

    def _add(self, name: str, value: str, pid: str) -> None:
        if not value:
            return
        self._sets[name][value.casefold()].add(pid)
        self._labels.get(name, {}).setdefault(value.casefold(), value)

    def facets(self) -> dict[str, list[str]]:
        return {
            "location": sorted(self._labels["location"].values()),
            "department": sorted(self._labels["department"].values()),
            "language": sorted(self._labels["languages"].values()),
        }

    def allowed(self, filters: SearchFilters | None) -> set[str] | None:
        """The ids that pass, or None when nothing is filtered."""
        if filters is None:
            return None
        groups: list[set[str]] = []
        if filters.availability:
            groups.append(
                set().union(*(self._sets["availability"].get(a.value, set()) for a in filters.availability))
            )
        for name, value in (
            ("location", filters.location),
            ("department", filters.department),
            ("languages", filters.language),
        ):
            if value:
                groups.append(self._sets[name].get(value.casefold(), set()))
        if not groups:
            return None
        return set.intersection(*groups)

    @staticmethod
    def where(filters: SearchFilters | None) -> dict[str, Any] | None:
        """The Chroma metadata filter equivalent to `allowed`."""
        if filters is None:
            return None
        clauses: list[dict[str, Any]] = []
        if filters.availability:
            clauses.append({"availability": {"$in": [a.value for a in filters.availability]}})
        if filters.location:
            clauses.append({"location": filters.location.casefold()})
        if filters.department:
            clauses.append({"department": filters.department.casefold()})
        if filters.language:
            clauses.append({"languages": {"$contains": filters.language.casefold()}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}
