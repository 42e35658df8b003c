"""What a wish's subject is (a field, an industry, a role, a skill or a topic) and the words each kind fills.

Templates are chosen by kind, and each kind fills only the slots that read well for it: a role is "as a
tech lead" or "the tech lead role", never "in tech lead"; a topic ("our data warehouse") is only ever the
object of a phrase ("about our data warehouse"), never a place to work in or a person's skill.
"""

from __future__ import annotations

import re
from typing import Literal

from coach.offline.phrases import with_article

SubjectKind = Literal["field", "industry", "role", "skill", "topic"]
SUBJECT_KINDS: tuple[SubjectKind, ...] = ("field", "industry", "role", "skill", "topic")

# The slots each kind fills; a template that uses another slot for that kind fails to load.
SLOTS: dict[SubjectKind, frozenset[str]] = {
    "field": frozenset({"domain", "in_domain", "unit", "background"}),
    "industry": frozenset({"domain", "in_domain", "unit", "background"}),
    "role": frozenset({"domain", "in_domain", "role", "a_role", "background"}),
    "skill": frozenset({"domain", "background"}),
    "topic": frozenset({"domain", "background"}),
}
ALL_SLOTS = frozenset().union(*SLOTS.values())
SUBJECT_SLOTS = ALL_SLOTS - {"background"}
# Sentence starters that make a gerund phrase a skill ("giving feedback"), unless the word names a field.
_POSSESSIVES = frozenset({"our", "my", "your", "their", "this", "these", "those", "that"})


def kind_of(
    phrase: str, goal: str | None, role_nouns: frozenset[str], field_words: frozenset[str]
) -> SubjectKind:
    """The kind of a subject the lexicon does not know, from its shape and what the person wants with it.

    A phrase ending in a job noun is a role; a phrase led by "our"/"my"/"this" names one thing; what someone
    moves into is an area (a field); a phrase led by a verb's -ing form ("giving feedback") is a skill, and
    so is what someone wants to get better at or start doing; anything else is a topic, whose templates
    read well for any noun phrase."""
    words = phrase.lower().split()
    if not words:
        return "topic"
    if is_role_noun(words[-1], role_nouns):
        return "role"
    if len(words) > 2 and words[1] == "of" and words[0] in role_nouns:  # "head of marketing"
        return "role"
    if words[0] in _POSSESSIVES or words[0] == "the":
        return "topic"
    if goal == "move into":
        return "field"
    gerund = words[0].endswith("ing") and not words[0].endswith("thing") and words[0] not in field_words
    if gerund and len(words) > 1:
        return "skill"
    if goal in ("get better at", "start doing"):
        return "skill"
    return "topic"


def is_role_noun(word: str, role_nouns: frozenset[str]) -> bool:
    """A job noun: a known one ("lead", "CFO") or one by its ending ("florist", "analyst", "librarian")."""
    word = word.lower().strip("'")
    return word in role_nouns or (len(word) > 5 and word.endswith(("ist", "yst", "ian")))


def gerund(verb: str) -> str:
    """ "negotiate" -> "negotiating", "run" -> "running", "lead" -> "leading", "tie" -> "tying"."""
    if verb.endswith("ie"):
        return verb[:-2] + "ying"
    if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) and len(verb) > 2:
        return verb[:-1] + "ing"
    if re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb):
        return verb + verb[-1] + "ing"
    return verb + "ing"


def role_name(phrase: str) -> str:
    """ "the florist role" -> "florist"."""
    name = phrase.removeprefix("the ").removesuffix(" role")
    return name


def slot_values(
    name: str, kind: SubjectKind, *, in_domain: str | None, unit: str | None, background: str
) -> dict[str, str]:
    """The words each slot gets for a subject of this kind; slots the kind does not fill are left out."""
    values = {"domain": name, "background": background}
    if kind in ("field", "industry"):
        values["in_domain"] = in_domain or f"in {name}"
        default_unit = f"the {name} business" if kind == "industry" else f"the {name} team"
        values["unit"] = unit or (name if name.startswith("the ") else default_unit)
    elif kind == "role":
        role = role_name(name)
        values.update(
            domain=f"the {role} role",
            role=role,
            a_role=with_article(role),
            in_domain=in_domain or f"as {with_article(role)}",
        )
    return values
