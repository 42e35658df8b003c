"""The deterministic offline coach: a wish (plus answers) becomes a clarifying question or learning questions."""

from __future__ import annotations

import difflib
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from coach.errors import CoachInputError
from coach.models import MAX_WISH_CHARS, Clarification, LearningQuestion, WishReading
from coach.offline.bank import PROMPTS_DIR, ClarifyStep, QuestionBank, load_question_bank
from coach.offline.language import language_name, other_language
from coach.offline.lexicon import Lexicon, phrase_key
from coach.offline.phrases import as_typed
from coach.offline.requester import introduction
from coach.offline.rules import UNSURE
from coach.offline.subject_finder import is_vague
from coach.offline.wish import TextReading, read_text
from coach.offline.writer import QuestionWriter
from vectorstore.once import once

MAX_ROUNDS = 2
_DOMAIN_STEP = "domain:"
_LANGUAGE_STEP = "language:"  # the first clarification, for a wish in another language
_SPELLING_STEP = "spelling"  # "did you mean ...?" for words the coach does not recognise
_MAX_UNKNOWN_WORDS = 2  # more unknown words than this is nonsense or another language, not a typo
_MIN_SPELLING_LENGTH = 5  # shorter unknown words ("asdf") have too many neighbours to suggest any
_SHORT_ANSWER_WORDS = 6


@dataclass(frozen=True)
class _State:
    """The reading so far, plus which clarifications were asked and which one is due next."""

    reading: TextReading
    asked: tuple[str, ...] = ()
    pending: str | None = None
    wish: str = ""
    language: str = ""  # the wish's language when it is not English ("es")


@dataclass(frozen=True)
class OfflineCoach:
    """The offline coach over one validated question bank; build with `OfflineCoach.load()`."""

    bank: QuestionBank
    lexicon: Lexicon
    writer: QuestionWriter

    @classmethod
    def load(cls, prompts_dir: Path = PROMPTS_DIR) -> OfflineCoach:
        bank = load_question_bank(prompts_dir)
        lexicon = Lexicon(bank)
        return cls(bank, lexicon, QuestionWriter.build(bank, lexicon))

    def read_wish(self, wish: str, answers: Sequence[str] = ()) -> WishReading:
        """What the coach understood: domain, goal, role and facets, with the answers folded in.

        The domain is "" while a clarification is still due and no subject was named; once questions are
        due it is the subject they are written about. The goal is "" while the person has not said one."""
        state = self._fold(wish, answers)
        reading = state.reading
        if not reading.domain and self._decide(state, len(answers)) is not None:
            return WishReading(goal=reading.goal or "", role=reading.role, facets=list(reading.facets))
        domain = self.writer.domain(reading)  # without a subject: the fallback the questions are about
        facets = self.writer.facets(reading, domain)
        return WishReading(
            domain=domain.name, kind=domain.kind, goal=reading.goal or "", role=reading.role, facets=facets
        )

    def introduce(self, wish: str, answers: Sequence[str] = ()) -> str:
        """The person in one line from their wish ("I'm an accountant and want to move into data science")."""
        state = self._fold(wish, answers)
        reading = state.reading
        if not (reading.domain or reading.role or reading.focus or reading.question):
            return self.bank.bank.introduction_unsure
        return introduction(state.reading, self.writer.domain(state.reading), self.bank.bank)

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]:
        """A clarifying question when the wish is too vague to be useful, else 3-5 learning questions."""
        state = self._fold(wish, answers)
        step = self._decide(state, len(answers))
        if step is not None:
            return self._clarification(step, state)
        return self.writer.write(state.reading, seed=_seed(wish, answers))

    # Folding answers into the reading

    def _fold(self, wish: str, answers: Sequence[str]) -> _State:
        for text in [wish, *answers]:
            if len(text) > MAX_WISH_CHARS:
                raise CoachInputError(
                    f"That text is {len(text):,} characters; keep it under {MAX_WISH_CHARS:,} "
                    "(a sentence or two about what you want to learn is plenty)."
                )
        language = other_language(wish, self.lexicon.vocabulary)
        reading = self._foreign(wish) if language else read_text(wish, self.lexicon)
        state = _State(reading, wish=wish, language=language)
        for index, answer in enumerate(answers):
            step = self._decide(state, index)
            state = self._apply_answer(state, step, answer)
        return state

    def _foreign(self, wish: str) -> TextReading:
        """A wish in another language: only a known subject it names in English words ("le marketing") counts;
        English reading rules would take its other words for a subject ("voudrais comprendre")."""
        hit = self.lexicon.first_domain(" ".join(wish.lower().split()))
        return TextReading(domain=hit.name, known_domain=True) if hit else TextReading()

    def _spellings(self, wish: str) -> tuple[str, list[str]]:
        """The first word of a wish the coach does not recognise (as typed) and what it may have meant."""
        vocabulary = self.lexicon.vocabulary
        unknown = vocabulary.unknown_words(self.lexicon.phrases.normalise(wish))
        if not unknown or len(unknown) > _MAX_UNKNOWN_WORDS or len(unknown[0]) < _MIN_SPELLING_LENGTH:
            return "", []
        return as_typed(wish, unknown[0]), vocabulary.suggestions(unknown[0])

    def _respell(self, state: _State, answer: str) -> _State | None:
        """Fold in an answer to "did you mean ...?": a spelling re-reads the wish with it, "as I wrote it"
        takes the wish's words as its subject; None for anything else (read as any answer is)."""
        word, options = self._spellings(state.wish)
        bank = self.bank.bank
        chosen = _match_choice(answer, [*options, bank.as_written_label, bank.other_label])
        state = replace(state, asked=(*state.asked, _SPELLING_STEP), pending=None)
        if chosen == bank.other_label:  # "something else": asked what they want next, as for any wish
            return state
        phrases = self.lexicon.phrases
        if chosen in options:
            wish = re.sub(rf"(?<![\w-]){re.escape(word)}(?![\w-])", chosen, state.wish, flags=re.IGNORECASE)
            return replace(state, reading=read_text(wish, self.lexicon), wish=wish)
        if chosen == bank.as_written_label:
            typed = phrases.clean_phrase(phrases.normalise(state.wish).strip(" .!?;,"))
            if typed:
                shown = self.lexicon.display(as_typed(state.wish, typed), state.wish)
                return replace(state, reading=replace(state.reading, domain=shown, kind="topic"))
            return state
        return None

    def _apply_answer(self, state: _State, step: str | None, answer: str) -> _State:
        """Fold one answer to clarification `step` in: a clicked choice sets what it says, anything else is read."""
        if step == _SPELLING_STEP:
            respelt = self._respell(state, answer)
            if respelt is not None:
                return respelt
            state = replace(state, asked=(*state.asked, step), pending=None)
            step = None
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
                other = re.escape(self.bank.bank.other_label)
                answer = re.sub(rf"^\s*{other}\s*[:,.-]*", "", answer, flags=re.IGNORECASE)
                if not answer.strip():
                    return replace(state, pending=follow_up)
        return replace(state, reading=self._merge_free_text(state.reading, answer))

    def _merge_free_text(self, reading: TextReading, answer: str) -> TextReading:
        """Fold a typed answer in: it can name the subject, the goal, a facet, or a topic to ask about.

        An answer that says "not sure", is not English, or only names a facet ("the money side") is never
        taken as the subject itself."""
        said = read_text(answer, self.lexicon)
        facets = (*reading.facets, *said.facets)
        merged = replace(
            reading,
            goal=reading.goal or said.goal,
            facets=facets,
            question=reading.question or said.question,
            focus=reading.focus or said.focus,
        )
        phrases = self.lexicon.phrases
        typed = phrases.normalise(answer).strip(" .!?;,")
        rest = phrases.clean_phrase(self.lexicon.without_cues(typed)) if said.facets else typed
        usable = (
            len(typed.split()) <= _SHORT_ANSWER_WORDS
            and bool(phrases.clean_phrase(typed))
            and bool(rest)
            and not UNSURE.search(typed)
            and not is_vague(phrases.clean_phrase(typed), self.lexicon)
            and self.lexicon.vocabulary.reads_as_english(typed)
        )
        if not reading.domain:
            if said.domain:
                return replace(
                    merged,
                    domain=said.domain,
                    known_domain=said.known_domain,
                    base_domain=said.base_domain,
                    kind=said.kind,
                )
            if not usable:
                return merged
            shown = self.lexicon.display(as_typed(answer, phrases.clean_phrase(typed)), answer)
            return replace(merged, domain=shown, kind="topic")
        if usable and not said.facets and not said.question and not merged.focus:
            # "the editorial calendar": a topic inside the known domain, to be walked through
            return replace(merged, focus=as_typed(answer, typed))
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
            started = "start" in state.asked or any(s.startswith(_LANGUAGE_STEP) for s in state.asked)
            if state.language and not started:  # say why, and offer the English choices
                return _LANGUAGE_STEP + state.language
            if not state.language and _SPELLING_STEP not in state.asked and self._spellings(state.wish)[1]:
                return _SPELLING_STEP
            follow_up = self.bank.bank.goals[reading.goal].clarify if reading.goal else None
            if follow_up and follow_up not in state.asked:
                return follow_up
            return "start" if not started else None
        if not reading.known_domain:
            return None
        domain = self.bank.domain(reading.domain)
        step = _DOMAIN_STEP + domain.name
        too_broad = bool(domain.choices) and reading.goal in (None, "understand")
        specific = self.writer.facets(reading, domain) or reading.question or reading.focus
        return step if too_broad and not specific and step not in state.asked else None

    def _step(self, step: str, state: _State) -> ClarifyStep:
        bank = self.bank.bank
        if step.startswith(_LANGUAGE_STEP):
            language = language_name(step.removeprefix(_LANGUAGE_STEP))
            question = bank.other_language.format(language=language)
            return bank.clarifications["start"].model_copy(update={"question": question})
        if step == _SPELLING_STEP:
            word, options = self._spellings(state.wish)
            labels = [*options, bank.as_written_label, bank.other_label]
            question = bank.unknown_words.format(words=f'"{word}"')
            return ClarifyStep.model_validate(
                {"question": question, "choices": [{"label": x} for x in labels]}
            )
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
    text = "\x1f".join(" ".join(part.lower().split()) for part in [wish, *answers])
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")


@once
def default_coach(prompts_dir: Path = PROMPTS_DIR) -> OfflineCoach:
    """The offline coach for `prompts_dir`, built once per process."""
    return OfflineCoach.load(prompts_dir)


def read_wish(wish: str, answers: Sequence[str] = (), *, coach: OfflineCoach | None = None) -> WishReading:
    """What the offline coach understood of a wish and the answers given so far."""
    return (coach or default_coach()).read_wish(wish, answers)


def introduce(wish: str, answers: Sequence[str] = (), *, coach: OfflineCoach | None = None) -> str:
    """The person asking, in one line from their wish; "" when it says nothing usable."""
    return (coach or default_coach()).introduce(wish, answers)


def next_step(
    wish: str, answers: Sequence[str] = (), *, coach: OfflineCoach | None = None
) -> Clarification | list[LearningQuestion]:
    """The offline coach's next move: a clarifying question, or 3-5 concrete learning questions."""
    return (coach or default_coach()).next_step(wish, answers)
