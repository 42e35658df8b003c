"""Why this person: the facts from their own profile that justify asking them, never an invented one.

Evidence phrases that matched the question come first (expertise items read well after "your work on"),
then the profile item or title nearest the questions; a phrase that would read badly ("your work on
first-time manager") or holds a contact detail is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from coach.agenda import shorten, single_line
from vectorstore.models import ExpertProfile, FieldEvidence

_GROUNDING_CHARS, _TITLE_CHARS = 60, 80
_CONTACT = re.compile(r"@|https?:|www\.|\d[\d\s().+-]{6,}\d", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9&]+")
_STOPWORDS_TEXT = (
    "a an and are as at be by can do does for from how i in is it its me my of on or our should that the "
    "their them they this to was we what when where which who why will with would you your"
)
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def why_them(expert: ExpertProfile, questions: Sequence[str], evidence: Sequence[FieldEvidence] = ()) -> str:
    """Why this person, in a few words for an agenda ("their work on title P&L models"); "" if nothing fits."""
    kind, phrase = grounding(expert, [single_line(q) for q in questions], evidence)
    return {"work": f"their work on {phrase}", "role": f"their role as {phrase}"}.get(kind, "")


def grounding(
    expert: ExpertProfile, questions: list[str], evidence: Sequence[FieldEvidence]
) -> tuple[str, str]:
    """("work", "title P&L models and advance modelling"), ("role", "Finance Partner") or ("", "")."""
    phrases = [p for p in _evidence_phrases(expert, evidence) if _reads_as_work(p)]
    if phrases:
        return "work", " and ".join(phrases[:2])
    wanted = _stems(" ".join(questions))
    title = shorten(expert.title, _TITLE_CHARS) if _usable(expert.title) else ""
    items = [
        single_line(i)
        for i in expert.expertise
        if _usable(i) and len(i) <= _GROUNDING_CHARS and _reads_as_work(single_line(i))
    ]
    best = max(items, key=lambda item: len(_stems(item) & wanted), default="")
    best_overlap = len(_stems(best) & wanted) if best else 0
    if title and len(_stems(title) & wanted) > best_overlap:
        return "role", title
    if best_overlap:
        return "work", best
    if title:
        return "role", title
    return ("work", best) if best else ("", "")


def _reads_as_work(phrase: str) -> bool:
    """Whether "your work on {phrase}" reads well: not a job title ("first-time manager"), no seams."""
    from coach.offline.steps import default_coach  # the coach's word lists; imported late to avoid a cycle

    seams = default_coach().writer.seams
    return not seams.prose(f"Your work on {phrase} made me think of you.")


def _evidence_phrases(expert: ExpertProfile, evidence: Sequence[FieldEvidence]) -> list[str]:
    # A phrase the profile does not contain would be an invented fact, so it is dropped.
    known = " ".join([expert.title, expert.department, *expert.expertise, expert.bio]).lower()
    phrases: list[str] = []
    # Expertise items are noun phrases that read well after "your work on"; bio fragments often do not.
    for item in (ev for ev in evidence if ev.field == "expertise"):
        for phrase in (single_line(p) for p in item.phrases):
            whole_words = re.search(rf"(?<!\w){re.escape(phrase.lower())}(?!\w)", known)
            # "rights" next to "rights and licensing" says the same twice
            fresh = not any(phrase.lower() in p.lower() or p.lower() in phrase.lower() for p in phrases)
            if whole_words and fresh and len(phrase) <= _GROUNDING_CHARS and _usable(phrase):
                phrases.append(phrase)
    return phrases


def _usable(text: str) -> bool:
    return bool(text.strip()) and not _CONTACT.search(text)


def _stems(text: str) -> set[str]:
    words = (w for w in _WORD.findall(text.lower()) if w not in _STOPWORDS)
    return {w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in words}
