"""The profile import report shown before anything is written: counts by row, and plain reasons."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from coach.web.escaping import markdown_text
from vectorstore.profiles import LoadResult, RowIssue

MAX_REPORT_ROWS = 50


@dataclass(frozen=True)
class Wording:
    """A validation message pattern and what to say instead; `{0}`, `{1}` are the pattern's groups."""

    pattern: re.Pattern[str]
    plain: str


def _w(pattern: str, plain: str) -> Wording:
    return Wording(re.compile(pattern, re.IGNORECASE), plain)


# pydantic-core's message templates for the checks a profile field can fail (its error types
# string_too_short, string_too_long, string_type, enum, list_type, int_*, greater/less_than_equal,
# missing); anything else, such as a validator's own sentence, is already written for people.
WORDINGS = (
    _w(r"^String should have at least 1 character$", "is empty"),
    _w(r"^String should have at least (\d+) characters$", "needs at least {0} characters"),
    _w(r"^String should have at most (\d+) characters?$", "is longer than {0} characters"),
    _w(r"^Input should be a valid string\b.*$", "should be text"),
    _w(r"^Input should be a valid list$", "should be a list (separate items with ;)"),
    _w(r"^Input should be a valid integer\b.*$", "should be a whole number"),
    _w(r"^Input should be greater than or equal to (\S+)$", "should be {0} or more"),
    _w(r"^Input should be less than or equal to (\S+)$", "should be {0} or less"),
    _w(r"^Input should be a valid (\w+)$", "should be a {0}"),
    _w(r"^Input should be ('.*)$", "should be {0}"),
    _w(r"^(?:Field )?required$", "is missing"),
)


def plain_reason(reason: str) -> str:
    """A validation message in everyday words ("is empty" for "String should have at least 1 character")."""
    for wording in WORDINGS:
        found = wording.pattern.match(reason.strip())
        if found:
            groups = [group.replace("'", "") for group in found.groups()]
            return wording.plain.format(*groups)
    return reason


def issue_text(issue: RowIssue) -> str:
    """One problem with a row, as "name is empty" (or "field: reason" when the reason is a sentence)."""
    plain = plain_reason(issue.reason)
    if not issue.field:
        return plain
    return f"{issue.field} {plain}" if plain != issue.reason else f"{issue.field}: {issue.reason}"


def rows_with(issues: Sequence[RowIssue]) -> list[tuple[str, int, list[RowIssue]]]:
    """Issues grouped by the row they belong to, in file order: one entry per rejected row."""
    grouped: dict[tuple[str, int], list[RowIssue]] = {}
    for issue in issues:
        grouped.setdefault((issue.file, issue.row), []).append(issue)
    return [(file, row, found) for (file, row), found in grouped.items()]


def import_report(
    file_name: str, result: LoadResult, added: int, updated: int, unchanged: int, limit: int = MAX_REPORT_ROWS
) -> str:
    """The validation report shown before an import is committed."""
    rejected = rows_with(result.rejected)
    counts = [
        f"**{result.rows_read}** rows read",
        f"**{added}** new",
        f"**{updated}** updated",
        f"**{unchanged}** unchanged",
        f"**{len(rejected)}** {'row' if len(rejected) == 1 else 'rows'} rejected",
    ]
    if result.duplicates:
        counts.append(f"**{len(result.duplicates)}** duplicate ids")
    lines = [f"### {markdown_text(file_name)}", "", " · ".join(counts), ""]
    if rejected:
        lines += ["**Rejected rows** (fix them and upload again; the other rows can be imported now):", ""]
        lines += _row_lines(rejected, limit)
    if result.duplicates:
        lines += ["", "**Duplicate ids** (the last row wins):", ""]
        lines += _row_lines(rows_with(result.duplicates), limit)
    if added + updated == 0:
        lines += ["", "Nothing to import: every valid row is already in the index."]
    return "\n".join(lines)


def _row_lines(rows: list[tuple[str, int, list[RowIssue]]], limit: int) -> list[str]:
    lines = []
    for file, row, issues in rows[:limit]:
        ids = {issue.profile_id for issue in issues if issue.profile_id}
        who = f" (id {markdown_text(next(iter(ids)))})" if len(ids) == 1 else ""
        what = "; ".join(issue_text(issue) for issue in issues)
        lines.append(f"- {markdown_text(file)}:{row}{who}: {markdown_text(what)}")
    if len(rows) > limit:
        lines.append(f"- … and {len(rows) - limit} more rows")
    return lines
