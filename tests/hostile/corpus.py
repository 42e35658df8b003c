"""The injection corpus (tests/data/injection.yaml) as cases, and each case planted where it says.

A profile case becomes one colleague in a real profile file, read by the app's own loader; a wish or an
answer is what the user types; a journal note is a logged chat's notes and takeaway. The base colleague is
a budget analyst, so that a wish about budgets finds them and every engine sees the planted text.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from vectorstore.models import ExpertProfile
from vectorstore.profiles import load_profiles

CORPUS = Path(__file__).resolve().parent.parent / "data" / "injection.yaml"
PROFILE_FIELDS = ("bio", "expertise", "name", "title")
HOSTILE_ID = "zz-planted"
# The wishes the flow starts from: one that finds the planted colleague, one broad enough to ask back.
PROFILE_WISH = "I want to learn how the yearly budget and the monthly forecast get set in finance"
ANSWER_WISH = "I want to learn about finance"
BASE_PROFILE: dict[str, Any] = {
    "id": HOSTILE_ID,
    "name": "Robin Vale",
    "title": "Budget planning analyst",
    "department": "Finance",
    "location": "London",
    "email": "robin.vale@northwindmedia.example",
    "bio": "Robin builds the yearly budget and the monthly forecast for the trade division.",
    "expertise": ["budgeting", "forecasting", "financial planning", "yearly budget"],
    "availability": "limited",
}


@dataclass(frozen=True)
class Case:
    """One corpus entry with its generator spec expanded."""

    id: str
    family: str
    text: str
    where: tuple[str, ...]
    goal: str

    @property
    def in_profile(self) -> bool:
        return any(w in PROFILE_FIELDS for w in self.where)


def load_cases(path: Path = CORPUS) -> list[Case]:
    """Every case, long ones built from prefix + text * repeat + suffix."""
    cases = []
    for raw in yaml.safe_load(path.read_text(encoding="utf-8")):
        text = raw["text"]
        if "repeat" in raw:
            text = raw.get("prefix", "") + text * int(raw["repeat"]) + raw.get("suffix", "")
        cases.append(Case(raw["id"], raw["family"], text, tuple(raw["where"]), raw["goal"]))
    return cases


def families(cases: list[Case]) -> list[str]:
    return sorted({c.family for c in cases})


def profile_row(case: Case) -> dict[str, Any]:
    """The base colleague with the case's text in each profile field it names."""
    row = {**BASE_PROFILE, "expertise": list(BASE_PROFILE["expertise"])}
    for where in case.where:
        if where == "expertise":
            row["expertise"].append(case.text)
        elif where in PROFILE_FIELDS:
            row[where] = case.text
    return row


def import_planted(case: Case, folder: Path) -> tuple[ExpertProfile | None, str]:
    """The planted colleague as the app's loader reads it from a JSONL file, or None and why it was refused."""
    path = folder / f"{case.id}.jsonl"
    path.write_text(json.dumps(profile_row(case), ensure_ascii=False) + "\n", encoding="utf-8")
    result = load_profiles(path)
    if result.profiles:
        return result.profiles[0], ""
    reasons = "; ".join(str(issue) for issue in result.rejected) or "no profile read"
    return None, reasons


def wish_and_answers(case: Case) -> tuple[str, list[str]]:
    """What the user types for this case: the case as the wish, as the answer to a broad wish, or a plain wish."""
    if "wish" in case.where:
        return case.text, []
    if "answer" in case.where:
        return ANSWER_WISH, [case.text]
    return PROFILE_WISH, []
