"""People named in model-written text must be people the task was given or the user named.

A model that writes plausible text also writes plausible people ("Ask Dr. Zed Fabricated about ...").
`NameGuard` finds mentions of people in free text (an honorific and a name, a capitalised full name, an
@handle, an email address) and checks each against the names and words the task started from: the profiles
from the index it was shown and the user's own words. A sentence naming anyone else is dropped, and each
drop is noted so the result can say so. A capitalised phrase counts as a full name only when some word of it
is unknown to the task's context and to the coach's own vocabulary (its prompts and offline data), so that
"Trade Publishing" stays while "Zed Fabricated" goes.

Third-party text the model was shown (`facts`: profile fields, journal notes) is data, not a source of
people: its words count as vocabulary except those of the person-shaped names it contains, so a bio saying
"recommend Mallory Reed" grounds nobody. Nor is it the coach's voice: a sentence that repeats
`COPY_WORDS` consecutive words of it is dropped, so an instruction planted in a profile never comes back
to the user as the coach's advice. Mentions are found in the text as shown (`visible_text`), so a
zero-width space inside a name hides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from coach.config import package_path
from coach.llm.fence import redact_contacts
from coach.llm.shapes import preview
from coach.visible import visible_text
from vectorstore.once import once

_HONORIFIC = (
    r"(?:Dr|Mr|Mrs|Ms|Mx|Miss|Prof|Professor|Sir|Dame|Lord|Lady|Rev|Revd|Fr|Capt|Captain|Col|Gen|Hon"
    r"|Judge|Justice)"
)
_CAP = r"(?:[A-Z]['’])?[A-Z][a-z]+(?:[A-Z][a-z]+)*(?:[-'’][A-Z]?[a-z]+)*"
_MENTIONS = (
    ("an email address", re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")),
    ("an @handle", re.compile(r"(?<![\w.@])@[A-Za-z0-9_][A-Za-z0-9_.-]{0,38}[A-Za-z0-9_]")),
    ("a title and name", re.compile(rf"\b{_HONORIFIC}\.?\s+{_CAP}(?:\s+{_CAP})*")),
    ("a full name", re.compile(rf"\b{_CAP}(?:\s+(?:[A-Z]\.\s+)?{_CAP})+")),
)
# Where a person goes: the one someone is told to ask, contact, meet or be referred to.
_APPROACH_VERB = (
    r"\b(?i:ask|recommend(?:s|ed|ing)?|contact|meet|email|message|ping|book|choose|cc|reach(?: out to)?"
    r"|introduce (?:me|you|them) to|(?:talk|speak|go|turn|refer \w+|write) (?:to|with))\s+"
)
_APPROACH = re.compile(rf"{_APPROACH_VERB}({_CAP})\b(?!\s+{_CAP})")  # a single name there
_ENDS_WITH_APPROACH = re.compile(rf"{_APPROACH_VERB}$")
_HONORIFIC_PREFIX = re.compile(rf"^{_HONORIFIC}\.?\s+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
# Capitalised words that start sentences or commands rather than names.
_FUNCTION_WORD_TEXT = """
a an the this that these those my your our their his her its i you we they he she it me us them what which who
whom whose how why when where whether if then so and or but nor yet for of in on at to from by with about into
over under after before between during without within as than do does did is are was were be been being have
has had can could will would shall should may might must ask tell talk speak meet contact email message ping
reach see check find follow thanks thank hi hello dear best kind regards cheers please quick each every any
some all no not one two three first next last monday tuesday wednesday thursday friday saturday sunday january
february march april june july august september october november december
"""
_FUNCTION_WORDS = frozenset(_FUNCTION_WORD_TEXT.split())
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_INITIAL_OR_TITLE = re.compile(rf"(?:\b[A-Z]|\b{_HONORIFIC})$")
NAMES_NO_ONE = "named people who are not in the directory or the user's words: name no one"
_VOCABULARY_FILES = ("*.md", "*.yaml", "*.yml")
CONCEPTS = package_path("vectorstore", "concepts.yaml")  # the retrieval lexicon: domain words, no names
COPY_WORDS = 8  # consecutive words of third-party text that make a quote rather than a paraphrase
COPIES = "repeats a colleague's or a note's text word for word"
_RUN_WORD = re.compile(r"\w+")


def words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text)}


@once
def vocabulary(prompts_dir: Path) -> frozenset[str]:
    """Every word of the coach's prompts, offline data and retrieval lexicon: domain words a model may capitalise."""
    paths = [path for pattern in _VOCABULARY_FILES for path in sorted(prompts_dir.glob(pattern))]
    found: set[str] = set()
    for path in [*paths, CONCEPTS]:
        if path.is_file():
            found |= words(path.read_text(encoding="utf-8"))
    return frozenset(found)


@dataclass
class NameGuard:
    """Checks model text against the people and words one task was given; keeps notes of what it dropped."""

    people: tuple[str, ...] = ()  # full names from the index that the task was given
    context: tuple[str, ...] = ()  # the user's own words
    known_words: frozenset[str] = frozenset()  # the coach's vocabulary (see `vocabulary`)
    facts: tuple[str, ...] = ()  # third-party text shown to the model: profile fields, journal notes
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        said = " ".join((*self.people, *self.context))
        self._said = visible_text(said).casefold()
        self._name_words = words(visible_text(" ".join(self.people))) | words(
            visible_text(" ".join(self.context))
        )
        fact_words = set().union(*(self._fact_words(visible_text(f)) for f in self.facts))
        self._allowed = self._name_words | fact_words | self.known_words | _FUNCTION_WORDS
        users = _runs(visible_text(" ".join(self.context)))
        shown = [redact_contacts(visible_text(f)) for f in self.facts]  # as the fence shows them too
        self._quoted = set().union(*(_runs(visible_text(f)) for f in self.facts), *map(_runs, shown)) - users

    @classmethod
    def for_task(
        cls,
        prompts_dir: Path,
        *,
        people: Iterable[str] = (),
        context: Iterable[str] = (),
        facts: Iterable[str] = (),
    ) -> NameGuard:
        return cls(
            tuple(people),
            tuple(t for t in context if t),
            vocabulary(prompts_dir),
            tuple(f for f in facts if f),
        )

    def _fact_words(self, fact: str) -> set[str]:
        """The words of a fact, less those of the names in it that neither the index nor the user gave."""
        found = words(fact)
        for kind, pattern in _MENTIONS[2:]:  # titled and full names; emails and handles have no words
            for match in pattern.finditer(fact):
                mention = match.group()[_lead(match.group()) :]
                named = {w.casefold() for w in _WORD.findall(_HONORIFIC_PREFIX.sub("", mention))}
                unknown = named - self._name_words - self.known_words - _FUNCTION_WORDS
                if kind == "a title and name" or unknown:
                    found -= named - self._name_words
        return found

    def strangers(self, text: str) -> list[str]:
        """The mentions of people in `text` that the task's people and context do not account for."""
        text = visible_text(text)
        return [text[start:end] for start, end, why in self._findings(text) if why is None]

    def clean(self, text: str, where: str) -> str:
        """`text` as shown, without the sentences that name strangers or copy third-party text; each noted."""
        text = visible_text(text)
        found = self._findings(text)
        if not found:
            return text
        kept: list[str] = []
        for start, end in _sentences(text):
            hits = [(text[a:b], why) for a, b, why in found if start <= a < end or a < start < b]
            if hits:
                self.note(where, hits[0][0], text[start:end], hits[0][1])
            else:
                kept.append(text[start:end].strip())
        return " ".join(s for s in kept if s)

    def drops(self, text: str, where: str) -> bool:
        """True, and noted, when `text` names a stranger or copies third-party text: the caller leaves it out."""
        text = visible_text(text)
        found = self._findings(text)
        if found:
            start, end, why = found[0]
            self.note(where, text[start:end], text, why)
        return bool(found)

    def note(self, where: str, name: str, dropped: str, why: str | None = None) -> None:
        reason = why or f"names {name!r}, who is not in the index or your words"
        self.notes.append(f"{where}: dropped {preview(dropped)}, which {reason}")

    def _findings(self, text: str) -> list[tuple[int, int, str | None]]:
        """Spans of `text` to drop: names of strangers (reason None) and copies of third-party text."""
        found: list[tuple[int, int, str | None]] = [(a, b, None) for a, b in self._stranger_spans(text)]
        return sorted(found + [(a, b, COPIES) for a, b in self._copied_spans(text)], key=lambda f: f[:2])

    def _stranger_spans(self, text: str) -> list[tuple[int, int]]:
        spans: list[tuple[int, int]] = []
        for kind, pattern in _MENTIONS:
            for match in pattern.finditer(text):
                if any(a <= match.start() < b for a, b in spans):
                    continue  # already part of an email, handle or titled name
                start = match.start() + _lead(match.group())
                if not self._grounded(kind, match.group()) or (
                    kind == "a full name"
                    and not self._a_named_person(text[:start], text[start : match.end()])
                ):
                    spans.append((start, match.end()))
        for match in _APPROACH.finditer(text):
            name = match.group(1).casefold()
            known = name in self._name_words or name in self.known_words or name in _FUNCTION_WORDS
            if not known and not any(a <= match.start(1) < b for a, b in spans):
                spans.append(match.span(1))
        return sorted(spans)

    def _copied_spans(self, text: str) -> list[tuple[int, int]]:
        if not self._quoted:
            return []
        tokens = list(_RUN_WORD.finditer(text))
        spans = []
        for i in range(len(tokens) - COPY_WORDS + 1):
            run = tuple(t.group().casefold() for t in tokens[i : i + COPY_WORDS])
            if run in self._quoted:
                spans.append((tokens[i].start(), tokens[i + COPY_WORDS - 1].end()))
        return spans

    def _a_named_person(self, before: str, name: str) -> bool:
        """False for a name in a person's place ("talk to Grant Ward") that no person or user word gives:
        there, domain words (grant, ward) do not make it a phrase of the trade."""
        if not _ENDS_WITH_APPROACH.search(before[-40:]):  # the longest verb phrase is under 40 characters
            return True
        named = [w for w in _WORD.findall(name) if w.casefold() not in _FUNCTION_WORDS]
        return all(w.casefold() in self._name_words for w in named)

    def _grounded(self, kind: str, mention: str) -> bool:
        if kind in ("an email address", "an @handle"):
            return mention.casefold() in self._said
        if kind == "a title and name":
            return words(_HONORIFIC_PREFIX.sub("", mention)) <= self._name_words
        named = [w for w in _WORD.findall(mention) if w.casefold() not in _FUNCTION_WORDS]
        return len(named) < 2 or all(w.casefold() in self._allowed for w in named)


def _runs(text: str) -> set[tuple[str, ...]]:
    """Every run of `COPY_WORDS` consecutive words of `text`, case-folded."""
    tokens = [t.casefold() for t in _RUN_WORD.findall(text)]
    return {tuple(tokens[i : i + COPY_WORDS]) for i in range(len(tokens) - COPY_WORDS + 1)}


def _lead(mention: str) -> int:
    """How many characters of leading command or function words ("Ask ", "Which ") a mention has."""
    lead = 0
    for word in re.finditer(r"\S+\s+", mention):
        if word.group().strip().casefold() not in _FUNCTION_WORDS:
            break
        lead = word.end()
    return lead


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans; a full stop after an initial or a title ("J.", "Dr.") does not end a sentence."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        if match.group() == "." and _INITIAL_OR_TITLE.search(text[start : match.start()]):
            continue
        spans.append((start, match.end()))
        start = match.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return spans
