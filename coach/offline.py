"""The deterministic offline coach: a wish (plus answers) becomes a clarifying question or learning questions."""

from __future__ import annotations

import difflib
import hashlib
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from coach.errors import CoachInputError
from coach.lexicon import Lexicon, phrase_key
from coach.models import MAX_WISH_CHARS, Clarification, LearningQuestion, WishReading
from coach.question_bank import (
    PROMPTS_DIR,
    ClarifyStep,
    Domain,
    DomainKind,
    Goal,
    QuestionBank,
    Template,
    load_question_bank,
)
from coach.wish import TextReading, clean_phrase, content_words, normalise, read_text

QUESTION_COUNT = 4
MAX_ROUNDS = 2
_DOMAIN_STEP = "domain:"
_SHORT_ANSWER_WORDS = 6


@dataclass(frozen=True)
class _State:
    """The reading so far, plus which clarifications were asked and which one is due next."""

    reading: TextReading
    asked: tuple[str, ...] = ()
    pending: str | None = None


@dataclass(frozen=True)
class OfflineCoach:
    """The offline coach over one validated question bank; build with `OfflineCoach.load()`."""

    bank: QuestionBank
    lexicon: Lexicon

    @classmethod
    def load(cls, prompts_dir: Path = PROMPTS_DIR) -> OfflineCoach:
        bank = load_question_bank(prompts_dir)
        return cls(bank, Lexicon(bank))

    def read_wish(self, wish: str, answers: Sequence[str] = ()) -> WishReading:
        """What the coach understood: domain, goal, role and facets, with the answers folded in."""
        state = self._fold(wish, answers)
        reading = state.reading
        domain = self._domain(reading) if reading.domain else None
        facets = self._facets(state, domain) if domain else list(state.reading.facets)
        return WishReading(domain=reading.domain, goal=reading.goal or "", role=reading.role, facets=facets)

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]:
        """A clarifying question when the wish is too vague to be useful, else 3-5 learning questions."""
        state = self._fold(wish, answers)
        step = self._decide(state, len(answers))
        if step is not None:
            return self._clarification(step, state)
        return self._questions(state, seed=_seed(wish, answers))

    # Folding answers into the reading

    def _fold(self, wish: str, answers: Sequence[str]) -> _State:
        for text in [wish, *answers]:
            if len(text) > MAX_WISH_CHARS:
                raise CoachInputError(
                    f"That text is {len(text):,} characters; keep it under {MAX_WISH_CHARS:,} "
                    "(a sentence or two about what you want to learn is plenty)."
                )
        state = _State(read_text(wish, self.lexicon))
        for index, answer in enumerate(answers):
            step = self._decide(state, index)
            state = self._apply_answer(state, step, answer)
        return state

    def _apply_answer(self, state: _State, step: str | None, answer: str) -> _State:
        if step is not None:
            state = replace(state, asked=(*state.asked, step), pending=None)
            choices = self._step(step, state).choices
            chosen = _match_choice(answer, [c.label for c in choices])
            if chosen is not None and chosen != self.bank.bank.other_label:
                choice = next(c for c in choices if c.label == chosen)
                reading = state.reading
                if choice.domain:
                    reading = replace(reading, domain=choice.domain, known_domain=True)
                if choice.goal:
                    reading = replace(reading, goal=choice.goal)
                if choice.facet:
                    reading = replace(reading, facets=(*reading.facets, choice.facet))
                return replace(state, reading=reading, pending=choice.follow_up)
            if chosen == self.bank.bank.other_label:
                follow_up = next(c.follow_up for c in choices if c.label == chosen)
                answer = re.sub(r"^\s*something else\s*[:,.-]*", "", answer, flags=re.IGNORECASE)
                if not answer.strip():
                    return replace(state, pending=follow_up)
        return replace(state, reading=self._merge_free_text(state.reading, answer))

    def _merge_free_text(self, reading: TextReading, answer: str) -> TextReading:
        """Fold a typed answer in: it can name the subject, the goal, a facet, or a topic to ask about."""
        said = read_text(answer, self.lexicon)
        facets = (*reading.facets, *said.facets)
        merged = replace(
            reading,
            goal=reading.goal or said.goal,
            facets=facets,
            question=reading.question or said.question,
            focus=reading.focus or said.focus,
        )
        typed = normalise(answer).strip(" .!?;,")
        short = len(typed.split()) <= _SHORT_ANSWER_WORDS and bool(clean_phrase(typed))
        if not reading.domain:
            if said.domain:
                return replace(
                    merged,
                    domain=said.domain,
                    known_domain=said.known_domain,
                    base_domain=said.base_domain,
                    topic=said.topic,
                )
            return replace(merged, domain=self.lexicon.display(clean_phrase(typed)) if short else "")
        if short and not said.facets and not said.question and not merged.focus:
            return replace(merged, focus=typed)  # "the editorial calendar": a topic inside the known domain
        return merged

    # Deciding whether to ask

    def _decide(self, state: _State, rounds: int) -> str | None:
        """The clarification to ask now, or None to proceed with the best reading."""
        if rounds >= MAX_ROUNDS:
            return None
        if state.pending and state.pending not in state.asked:
            return state.pending
        reading = state.reading
        if not reading.domain:
            if reading.question or reading.focus:
                return None
            follow_up = self.bank.bank.goals[reading.goal].clarify if reading.goal else None
            if follow_up and follow_up not in state.asked:
                return follow_up
            return "start" if "start" not in state.asked else None
        if not reading.known_domain:
            return None
        domain = self.bank.domain(reading.domain)
        step = _DOMAIN_STEP + domain.name
        too_broad = bool(domain.choices) and reading.goal in (None, "understand")
        specific = self._facets(state, domain) or reading.question or reading.focus
        return step if too_broad and not specific and step not in state.asked else None

    def _step(self, step: str, state: _State) -> ClarifyStep:
        if step.startswith(_DOMAIN_STEP):
            domain = self.bank.domain(step.removeprefix(_DOMAIN_STEP))
            goal = state.reading.goal or ""
            question = domain.clarify or self.bank.bank.domain_question[goal].format(domain=domain.name)
            other = self.bank.bank.other_label
            choices = [{"label": c.label, "facet": c.facet} for c in domain.choices] + [{"label": other}]
            return ClarifyStep.model_validate({"question": question, "choices": choices})
        return self.bank.bank.clarifications[step]

    def _clarification(self, step: str, state: _State) -> Clarification:
        clarify = self._step(step, state)
        return Clarification(question=clarify.question, choices=[c.label for c in clarify.choices])

    # Writing the questions

    def _domain(self, reading: TextReading) -> Domain:
        if reading.known_domain and reading.domain in self.bank.domains:
            return self.bank.domain(reading.domain)
        if not reading.domain:
            plan = self.bank.bank.goals[reading.goal] if reading.goal else None
            return self.bank.domain((plan and plan.fallback_domain) or self.bank.bank.fallback_domain)
        base = self.bank.domains.get(reading.base_domain)
        kind: DomainKind = base.kind if base else "field"
        if reading.topic:
            kind = "topic"
        elif reading.goal == "get better at" and not reading.domain.startswith("the "):  # not "the florist role"
            kind = "skill"
        # "hospital administration" is worded as said and searched with healthcare's words too.
        keywords = [*content_words(reading.domain), *(base.keywords if base else [])]
        return Domain(name=reading.domain, kind=kind, keywords=keywords or [reading.domain])

    def _facets(self, state: _State, domain: Domain) -> list[str]:
        """The facets the person asked about that this domain can serve, fallbacks applied, in order."""
        goal = _goal(state.reading)
        result: list[str] = []
        for name in state.reading.facets:
            facet = self.bank.bank.facets.get(name)
            if facet is None:
                continue
            if not self.bank.facet_available(domain, name, goal):
                name = facet.fallback or ""
            if name and self.bank.facet_available(domain, name, goal) and name not in result:
                result.append(name)
        return result

    def _plan(self, state: _State, domain: Domain, rng: random.Random) -> list[str]:
        """Chosen facets first, then the complementary ones for this goal and domain."""
        goal = _goal(state.reading)
        chosen = self._facets(state, domain)
        plan = self.bank.bank.goals[goal]
        lead = [plan.lead] if plan.lead else []
        complementary = [f for f in [*lead, *(domain.facets or plan.facets)] if f not in chosen]
        head, tail = complementary[:2], complementary[2:]
        rng.shuffle(tail)  # the first two follow the plan; the rest vary from wish to wish
        reserve = sorted(self.bank.bank.facets)
        order = [*chosen, *head, *tail, *plan.facets, *reserve]
        return [f for i, f in enumerate(order) if f not in order[:i] and self.bank.facet_available(domain, f, goal)]

    def _questions(self, state: _State, seed: int) -> list[LearningQuestion]:
        reading = state.reading
        domain = self._domain(reading)
        goal = _goal(reading)
        values = _placeholders(domain, reading.background)
        facets = self._plan(state, domain, random.Random(seed))
        chosen = self._facets(state, domain)
        questions: list[LearningQuestion] = []
        first_facet = chosen[0] if chosen else facets[0]
        if reading.question:
            questions.append(self._own_question(reading.question, domain, first_facet))
        if reading.focus:
            focus = self.bank.bank.focus_question.format(focus=reading.focus)
            questions.append(self._own_question(focus, domain, first_facet))
        slots = _slots(chosen, facets, QUESTION_COUNT - len(questions))
        queues = {f: self._queue(domain, f, goal, seed, bool(reading.background)) for f in facets}
        # The planned slots first, then facets not used yet, then second questions from used ones.
        for facet in [*slots, *(f for f in facets if f not in slots), *facets]:
            if len(questions) >= QUESTION_COUNT:
                break
            while queues[facet]:
                question = self._render(queues[facet].pop(0), facet, domain, goal, values)
                if not any(_overlaps(question.text, q.text) for q in questions):
                    questions.append(question)
                    break
        return questions

    def _queue(self, domain: Domain, facet: str, goal: Goal, seed: int, has_background: bool) -> list[Template]:
        """The domain's own templates in curated order, then the generic ones shuffled by the wish."""
        own, generic = self.bank.templates(domain, facet, goal)
        shuffled = list(generic)
        random.Random(f"{seed}:{facet}").shuffle(shuffled)
        if has_background:  # "which skills from support carry over" beats a generic question when we know
            shuffled.sort(key=lambda t: "{background}" not in t.text)
        return [*own, *shuffled]

    def _render(
        self, template: Template, facet: str, domain: Domain, goal: Goal, values: dict[str, str]
    ) -> LearningQuestion:
        text = _sentence(template.text.format(**values))
        why = template.why_by_goal.get(goal, template.why).format(**values)
        return LearningQuestion(
            text=text, why=why, facet=facet, search_query=_query([*template.keywords, *domain.keywords])
        )

    def _own_question(self, text: str, domain: Domain, facet: str) -> LearningQuestion:
        text = _with_subject(text, domain.name)
        own, generic = self.bank.templates(domain, facet)
        extra = [*own, *generic][0].keywords if own or generic else []
        return LearningQuestion(
            text=text[:400],
            why=self.bank.bank.user_question_why,
            facet=facet,
            search_query=_query([*content_words(text), *extra, *domain.keywords]),
        )


def _goal(reading: TextReading) -> Goal:
    """The goal questions are written for; wanting to understand is the default."""
    return reading.goal or "understand"


def _placeholders(domain: Domain, background: str) -> dict[str, str]:
    name = domain.name
    unit = domain.unit or (name if name.startswith("the ") else f"the {name} team")
    return {
        "domain": name,
        "in_domain": domain.in_domain or f"in {name}",
        "unit": unit,
        "background": background or "my current role",
    }


def _slots(chosen: list[str], facets: list[str], count: int) -> list[str]:
    """Which facet fills each remaining slot: mostly what the person chose, one complementary question."""
    if count <= 0:
        return []
    if not chosen:
        return facets[:count]
    focused = [chosen[i % len(chosen)] for i in range(max(1, count - 1))]
    return [*focused, *[f for f in facets if f not in chosen]][:count]


def _with_subject(text: str, domain: str) -> str:
    """Make sure the question names the subject, so it stands alone when shown next to a person."""
    words = [w for w in content_words(domain)] or [domain.lower()]
    if any(word in text.lower() for word in words):
        return text
    return f"{text.rstrip(' ?')} in {domain}?"


def _overlaps(text: str, other: str) -> bool:
    """Two questions that share half their content words ask the same thing."""
    mine, theirs = set(content_words(text)), set(content_words(other))
    return bool(mine and theirs) and len(mine & theirs) / len(mine | theirs) >= 0.5


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def _query(parts: Sequence[str]) -> str:
    """Search words in order, each word once (case-insensitive)."""
    seen: set[str] = set()
    words: list[str] = []
    for word in " ".join(parts).split():
        if word.lower() not in seen:
            seen.add(word.lower())
            words.append(word)
    return " ".join(words)


def _match_choice(answer: str, labels: list[str]) -> str | None:
    """The choice an answer picks: its number, its label, or a close spelling of it."""
    text = phrase_key(re.sub(r"[^\w\s/&'-]", " ", answer))
    if text.isdigit() and 1 <= int(text) <= len(labels):
        return labels[int(text) - 1]
    keys = {phrase_key(label): label for label in labels}
    if text in keys:
        return keys[text]
    for key, label in keys.items():
        if len(text) >= 4 and (key.startswith(text) or text.startswith(key)):
            return label
    close = difflib.get_close_matches(text, list(keys), n=1, cutoff=0.85)
    return keys[close[0]] if close else None


def _seed(wish: str, answers: Sequence[str]) -> int:
    """A stable seed per conversation, so the same wish always gets the same questions."""
    text = "\x1f".join(normalise(part) for part in [wish, *answers])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@cache
def default_coach(prompts_dir: Path = PROMPTS_DIR) -> OfflineCoach:
    """The offline coach for `prompts_dir`, built once per process."""
    return OfflineCoach.load(prompts_dir)


def read_wish(wish: str, answers: Sequence[str] = (), *, coach: OfflineCoach | None = None) -> WishReading:
    """What the offline coach understood of a wish and the answers given so far."""
    return (coach or default_coach()).read_wish(wish, answers)


def next_step(
    wish: str, answers: Sequence[str] = (), *, coach: OfflineCoach | None = None
) -> Clarification | list[LearningQuestion]:
    """The offline coach's next move: a clarifying question, or 3-5 concrete learning questions."""
    return (coach or default_coach()).next_step(wish, answers)
