"""Writing 3-5 learning questions for a reading of a wish, from the question bank's facets and templates."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from coach.clauses import topic_of
from coach.models import LearningQuestion
from coach.offline.bank import Domain, DomainKind, Goal, QuestionBank, Template, placeholders
from coach.offline.lexicon import Lexicon
from coach.offline.phrases import Phrasebook
from coach.offline.seams import SeamChecker, same_question
from coach.offline.subject import slot_values
from coach.offline.wish import TextReading

QUESTION_COUNT = 4
_SAME_QUESTION = 0.5  # share of content words above which two questions ask the same thing


def goal_of(reading: TextReading) -> Goal:
    """The goal questions are written for; wanting to understand is the default."""
    return reading.goal or "understand"


@dataclass(frozen=True)
class QuestionWriter:
    """Turns a reading into concrete questions; deterministic for a given seed."""

    bank: QuestionBank
    lexicon: Lexicon
    seams: SeamChecker

    @classmethod
    def build(cls, bank: QuestionBank, lexicon: Lexicon) -> QuestionWriter:
        return cls(bank, lexicon, SeamChecker(bank.words.role_nouns, bank.acronyms, bank.words.vague))

    @property
    def phrases(self) -> Phrasebook:
        return self.lexicon.phrases

    def domain(self, reading: TextReading) -> Domain:
        """The lexicon entry for the reading's domain, or one made up for a subject the lexicon lacks."""
        if reading.known_domain and reading.domain in self.bank.domains:
            return self.bank.domain(reading.domain)
        if not reading.domain:
            # A question about an unnamed subject is about the business; a vague wish is about growing.
            goal = "understand" if reading.question or reading.focus else reading.goal
            plan = self.bank.bank.goals[goal] if goal else None
            return self.bank.domain((plan and plan.fallback_domain) or self.bank.bank.fallback_domain)
        base = self.bank.domains.get(reading.base_domain)
        kind: DomainKind = reading.kind or (base.kind if base else "topic")
        # "hospital administration" is worded as said and searched with healthcare's words too.
        keywords = [*self.phrases.content_words(reading.domain), *(base.keywords if base else [])]
        return Domain(name=reading.domain, kind=kind, keywords=keywords or [reading.domain])

    def facets(self, reading: TextReading, domain: Domain) -> list[str]:
        """The facets the person asked about that this domain can serve, fallbacks applied, in order."""
        goal = goal_of(reading)
        result: list[str] = []
        for name in reading.facets:
            facet = self.bank.bank.facets.get(name)
            if facet is None:
                continue
            if not self.bank.facet_available(domain, name, goal):
                name = facet.fallback or ""
            if name and self.bank.facet_available(domain, name, goal) and name not in result:
                result.append(name)
        return result

    def write(self, reading: TextReading, seed: int) -> list[LearningQuestion]:
        """The person's own question (if any) first, then mostly the chosen facets, then complementary ones."""
        domain = self.domain(reading)
        goal = goal_of(reading)
        chosen = self.facets(reading, domain)
        facets = self._plan(reading, domain, chosen, random.Random(seed))
        first_facet = chosen[0] if chosen else facets[0]
        # "Which skills from retail carry over to retail" helps nobody: only a different background counts.
        background = reading.background
        if any(word in background.lower() for word in self.phrases.content_words(domain.name)):
            background = ""
        values = slot_values(
            domain.name, domain.kind, in_domain=domain.in_domain, unit=domain.unit, background=background
        )
        questions: list[LearningQuestion] = []
        if reading.question:
            topic = topic_of(reading.question) or values["domain"]
            questions.append(self._own_question(reading.question, domain, first_facet, topic))
        said = set(self.phrases.content_words(reading.question))
        if reading.focus and not set(self.phrases.content_words(reading.focus)) <= said:
            focus = _resolve_pronouns(reading.focus, values["domain"])
            text = self.bank.bank.focus_question.format(focus=focus)
            self._add(questions, self._own_question(text, domain, first_facet, focus), domain)
        queues = {f: self._queue(domain, f, goal, seed, bool(background)) for f in facets}
        slots = _slots(chosen, facets, QUESTION_COUNT - len(questions))
        # The planned slots first, then facets not used yet, then second questions from used ones.
        for facet in [*slots, *(f for f in facets if f not in slots), *facets]:
            while len(questions) < QUESTION_COUNT and queues[facet]:
                template = queues[facet].pop(0)
                if "background" in placeholders(template.text) and not background:
                    continue  # "which skills from my current role ..." says nothing about the person
                if self._add(questions, self._render(template, facet, domain, goal, values), domain):
                    break
        return questions

    def _plan(self, reading: TextReading, domain: Domain, chosen: list[str], rng: random.Random) -> list[str]:
        """Chosen facets first, then the complementary ones for this goal and domain, then any others."""
        goal = goal_of(reading)
        plan = self.bank.bank.goals[goal]
        lead = [plan.lead] if plan.lead else []
        complementary = [f for f in [*lead, *(domain.facets or plan.facets)] if f not in chosen]
        head, tail = complementary[:2], complementary[2:]
        rng.shuffle(tail)  # the first two follow the plan; the rest vary from wish to wish
        order = [*chosen, *head, *tail, *plan.facets, *sorted(self.bank.bank.facets)]
        available = [f for f in order if self.bank.facet_available(domain, f, goal)]
        return list(dict.fromkeys(available))

    def _queue(
        self, domain: Domain, facet: str, goal: Goal, seed: int, has_background: bool
    ) -> list[Template]:
        """The domain's own templates in curated order, then the generic ones shuffled by the wish."""
        own, generic = self.bank.templates(domain, facet, goal)
        shuffled = list(generic)
        random.Random(f"{seed}:{facet}").shuffle(shuffled)
        if has_background:  # "which skills from support carry over" beats a generic question when we know
            shuffled.sort(key=lambda t: "{background}" not in t.text)
        return [*own, *shuffled]

    def _add(self, questions: list[LearningQuestion], question: LearningQuestion, domain: Domain) -> bool:
        """Append unless it reads badly (a seam) or asks what an earlier question already asks."""
        thing = domain.kind == "topic"
        if self.seams.question(question.text, subject=domain.name, thing=thing):
            return False
        if any(same_question(q.text, question.text, domain.name) for q in questions):
            return False
        questions.append(question)
        return True

    def _render(
        self, template: Template, facet: str, domain: Domain, goal: Goal, values: dict[str, str]
    ) -> LearningQuestion:
        text = " ".join(template.text.format(**values).split())
        return LearningQuestion(
            text=text[:1].upper() + text[1:],
            why=template.why_by_goal.get(goal, template.why).format(**values),
            facet=facet,
            search_query=_query([*template.keywords, *domain.keywords]),
            topic=values["domain"][:120],
        )

    def _own_question(self, text: str, domain: Domain, facet: str, topic: str) -> LearningQuestion:
        own, generic = self.bank.templates(domain, facet)
        facet_words = [*own, *generic][0].keywords if own or generic else []
        return LearningQuestion(
            text=text[:400],
            why=self.bank.bank.user_question_why,
            facet=facet,
            search_query=_query([*self.phrases.content_words(text), *facet_words, *domain.keywords]),
            topic=topic[:120],
        )


def _slots(chosen: list[str], facets: list[str], count: int) -> list[str]:
    """Which facet fills each remaining slot: mostly what the person chose, one complementary question."""
    if count <= 0:
        return []
    if not chosen:
        return facets[:count]
    focused = [chosen[i % len(chosen)] for i in range(max(1, count - 1))]
    return [*focused, *[f for f in facets if f not in chosen]][:count]


def _resolve_pronouns(focus: str, subject: str) -> str:
    """ "how it works" answered about quantum computing -> "how quantum computing works"."""
    return re.sub(r"\b(?:it|this|that)\b", subject, focus, count=1, flags=re.IGNORECASE)


def _query(parts: Sequence[str]) -> str:
    """Search words in order, each word once (case-insensitive, first spelling kept)."""
    words: dict[str, str] = {}
    for word in " ".join(parts).split():
        words.setdefault(word.lower(), word)
    return " ".join(words.values())
