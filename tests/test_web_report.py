"""The profile import report: rows (not errors) counted, and reasons in everyday words."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from coach.web.report import import_report, plain_reason
from vectorstore.profiles import LoadResult, RowIssue, load_profiles

HEADER = "id,name,title,email,expertise,availability,max_chats_per_month\n"


@dataclass(frozen=True)
class BadRow:
    row: str
    field: str
    plain: str


# Each row fails one check of the profile schema; the report must say it without validator jargon.
BAD_ROWS = [
    BadRow("a1,,Kiln Technician,,kiln,open,", "name", "name is empty"),
    BadRow(",Ana,Kiln Technician,,kiln,open,", "id", "id is empty"),
    BadRow(
        "a3,Ana,Kiln Technician,,kiln,sometimes,", "availability", "should be open, limited or unavailable"
    ),
    BadRow("a4,Ana,Kiln Technician,,kiln,open,lots", "max_chats_per_month", "should be a whole number"),
    BadRow("a5,Ana,Kiln Technician,,kiln,open,-1", "max_chats_per_month", "should be 0 or more"),
    BadRow("a6,Ana,Kiln Technician,,kiln,open,5000", "max_chats_per_month", "should be 1000 or less"),
    BadRow(
        f"a7,Ana,Kiln Technician,{'x' * 400}@example.com,kiln,open,", "email", "is longer than 320 characters"
    ),
]


@pytest.mark.parametrize("case", BAD_ROWS, ids=lambda c: c.field + ":" + c.plain)
def test_every_schema_failure_reads_as_plain_words(case: BadRow, tmp_path: Path) -> None:
    upload = tmp_path / "team.csv"
    upload.write_text(HEADER + case.row + "\n", encoding="utf-8")
    result = load_profiles(upload)
    assert [issue.field for issue in result.rejected] == [case.field]
    report = import_report("team.csv", result, 0, 0, 0)
    assert case.plain in report and "**1** row rejected" in report
    for jargon in ("String should", "Input should", "valid integer", "unable to parse"):
        assert jargon not in report


def test_a_row_with_two_problems_counts_once() -> None:
    issues = [
        RowIssue("team.csv", 3, "name", "String should have at least 1 character", profile_id="p3"),
        RowIssue(
            "team.csv",
            3,
            "availability",
            "Input should be 'open', 'limited' or 'unavailable'",
            profile_id="p3",
        ),
    ]
    report = import_report("team.csv", LoadResult(rejected=issues, rows_read=4), 3, 0, 0)
    assert "**1** row rejected" in report and "2 rows rejected" not in report
    assert (
        "- team.csv:3 (id p3): name is empty; availability should be open, limited or unavailable" in report
    )


def test_report_lists_rows_with_file_and_row_and_escapes_them() -> None:
    result = LoadResult(
        rejected=[RowIssue("team.csv", 3, "name", "required"), RowIssue("team.csv", 5, "bio", "bad *value*")],
        duplicates=[
            RowIssue("team.csv", 7, "id", "id 'p1' appears 2 times; this last one wins", "duplicate")
        ],
        rows_read=5,
    )
    report = import_report("team.csv", result, added=1, updated=0, unchanged=0)
    assert "**5** rows read" in report and "**1** new" in report and "**2** rows rejected" in report
    assert "- team.csv:3: name is missing" in report
    assert "- team.csv:5: bio: bad \\*value\\*" in report  # a validator's own sentence, kept and escaped
    assert "Duplicate ids" in report and "team.csv:7: id: id 'p1' appears 2 times" in report


def test_report_caps_long_lists_by_row() -> None:
    issues = [RowIssue("big.csv", n, "name", "required") for n in range(2, 80)]
    report = import_report("big.csv", LoadResult(rejected=issues, rows_read=78), 0, 0, 0, limit=10)
    assert "big.csv:11: name" in report and "big.csv:12: name" not in report
    assert "… and 68 more rows" in report and "**78** rows rejected" in report
    assert "Nothing to import" in report


@pytest.mark.parametrize(
    ("reason", "plain"),
    [
        ("String should have at least 3 characters", "needs at least 3 characters"),
        ("Input should be a valid string", "should be text"),
        ("Input should be a valid list", "should be a list (separate items with ;)"),
        ("Input should be a valid dictionary", "should be a dictionary"),
        ("at most 100 items", "at most 100 items"),
    ],
)
def test_plain_reason(reason: str, plain: str) -> None:
    assert plain_reason(reason) == plain
