"""The person asking, in one line from their own wish: who they are and what they want to learn.

The agenda opens with it ("I work on the self-publishing side and want to understand traditional
publishing"), so the first two minutes of a chat say something real instead of a placeholder.
"""

from __future__ import annotations

import re

from coach.offline.bank import BankFile, Domain, Goal
from coach.offline.phrases import with_article
from coach.offline.subject import role_name
from coach.offline.wish import TextReading

_DEFAULT_GOAL: dict[str, Goal] = {"skill": "get better at", "role": "move into"}


def introduction(reading: TextReading, domain: Domain, bank: BankFile) -> str:
    """ "I'm an accountant and want to move into data science"; "" when the wish says nothing usable."""
    me = _who(reading)
    want = _want(reading, domain, bank)
    if me and want:
        return f"{me} and {want}"
    return f"I {want}" if want else me


def indirect_question(question: str) -> str:
    """ "Why do our releases slip?" -> "why our releases slip"; "How do I price X?" -> "how to price X"; else ""."""
    text = question.strip().rstrip("?")
    match = re.match(
        r"^(how|why|where|when) do (i|we|you|they|our \S+|the \S+s|\S+s) (.+)$", text, re.IGNORECASE
    )
    if not match:
        return ""
    wh, subject, rest = match.group(1).lower(), match.group(2), match.group(3)
    if wh == "how" and subject.lower() in {"i", "we"}:
        return f"how to {rest}"
    return f"{wh} {subject} {rest}"


def _who(reading: TextReading) -> str:
    background = reading.background
    if background.startswith("my work "):  # "my work as a teacher" -> "I work as a teacher"
        return "I work " + background.removeprefix("my work ")
    if reading.role and reading.role != background:  # "I'm a new manager"
        return f"I'm {with_article(reading.role)}"
    return f"I work in {background}" if background else ""  # "move from support into ...": where they are


def _want(reading: TextReading, domain: Domain, bank: BankFile) -> str:
    goal: Goal = reading.goal or _DEFAULT_GOAL.get(domain.kind, "understand")
    if reading.question and not reading.domain:  # only a question of their own, no subject named
        indirect = indirect_question(reading.question)
        if indirect:
            return bank.introduction["understand"].format(domain=indirect)
        return "came with a question of my own: " + reading.question[:1].lower() + reading.question[1:]
    if reading.focus and not reading.question:
        return bank.introduction["understand"].format(domain=reading.focus)
    if domain.kind == "role":
        return bank.role_introduction[goal].format(a_role=with_article(role_name(domain.name)))
    return bank.introduction[goal].format(domain=domain.name)
