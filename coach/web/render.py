"""Markdown the web UI shows: chat replies, reports and the journal, with untrusted text made inert."""

from __future__ import annotations

from collections.abc import Sequence

from coach.models import Clarification, LearningQuestion, QuestionMatches
from coach.web.cards import role_parts
from coach.web.escaping import markdown_text
from vectorstore.models import Availability, ExpertProfile

MAX_WHY_PHRASES = 3
AVAILABILITY_TEXT = {
    Availability.open: "open to coffee chats",
    Availability.limited: "limited availability",
    Availability.unavailable: "currently unavailable",
}


def fallback_text(reason: str | None) -> str:
    """The plain-text notice for a turn the LLM could not serve; empty when it did."""
    if not reason:
        return ""
    return f"The LLM was unavailable ({' '.join(reason.split())}); this answer comes from the offline coach."


def clarification_reply(clarification: Clarification) -> list[str]:
    """The coach's clarifying question, one line per streamed chunk."""
    lines = [markdown_text(clarification.question), ""]
    lines.append("Pick an answer, or type your own.")
    return lines


def questions_reply(questions: Sequence[LearningQuestion], matches: Sequence[QuestionMatches]) -> list[str]:
    """Numbered learning questions, then who to ask for which, one line per streamed chunk."""
    count = len(questions)
    lines = [f"Here are {_count_word(count)} questions a colleague could answer over a 20-minute coffee:", ""]
    for number, question in enumerate(questions, start=1):
        line = f"{number}. {markdown_text(question.text)}"
        if question.why:
            line += f" *({markdown_text(question.why)})*"
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
                f"“{markdown_text(group.connector.ask)}”"
            )
        else:
            connector_lines.append(f"- for {number}, nobody in the index fits yet; try other filters")
    lines = []
    for profile, numbers, why in by_expert.values():
        line = f"- for {_numbers(numbers)}: {_person(profile)}"
        if why:
            line += f" — *“{markdown_text(why)}”*"
        lines.append(line + f"; {AVAILABILITY_TEXT[profile.availability]}")
    return lines + connector_lines


def _person(profile: ExpertProfile) -> str:
    text = f"**{markdown_text(profile.name)}**"
    details = role_parts(profile)
    if details:
        text += f" ({markdown_text(', '.join(details))})"
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
        f"{number}. *{markdown_text(question.why)}*"
        for number, question in enumerate(questions, start=1)
        if question.why
    ]
    return "**Why these questions**\n\n" + "\n".join(lines) if lines else ""
