"""Plain-English text handling for the offline coach: typo fixes, content words and clean subject phrases."""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable

from pydantic import BaseModel, ConfigDict, Field

# A subject phrase ends at punctuation or a connector ("cloud security, please help" -> "cloud security").
CLAUSE_END = re.compile(
    r"[,.;!?]|\s(?:and|but|because|since|so|as|while|when|where|which|who|that|then|or|please|thanks|thank you|"
    r"if|before|after|like|to help|to get|to be|to become|to see|to do|to make|so that)\b"
    # "for my reports" ends a subject; "for drug discovery" is part of it
    r"|\sfor\s+(?:my|our|me|us|work|the|a|an|this|that|next|now|when|a while|years|people)\b"
)
_LEAD_FILLER = re.compile(
    r"^(?:the|a|an|my|our|some|more|about|of|on|in|into|to|with|really|better|properly|deeply|deeper|basics|"
    r"stuff|i want|i need|i'd like|want|need|find|looking for|get|have|using|use|doing|do|"
    r"(?:everything|anything|something|all|stuff|more|a bit|a little)\s+(?:about|on|around))\s+"
)
_TRAIL_FILLER = re.compile(
    r"\s+(?:better|more|please|too|also|well|stuff|things|side|world|area|field|space|topic|subject|now|asap|soon|"
    r"here|properly|quickly|fast|today|first|deeply|in general|in depth|at work|for work|at my job|in my job|in my role|"
    r"in my company|at my company|in the company|one day|someday|eventually|a bit|a little|role|position|job|help|"
    r"business|industry|sector|market|division|department|team|teams|function|group|unit|skills|skill|"
    r"advice|guidance|tips|mentoring|mentorship|mentor|coaching|biz|background|experience|"
    r"(?:side|part|end|aspect)s?\s+of\s+(?:things|it|the business|the house|work))$"
)
_SELF_WORD = re.compile(r"(?:^|\s)i(?:'m|'d)?(?:\s|$)")
MAX_PHRASE_WORDS = 6


class Words(BaseModel):
    """prompts/wish_words.yaml: the plain-English word lists the wish reader relies on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spelling: dict[str, str]
    fuzzy_words: list[str] = Field(min_length=1)
    stopwords: frozenset[str]
    determiners: frozenset[str]
    not_subjects: frozenset[str]
    vague: frozenset[str]
    role_nouns: frozenset[str]


class Phrasebook:
    """Normalising, splitting and cleaning user text with one set of word lists."""

    def __init__(self, words: Words, fix: Callable[[str], str] = str) -> None:
        self.words = words
        self._fix = fix  # a misspelt word -> the word it was meant to be (identity by default)

    def normalise(self, text: str) -> str:
        """Lower case, straight quotes, fixed filler typos, single spaces; punctuation kept for clause limits."""
        for curly, straight in (("\u2019", "'"), ("\u2018", "'"), ("\u201c", '"'), ("\u201d", '"')):
            text = text.replace(curly, straight)
        text = re.sub(r"\bi m\b", "i'm", text.lower())
        text = re.sub(r"(?<=\w):(?=\s)", " ", text)  # "mentor for: public speaking"
        return " ".join(re.sub(r"[a-z']+", self._fix_word, text).split())

    def _fix_word(self, match: re.Match[str]) -> str:
        word = match.group()
        if word in self.words.spelling:
            return self.words.spelling[word]
        if len(word) >= 8:
            close = difflib.get_close_matches(word, self.words.fuzzy_words, n=1, cutoff=0.85)
            if close:
                return close[0]
        return self._fix(word)

    def content_words(self, text: str) -> list[str]:
        """The words that carry meaning, in order ("how do royalties work" -> ["royalties"])."""
        found = re.findall(r"[a-z0-9&][a-z0-9&'-]*", text.lower())
        return [w for w in found if w not in self.words.stopwords and len(w) > 2]

    def clean_phrase(self, raw: str) -> str:
        """The subject phrase at the start of `raw`, without connectors and filler ("the cloud, please" -> "cloud")."""
        cut = CLAUSE_END.search(raw)
        phrase = " ".join((raw[: cut.start()] if cut else raw).split())
        for pattern in (_LEAD_FILLER, _TRAIL_FILLER):
            previous = None
            while previous != phrase:
                previous, phrase = phrase, pattern.sub("", phrase).strip()
        phrase = " ".join(phrase.split()[:MAX_PHRASE_WORDS]).strip(" '\"-")
        if phrase in self.words.vague or _SELF_WORD.search(phrase) or not self.content_words(phrase):
            return ""
        return phrase

    def noun_phrase(self, words: list[str]) -> str:
        """The leading noun phrase of some words: determiners skipped, stops at the first function word."""
        while words and words[0] in self.words.determiners:
            words = words[1:]
        phrase: list[str] = []
        stops = self.words.stopwords | self.words.determiners | self.words.not_subjects
        for word in words:
            if word in stops:
                break
            phrase.append(word)
        return self.clean_phrase(" ".join(phrase[:3]))

    def names_a_subject(self, phrase: str) -> bool:
        """Whether a phrase could be a subject ("pitch deck") rather than a question's tail ("for years")."""
        return bool(phrase) and not any(word in self.words.not_subjects for word in phrase.split())


def sentences(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"(?<=[.!?;])\s+|\n+", text) if part.strip()]


def tidy_question(sentence: str) -> str:
    """A user's sentence as a question: single spaces, capital first letter, "I" capitalised, one '?'."""
    text = re.sub(r"\bi\b", "I", " ".join(sentence.split()).strip(" .!?;,"))
    return text[:1].upper() + text[1:] + "?" if text else ""


def with_article(noun: str) -> str:
    """ "a tech lead", "an editor", "an SRE", "a CFO", "a one-person team"."""
    first = noun.split(" ", 1)[0] if noun else ""
    if first.isupper() and len(first) <= 5:  # said letter by letter: "an MBA", "a CFO"
        vowel = first[:1] in "AEFHILMNORSX"
    else:
        vowel = first[:1].lower() in "aeiou" and not re.match(r"(?i)(?:one|once|uni|use|usu|eu)", first)
    return f"{'an' if vowel else 'a'} {noun}"


def display_case(typed: str, acronyms: frozenset[str] = frozenset(), *, first_is_name: bool = False) -> str:
    """A subject as typed, in the casing a sentence needs: acronyms and names kept, shouting and
    mixed case lowered ("tEcH LeAd" -> "tech lead", "ESG reporting" stays, "l&d" -> "L&D")."""
    words = typed.split()
    shouting = sum(w.isupper() for w in words) > 1 and all(w.isupper() for w in words if len(w) > 5)
    result = []
    for word in words:
        bare = word.strip("'\"()")
        singular = bare[:-1].lower() if bare.lower().endswith("s") else ""
        if any(c.isupper() for c in bare) and (bare.lower() in acronyms or singular in acronyms):
            result.append(word)  # "APIs", "KPIs" as typed
        elif bare.lower() in acronyms or ("&" in bare and len(bare) <= 5):
            result.append(word.upper())
        elif singular in acronyms and len(singular) > 1:
            result.append(singular.upper() + "s")
        elif (bare.isupper() and len(bare) <= 5 and not shouting) or (
            bare[:1].isupper()
            and bare[1:].islower()
            and not shouting
            and (word is not words[0] or first_is_name)
        ):
            result.append(word)
        else:
            result.append(word.lower())
    return " ".join(result)


def as_typed(original: str, phrase: str) -> str:
    """`phrase` (found in the normalised text) with the user's own casing ("the UK book trade"), when findable."""
    words = re.findall(r"[\w&'-]+", phrase)
    if not words:
        return phrase
    match = re.search(r"\W+".join(re.escape(w) for w in words), original, flags=re.IGNORECASE)
    return match.group() if match else phrase
