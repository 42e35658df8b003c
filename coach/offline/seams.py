"""The seam checker: finds the marks of a template engine in text a person will read.

A seam is a class of mistake, not a string: a preposition before a bare role ("in tech lead"), a
bolted-on leading phrase ("In the business, ..."), a question that is not one ("How it works?"),
repeated words, text cut mid-sentence, over-long subject lines, near-duplicate questions, a person's
words used of a thing ("your our data warehouse"), placeholders, and a few typographic slips. The
writer uses it to skip a template that would read badly; the question-quality check uses it to count.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from coach.clauses import is_direct_question

RULES = (
    "role_after_preposition",
    "leading_fragment",
    "not_a_question",
    "repeated_words",
    "cut_sentence",
    "long_subject",
    "duplicate_questions",
    "thing_as_person",
    "placeholder",
    "empty_opener",
    "vague_subject",
    "punctuation",
    "casing",
    "article",
)
MAX_SUBJECT_CHARS = 90
NEAR_DUPLICATE = 0.6  # share of content words (beyond the subject's) two questions may have in common
NEAR_SAME_TEXT = 0.85  # character similarity above which two questions read as the same

_WORD = re.compile(r"[A-Za-z0-9][\w&'’-]*")
# A sentence never ends on these; a stranded preposition ("need to know about?") is fine English.
_DANGLING = frozenset(
    ["the", "a", "an", "and", "or", "but", "your", "my", "our", "their", "its", "than", "which", "whose"]
)
_FUNCTION = frozenset(
    {
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "could", "did", "do", "does", "for", "from",
        "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "my", "of", "on", "or", "our",
        "should", "so", "than", "that", "the", "their", "them", "they", "this", "to", "was", "we", "what",
        "when", "where", "which", "who", "why", "will", "with", "would", "you", "your"
    }
)  # fmt: skip
_LEADING_PP = re.compile(
    r"^(?:in|for|about|on|within|regarding|re|as for)\s+[^,?]{1,60},\s+\S", re.IGNORECASE
)
_PLACEHOLDER = re.compile(
    r"[{}]|\b(?:None|null|undefined|TODO|TBD|XXX|FIXME|lorem ipsum)\b|\bmy current role\b|<[A-Z_-]+>"
    r"|\bwhat they work on\b",
)
_PUNCTUATION = re.compile(r"[?!.]{2,}(?<!\.\.\.)|\?[.,;:]|\s[,;:?!](?!\S*\))|,,|\(\s*\)| {2,}(?=\S)")
_ELLIPSIS = re.compile(r"…|\.\.\.")
_QUOTE = re.compile(r"“([^”]*)”")
_A_VOWEL = re.compile(r"\ba\s+(?P<w>[aeiou][a-z]*)", re.IGNORECASE)
_AN_CONSONANT = re.compile(r"\ban\s+(?P<w>[b-df-hj-np-tv-z][a-z]*)\b")
_A_EXCEPTIONS = re.compile(r"^(?:one|once|use|user|usual|uni|eu|euro|ubiq|utop|uk|us)", re.IGNORECASE)
_AN_EXCEPTIONS = re.compile(r"^(?:hour|honest|honou?r|heir)", re.IGNORECASE)
_ROLE_BLOCKERS = frozenset({"role", "roles", "team", "teams", "job", "jobs", "position", "track", "career",
                            "path", "ladder", "level", "interview", "interviews", "title"})  # fmt: skip
_ENGLISH_WORDS = frozenset({"it", "us", "cd"})  # acronyms that are also everyday words
_IDIOM_LINKS = frozenset({"and", "by", "to", "after", "for", "on"})
_DETERMINERS = frozenset(
    {
        "a", "an", "the", "my", "your", "our", "their", "his", "her", "its", "this", "that", "every",
        "each", "any", "some"
    }
)  # fmt: skip


@dataclass(frozen=True)
class Seam:
    """One seam: which rule, in which text, and the words that show it."""

    rule: str
    text: str
    detail: str


def words_of(text: str) -> list[str]:
    return [w.lower().replace("’", "'") for w in _WORD.findall(text)]


def content_words(text: str) -> list[str]:
    return [w for w in words_of(text) if w not in _FUNCTION and len(w) > 2]


class SeamChecker:
    """Checks generated text for seams; built with the coach's role nouns and known acronyms."""

    def __init__(self, role_nouns: Iterable[str], acronyms: Iterable[str] = (), vague: Iterable[str] = ()):
        self.role_nouns = frozenset(w.lower() for w in role_nouns)
        self.acronyms = frozenset(a.lower() for a in acronyms)
        self.vague = frozenset(v.lower() for v in vague)
        self._role_pp = re.compile(
            r"\b(?:in|into|at|on|about|of)\s+(?P<rest>(?:[\w&'-]+\s*){1,5})", re.IGNORECASE
        )

    # One piece of text

    def question(self, text: str, subject: str = "", thing: bool = False) -> list[Seam]:
        """Seams in one question: every rule that applies to a single question."""
        seams = self.prose(text, subject=subject, thing=thing)
        if _LEADING_PP.match(text):
            seams.append(Seam("leading_fragment", text, text.split(",", 1)[0]))
        elif not is_direct_question(text):
            seams.append(Seam("not_a_question", text, " ".join(text.split()[:4])))
        if _DANGLING_END(text):
            seams.append(Seam("cut_sentence", text, text.split()[-1]))
        return seams

    def prose(self, text: str, subject: str = "", thing: bool = False) -> list[Seam]:
        """Seams any text can have: roles after prepositions, repeats, cuts, placeholders, typos of form."""
        seams: list[Seam] = []
        role = self._role_after_preposition(text)
        if role:
            seams.append(Seam("role_after_preposition", text, role))
        repeat = _repeat(text, subject)
        if repeat:
            seams.append(Seam("repeated_words", text, repeat))
        if _ELLIPSIS.search(text):
            seams.append(Seam("cut_sentence", text, "…"))
        for quoted in _QUOTE.findall(text):
            if not is_direct_question(quoted) or _DANGLING_END(quoted):
                seams.append(Seam("cut_sentence", text, f"“{quoted}”"))
        placeholder = _PLACEHOLDER.search(text)
        if placeholder:
            seams.append(Seam("placeholder", text, placeholder.group()))
        punctuation = _PUNCTUATION.search(text)
        if punctuation:
            seams.append(Seam("punctuation", text, repr(punctuation.group())))
        casing = self._casing(text)
        if casing:
            seams.append(Seam("casing", text, casing))
        article = self._article(text)
        if article:
            seams.append(Seam("article", text, article))
        if thing and subject:
            person = _thing_as_person(text, subject)
            if person:
                seams.append(Seam("thing_as_person", text, person))
        return seams

    def subject_line(self, text: str) -> list[Seam]:
        """An email subject: whole, at most 90 characters, no fragment after "on"."""
        seams = self.prose(text)
        if len(text) > MAX_SUBJECT_CHARS:
            seams.append(Seam("long_subject", text, f"{len(text)} characters"))
        if _DANGLING_END(text):
            seams.append(Seam("cut_sentence", text, text.split()[-1]))
        if re.search(r"\b(?:on|about)\s+(?:in|for|on|about|at|with)\b", text, re.IGNORECASE):
            seams.append(Seam("leading_fragment", text, text))
        return seams

    def opener(self, text: str, wish_words: Sequence[str], profile_words: Sequence[str]) -> list[Seam]:
        """The agenda's first item must say who I am (from the wish) and why this person (from the profile)."""
        seams = self.prose(text)
        said = set(content_words(text))
        missing = []
        if wish_words and not said & {w.lower() for w in wish_words}:
            missing.append("nothing from the wish")
        if profile_words and not said & {w.lower() for w in profile_words}:
            missing.append("nothing from the profile")
        if missing:
            seams.append(Seam("empty_opener", text, " and ".join(missing)))
        return seams

    def subject(self, subject: str) -> list[Seam]:
        """The wish's subject as read: a noun phrase, not an echo of an unsure answer."""
        key = " ".join(words_of(subject))
        vague = key in self.vague or re.search(
            r"\b(?:not sure|no idea|don't know|dont know|whatever|dunno|idk|side of|of things)\b", key
        )
        return [Seam("vague_subject", subject, subject)] if vague else []

    # Several questions together

    def duplicates(self, questions: Sequence[str], subject: str = "") -> list[Seam]:
        """Pairs of questions that ask the same thing (beyond naming the same subject)."""
        return [
            Seam("duplicate_questions", second, f"same as {first!r}")
            for j, second in enumerate(questions)
            for first in questions[:j]
            if same_question(first, second, subject)
        ]

    def _role_after_preposition(self, text: str) -> str:
        """ "in tech lead": a preposition, then a bare phrase ending in a job noun ("in the tech lead role" is fine)."""
        for match in self._role_pp.finditer(text):
            words = match.group("rest").lower().split()
            if words[0] in _DETERMINERS:
                continue
            for end in range(1, min(len(words), 4) + 1):
                after = words[end] if end < len(words) else ""
                role = words[end - 1].strip("'") in self.role_nouns
                if role and after not in _ROLE_BLOCKERS and not after.endswith("'s"):
                    return " ".join(match.group(0).split()[: end + 1])
        return ""

    def _casing(self, text: str) -> str:
        """An acronym typed in lower case ("l&d", "sql") or a sentence that starts in lower case."""
        for word in _WORD.findall(text):
            if ("&" in word and word.islower()) or (
                word in self.acronyms - _ENGLISH_WORDS and word.islower()
            ):
                return word
        return ""

    def _article(self, text: str) -> str:
        for match in _A_VOWEL.finditer(text):
            word = match.group("w")
            if not _A_EXCEPTIONS.match(word) and not word.isupper():
                return match.group()
        for match in _AN_CONSONANT.finditer(text):
            word = match.group("w")
            if not _AN_EXCEPTIONS.match(word) and word.lower() not in self.acronyms:
                return match.group()
        return ""


def same_question(first: str, second: str, subject: str = "") -> bool:
    """Whether two questions ask the same thing: same words beyond the subject's, same opening, or nearly
    the same text."""
    if first.casefold() == second.casefold() or words_of(first)[:4] == words_of(second)[:4]:
        return True
    shared = set(content_words(subject))
    a, b = set(content_words(first)) - shared, set(content_words(second)) - shared
    if a and b and len(a & b) / len(a | b) >= NEAR_DUPLICATE:
        return True
    matcher = difflib.SequenceMatcher(None, first.lower(), second.lower())
    # the cheap upper bounds first: most pairs are told apart without the full comparison
    return (
        matcher.real_quick_ratio() >= NEAR_SAME_TEXT
        and matcher.quick_ratio() >= NEAR_SAME_TEXT
        and (matcher.ratio() >= NEAR_SAME_TEXT)
    )


def _DANGLING_END(text: str) -> bool:
    words = words_of(text.rstrip(" ?.!”\"'"))
    return bool(words) and words[-1] in _DANGLING


def _repeat(text: str, subject: str = "") -> str:
    """In one sentence: a word twice in a row ("the the"), two words said twice, or the subject said twice."""
    for sentence in re.split(r"(?<=[.?!”])\s+|[“”]", text):
        words = words_of(sentence)
        pairs: list[tuple[str, str]] = []
        for i, word in enumerate(words):
            if i and word == words[i - 1] and not word.isdigit():
                return f"{word} {word}"
            # "again and again", "step by step", "day to day" are idioms, not slips
            if i >= 2 and word == words[i - 2] and words[i - 1] in _IDIOM_LINKS:
                continue
            if i and words[i - 1] not in _FUNCTION and word not in _FUNCTION:
                pair = (words[i - 1], word)
                if pair in pairs:
                    return " ".join(pair)
                pairs.append(pair)
        name = " ".join(words_of(subject))
        if name and name not in _FUNCTION and len(re.findall(rf"\b{re.escape(name)}\b", " ".join(words))) > 1:
            return f"{subject} ... {subject}"
    return ""


def _thing_as_person(text: str, subject: str) -> str:
    """Person-words around a thing: "your our data warehouse", "get good at GDPR", "someone working in X"."""
    name = re.escape(subject.strip())
    patterns = (
        rf"\b(?:your|their|his|her)\s+{name}",
        rf"\b(?:get|got|getting)\s+(?:good|better)\s+at\s+{name}",
        rf"\bsomeone\s+(?:working\s+)?(?:in|as)\s+{name}",
        rf"\b{name},?\s+who\b",
        rf"\b(?:started|starting|start)\s+in\s+{name}",
        rf"\bleading\s+(?:a\s+team\s+)?(?:in\s+)?{name}",
        rf"\b{name}\s+(?:is|are)\s+(?:he|she|they)\b",
    )
    for pattern in patterns:
        match = re.search(pattern, text, re.IGNORECASE)
        if match:
            return match.group()
    return ""
