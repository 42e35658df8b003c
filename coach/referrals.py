"""The question to take to someone a colleague referred you to: about what they suggested, else their work.

"What could Joanna teach me about what they work on?" is a placeholder; the profile says what she works on.
The journal's "what next" asks here for a referral's question (coach/journal/whatnext.py), so this module
imports only the models and the phrase shortener.
"""

from __future__ import annotations

from dataclasses import dataclass

from coach.clauses import fit_phrase, single_line
from vectorstore.models import ExpertProfile

MAX_TOPIC_CHARS = 60  # a longer note or expertise list is shortened at a phrase boundary
_EXPERTISE_ITEMS = 2


@dataclass(frozen=True)
class ReferralQuestion:
    """The question's text and the words to search the index with for it."""

    text: str
    search_query: str


def referral_question(expert: ExpertProfile, suggested: str = "") -> ReferralQuestion:
    """A concrete question for a referred colleague: about `suggested` (the referral's note or the chat's
    notes) when it is a short whole phrase, else about the first expertise items on their profile, else
    about their work as their title says; never a placeholder."""
    first = expert.name.split()[0] if expert.name.split() else expert.name
    topic = fit_phrase(single_line(suggested).rstrip("?.!").strip(), MAX_TOPIC_CHARS)
    if topic:
        return ReferralQuestion(f"What could {first} teach me about {topic}?", topic)
    items = [single_line(item) for item in expert.expertise if item.strip()][:_EXPERTISE_ITEMS]
    while items and len(" and ".join(items)) > MAX_TOPIC_CHARS:
        items = items[:-1]
    if items:
        listed = " and ".join(items)
        return ReferralQuestion(f"What could {first} teach me about {listed}?", listed)
    title = fit_phrase(single_line(expert.title), MAX_TOPIC_CHARS)
    if title:
        return ReferralQuestion(f"What could {first} teach me from working as {title}?", title)
    return ReferralQuestion(
        f"What is {first} working on that I could learn from?", expert.department or expert.name
    )
