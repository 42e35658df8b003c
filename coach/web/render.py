"""Markdown the web UI shows: chat replies, reports and the journal, with untrusted text made inert."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from coach.agenda import escape_markdown
from coach.models import Clarification, LearningQuestion, QuestionMatches
from vectorstore.models import Availability, ExpertProfile
from vectorstore.profiles import LoadResult, RowIssue

MAX_REPORT_ROWS = 50
MAX_WHY_PHRASES = 3
AVAILABILITY_TEXT = {
    Availability.open: "open to coffee chats",
    Availability.limited: "limited availability",
    Availability.unavailable: "currently unavailable",
}

# Inline links and images, `[text](dest "title")`; the destination's first token is the URL.
_LINK = re.compile(r"(!?)\[((?:[^\[\]\\]|\\.)*)\]\(([^)]*)\)")
_REFERENCE = re.compile(r"^ {0,3}\[((?:[^\[\]\\]|\\.)+)\]:[ \t]*<?(\S*?)>?(?:[ \t].*)?$", re.MULTILINE)
_AUTOLINK = re.compile(r"<((?:[a-zA-Z][a-zA-Z0-9+.-]{1,31}):[^<>\s]*)>")
_BARE_URL = re.compile(r"\b((?:https?|ftp)://[^\s<>()\[\]]+|www\.[^\s<>()\[\]]+)", re.IGNORECASE)


def host_allowed(url: str, allowlist: Iterable[str]) -> bool:
    """True for an http(s) URL whose host is on the allowlist (or a subdomain of an entry)."""
    url = url.strip().strip("<>")
    if url.lower().startswith("www."):
        url = "https://" + url
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    host = (parts.hostname or "").lower().rstrip(".")
    if parts.scheme.lower() not in {"http", "https"} or not host:
        return False
    for entry in allowlist:
        allowed = entry.strip().lower().rstrip(".")
        if allowed and (host == allowed or host.endswith("." + allowed)):
            return True
    return False


def restrict_links(markdown: str, allowlist: Sequence[str] = ()) -> str:
    """Drop images and links to hosts not on the allowlist, keeping their text; bare URLs stop auto-linking.

    A Markdown image loads when rendered, so an injected one can send data to any host; links are
    only followed on a click, but are held to the same rule.
    """

    def inline(match: re.Match[str]) -> str:
        bang, text, destination = match.groups()
        url = destination.strip().split(" ")[0] if destination.strip() else ""
        if host_allowed(url, allowlist):
            return match.group(0)
        return text if not bang else (f"[image: {text}]" if text.strip() else "")

    def reference(match: re.Match[str]) -> str:
        return match.group(0) if host_allowed(match.group(2), allowlist) else ""

    def autolink(match: re.Match[str]) -> str:
        url = match.group(1)
        return match.group(0) if host_allowed(url, allowlist) else _unlinked(url)

    def bare(match: re.Match[str]) -> str:
        url = match.group(1)
        return url if host_allowed(url, allowlist) else _unlinked(url)

    markdown = _LINK.sub(inline, markdown)
    markdown = _REFERENCE.sub(reference, markdown)
    markdown = _AUTOLINK.sub(autolink, markdown)
    return _BARE_URL.sub(bare, markdown)


def _unlinked(url: str) -> str:
    # A backslash before `:` or `.` is a Markdown escape: the text reads the same but no longer auto-links.
    if url.lower().startswith("www."):
        return "www\\." + url[4:]
    return url.replace("://", "\\://", 1)


def fallback_text(reason: str | None) -> str:
    """The plain-text notice for a turn the LLM could not serve; empty when it did."""
    if not reason:
        return ""
    return f"The LLM was unavailable ({' '.join(reason.split())}); this answer comes from the offline coach."


def clarification_reply(clarification: Clarification) -> list[str]:
    """The coach's clarifying question, one line per streamed chunk."""
    lines = [escape_markdown(clarification.question), ""]
    lines.append("Pick an answer, or type your own.")
    return lines


def questions_reply(questions: Sequence[LearningQuestion], matches: Sequence[QuestionMatches]) -> list[str]:
    """Numbered learning questions, then who to ask for which, one line per streamed chunk."""
    count = len(questions)
    lines = [f"Here are {_count_word(count)} questions a colleague could answer over a 20-minute coffee:", ""]
    for number, question in enumerate(questions, start=1):
        line = f"{number}. {escape_markdown(question.text)}"
        if question.why:
            line += f" *({escape_markdown(question.why)})*"
        lines.append(line)
    people = people_lines(matches)
    if people:
        lines += ["", "**People to ask:**", *people]
    lines += [
        "",
        "Edit them under **Your questions**, or open **People** to pick someone, "
        "then prepare the agenda and the intro.",
    ]
    return lines


def people_lines(matches: Sequence[QuestionMatches]) -> list[str]:
    """One bullet per person: the question numbers they fit, the facts, and connectors for the rest."""
    by_expert: dict[str, tuple[ExpertProfile, list[int], str]] = {}
    connector_lines: list[str] = []
    for number, group in enumerate(matches, start=1):
        top = group.matches[0] if group.matches and not group.nobody_fits else None
        if top is not None:
            why = ", ".join([phrase for ev in top.evidence for phrase in ev.phrases][:MAX_WHY_PHRASES])
            profile, numbers, first_why = by_expert.get(top.profile.id, (top.profile, [], why))
            by_expert[top.profile.id] = (profile, [*numbers, number], first_why)
        elif group.connector is not None:
            person = group.connector.profile
            connector_lines.append(
                f"- for {number}, nobody fits well yet: ask {_person(person)} "
                f"“{escape_markdown(group.connector.ask)}”"
            )
        else:
            connector_lines.append(f"- for {number}, nobody in the index fits yet; try other filters")
    lines = []
    for profile, numbers, why in by_expert.values():
        line = f"- for {_numbers(numbers)}: {_person(profile)}"
        if why:
            line += f" — *“{escape_markdown(why)}”*"
        lines.append(line + f"; {AVAILABILITY_TEXT[profile.availability]}")
    return lines + connector_lines


def _person(profile: ExpertProfile) -> str:
    text = f"**{escape_markdown(profile.name)}**"
    details = [part for part in (profile.title, profile.department) if part]
    if details:
        text += f" ({escape_markdown(', '.join(details))})"
    return text


def _numbers(numbers: Sequence[int]) -> str:
    if len(numbers) == 1:
        return str(numbers[0])
    return ", ".join(str(n) for n in numbers[:-1]) + f" and {numbers[-1]}"


def _count_word(count: int) -> str:
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight"}
    return words.get(count, str(count))


def questions_note(questions: Sequence[LearningQuestion]) -> str:
    """Why each question matters, under the editable list."""
    lines = [
        f"{number}. *{escape_markdown(question.why)}*"
        for number, question in enumerate(questions, start=1)
        if question.why
    ]
    return "**Why these questions**\n\n" + "\n".join(lines) if lines else ""


def import_report(
    file_name: str, result: LoadResult, added: int, updated: int, unchanged: int, limit: int = MAX_REPORT_ROWS
) -> str:
    """The validation report shown before an import is committed."""
    counts = [
        f"**{result.rows_read}** rows read",
        f"**{added}** new",
        f"**{updated}** updated",
        f"**{unchanged}** unchanged",
        f"**{len(result.rejected)}** rejected",
    ]
    if result.duplicates:
        counts.append(f"**{len(result.duplicates)}** duplicate ids")
    lines = [f"### {escape_markdown(file_name)}", "", " · ".join(counts), ""]
    if result.rejected:
        lines += ["**Rejected rows** (fix them and upload again; the other rows can be imported now):", ""]
        lines += _issue_lines(result.rejected, limit)
    if result.duplicates:
        lines += ["", "**Duplicate ids** (the last row wins):", ""]
        lines += _issue_lines(result.duplicates, limit)
    if added + updated == 0:
        lines += ["", "Nothing to import: every valid row is already in the index."]
    return "\n".join(lines)


def _issue_lines(issues: Sequence[RowIssue], limit: int) -> list[str]:
    lines = [f"- {escape_markdown(str(issue))}" for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"- … and {len(issues) - limit} more")
    return lines
