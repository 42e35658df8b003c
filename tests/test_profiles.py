"""Profile import: every format, every kind of bad row, limits and duplicates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from coach.errors import ProfileError
from vectorstore.models import Availability
from vectorstore.profiles import load_profiles, parse_profiles

DEV_PROFILES = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev" / "profiles.jsonl"
HEADER = "id,name,title,department,location,email,bio,expertise,availability,languages"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


GOOD = {
    "id": "p1",
    "name": "Sam Okafor",
    "title": "Finance partner",
    "expertise": ["title P&L", "advances"],
    "availability": "open",
    "languages": ["English", "Yoruba"],
    "team_size": 4,
}


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "people.csv",
            f"{HEADER},team_size\np1,Sam Okafor,Finance partner,,,,,title P&L;advances,open,English;Yoruba,4\n",
        ),
        ("people.json", json.dumps([GOOD])),
        ("people.json", json.dumps({"profiles": [GOOD]})),
        ("people.jsonl", json.dumps(GOOD) + "\n\n"),
        (
            "people.yaml",
            "- id: p1\n  name: Sam Okafor\n  title: Finance partner\n  expertise: [title P&L, advances]\n"
            "  availability: open\n  languages: [English, Yoruba]\n  team_size: 4\n",
        ),
    ],
)
def test_every_format_loads_the_same_profile(tmp_path: Path, name: str, text: str) -> None:
    result = load_profiles(write(tmp_path, name, text))
    assert result.rejected == []
    [profile] = result.profiles
    assert (profile.id, profile.name, profile.title) == ("p1", "Sam Okafor", "Finance partner")
    assert profile.expertise == ["title P&L", "advances"]
    assert profile.languages == ["English", "Yoruba"]
    assert profile.availability is Availability.open
    assert profile.extra == {"team_size": "4"}, "unknown columns are kept, not dropped"


def test_the_dev_eval_profiles_load_as_they_are() -> None:
    result = load_profiles(DEV_PROFILES)
    assert len(result.profiles) == 150
    assert result.rejected == [] and result.duplicates == []


@dataclass(frozen=True)
class BadRow:
    line: str
    field: str
    reason: str


@pytest.mark.parametrize(
    "case",
    [
        BadRow(",No Id,,,,,,,open,", "id", "at least 1 character"),
        BadRow("p9,,,,,,,,open,", "name", "at least 1 character"),
        BadRow("p9,Ann,,,,,,,sometimes,", "availability", "open"),
        BadRow("p9,Ann,,,,,,,open,,extra", "", "header has 10 columns"),
        BadRow("p9,Ann," + "x" * 5000 + ",,,,,,open,", "title", "at most 4000"),
        BadRow("p9,Ann,,,,,," + ";".join(["skill"] * 101) + ",open,", "expertise", "at most 100"),
    ],
)
def test_a_bad_row_is_reported_with_its_row_number_and_the_rest_load(tmp_path: Path, case: BadRow) -> None:
    text = f"{HEADER}\np1,Good One,,,,,,,open,\n{case.line}\np2,Good Two,,,,,,,limited,\n"
    result = load_profiles(write(tmp_path, "org.csv", text))
    assert [p.id for p in result.profiles] == ["p1", "p2"]
    [issue] = result.rejected
    assert (issue.file, issue.row, issue.field) == ("org.csv", 3, case.field)
    assert case.reason in issue.reason
    assert str(issue).startswith("org.csv:3:")


def test_a_bad_row_in_five_thousand_is_reported_and_the_others_kept(tmp_path: Path) -> None:
    rows = [f"p{i},Person {i},Analyst,Finance,London,,,budgeting,open,English" for i in range(5000)]
    rows[4120] = "p4120,Person 4120,Analyst,Finance,London,,,budgeting,maybe,English"
    result = load_profiles(write(tmp_path, "big.csv", HEADER + "\n" + "\n".join(rows) + "\n"))
    assert len(result.profiles) == 4999
    [issue] = result.rejected
    assert issue.row == 4122 and issue.field == "availability"  # header is row 1, p0 is row 2
    assert issue.profile_id == "p4120"


def test_jsonl_reports_line_numbers_of_broken_json(tmp_path: Path) -> None:
    text = json.dumps(GOOD) + "\n{not json\n" + json.dumps({"id": "p2"}) + "\n"
    result = load_profiles(write(tmp_path, "p.jsonl", text))
    assert [p.id for p in result.profiles] == ["p1"]
    assert [(i.row, i.field) for i in result.rejected] == [(2, ""), (3, "name")]
    assert "invalid JSON" in result.rejected[0].reason


def test_duplicate_ids_last_one_wins_and_is_reported(tmp_path: Path) -> None:
    text = f"{HEADER}\np1,First,,,,,,,open,\np2,Other,,,,,,,open,\np1,Second,,,,,,,open,\n"
    result = load_profiles(write(tmp_path, "d.csv", text))
    assert {p.id: p.name for p in result.profiles} == {"p1": "Second", "p2": "Other"}
    [dup] = result.duplicates
    assert dup.row == 4 and "last one wins" in dup.reason


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", "", "empty"),
        ("nohead.csv", "title,department\nx,y\n", "missing required column"),
        ("broken.json", "[{", "not valid JSON"),
        ("scalar.yaml", "just text", "expected a list"),
        ("people.txt", "id,name\n", "unsupported file type"),
    ],
)
def test_a_file_that_cannot_be_read_raises(tmp_path: Path, name: str, content: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        load_profiles(write(tmp_path, name, content))


def test_non_utf8_and_missing_files_raise(tmp_path: Path) -> None:
    bad = tmp_path / "latin.csv"
    bad.write_bytes("id,name\np1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(ProfileError, match="UTF-8"):
        load_profiles(bad)
    with pytest.raises(ProfileError, match="cannot read"):
        load_profiles(tmp_path / "nope.csv")


def test_size_and_row_limits(tmp_path: Path) -> None:
    path = write(tmp_path, "org.csv", f"{HEADER}\n" + "".join(f"p{i},N{i},,,,,,,open,\n" for i in range(20)))
    with pytest.raises(ProfileError, match=r"over the .* limit"):
        load_profiles(path, max_bytes=100)
    with pytest.raises(ProfileError, match="20 rows is over the limit of 10"):
        load_profiles(path, max_rows=10)


def test_quoted_fields_with_commas_and_newlines() -> None:
    text = f'{HEADER}\np1,"Lee, Dana",Editor,,,,"Line one,\nline two",editing,,\n'
    [profile] = parse_profiles(text, "csv", name="q.csv").profiles
    assert profile.name == "Lee, Dana" and "line two" in profile.bio
    assert profile.availability is Availability.open
