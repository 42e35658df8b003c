"""Untrusted text on its way into prompts (fenced, neutralised data) and model text on its way out (checked)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from coach.agenda import first_name_of, shorten, single_line
from coach.llm.replies import InvalidReply
from coach.models import MAX_WISH_CHARS
from vectorstore.models import ExpertProfile, FieldEvidence

_UNSAFE = (
    (re.compile(r"https?://|www\.|\b[\w-]+\.(?:com|org|net|io|ly|co|ai|dev|app)\b", re.I), "a link"),
    (re.compile(r"!?\[[^\]]*\]\([^)]*\)|!\[", re.I), "markdown links or images"),
    (re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"), "an email address"),
    (re.compile(r"</?[a-z!][^>]*>", re.I), "HTML tags"),
    (re.compile(r"\[[^\]\n]{1,40}\]|\{[^}\n]{0,40}\}"), "a [placeholder]"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def fenced_text(text: str, limit: int) -> str:
    """Untrusted text made safe to place inside a data fence: one line, no angle brackets, capped."""
    text = _CONTROL.sub(" ", text).replace("<", "‹").replace(">", "›")
    return shorten(text, limit)


def profile_block(
    expert: ExpertProfile,
    evidence: Sequence[FieldEvidence],
    *,
    with_id: bool = False,
    brief: bool = False,
) -> str:
    # Only what the task needs: never email, location, availability or `extra`.
    # A phrase the profile does not contain would be an invented fact, so it is left out.
    # `brief` is the re-ranking's version: many profiles share one prompt, so the name goes and the rest shrinks.
    known = single_line(" ".join([expert.title, expert.department, *expert.expertise, expert.bio])).casefold()
    phrases = unique(
        fenced_text(p, 80) for ev in evidence for p in ev.phrases if single_line(p).casefold() in known
    )
    fields = [
        ("id", fenced_text(expert.id, 200) if with_id else ""),
        ("first_name", "" if brief else fenced_text(first_name_of(expert.name), 40)),
        ("title", fenced_text(expert.title, 160)),
        ("department", fenced_text(expert.department, 120)),
        ("expertise", fenced_text("; ".join(expert.expertise[:15]), 240 if brief else 400)),
        ("bio", fenced_text(expert.bio, 280 if brief else 600)),
        ("matched_phrases", "; ".join(phrases[:8])),
    ]
    lines = "\n".join(f"{key}: {value}" for key, value in fields if value)
    return f"<profile_data>\n{lines}\n</profile_data>"


def fit_candidates(
    pools: Sequence[Sequence[tuple[ExpertProfile, Sequence[FieldEvidence]]]], budget: int
) -> list[list[ExpertProfile]]:
    """Each question's candidates, taken rank by rank across questions until the profile text fills `budget`.

    Going rank by rank keeps every question's best candidates in when the budget cuts the tail; a profile
    shared by several questions is shown once, so it costs its text only once.
    """
    shown: list[list[ExpertProfile]] = [[] for _ in pools]
    seen: set[str] = set()
    used = 0
    for depth in range(max((len(pool) for pool in pools), default=0)):
        for position, pool in enumerate(pools):
            if depth >= len(pool):
                continue
            profile = pool[depth][0]
            if profile.id not in seen:
                size = len(profile_block(profile, (), with_id=True, brief=True))
                if used + size > budget:
                    return shown
                used += size
                seen.add(profile.id)
            shown[position].append(profile)
    return shown


def check_safe(text: str, where: str) -> None:
    for pattern, what in _UNSAFE:
        if pattern.search(text):
            raise InvalidReply(
                f"{where} contains {what}; write plain text without links, addresses or markup"
            )


def is_safe(text: str) -> bool:
    return not any(pattern.search(text) for pattern, _ in _UNSAFE)


def unique(items: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in items:
        text = single_line(item)
        if text and text.casefold() not in seen:
            seen[text.casefold()] = text
    return list(seen.values())


def bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {fenced_text(item, MAX_WISH_CHARS)}" for item in items)


def numbered(items: Sequence[str]) -> str:
    return "\n".join(f"{i}. {fenced_text(item, MAX_WISH_CHARS)}" for i, item in enumerate(items, 1))
