"""CoachService: the whole flow behind the CLI and the UI, with LLM-to-offline fallback."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from coach.agenda import agenda_with_renderings
from coach.engine import Engine
from coach.errors import CoachInputError, LLMUnavailable
from coach.journal.insights import search_records
from coach.journal.store import Journal, JournalError
from coach.journal.whatnext import NextQuestionWriter, Suggestion, suggest_next
from coach.llm.fence import asks_for_credentials
from coach.llm.report import LLMReport, collecting
from coach.llm.rerank import Reranker, match_reranked
from coach.matching import match_question
from coach.models import (
    MAX_QUESTIONS,
    MAX_WISH_CHARS,
    Agenda,
    Channel,
    Clarification,
    IntroMessage,
    IntroRequest,
    LearningQuestion,
    Mode,
    Question,
    QuestionMatches,
    ReferralIn,
    Tone,
)
from coach.offline.engine import OfflineEngine
from coach.offline.grounding import why_them
from coach.offline.intro import follow_up_message
from coach.offline.steps import introduce
from coach.users import UserDirectory
from vectorstore.index import ExpertIndex, Progress, UpsertReport
from vectorstore.models import ExpertProfile, FieldEvidence, SearchFilters

log = logging.getLogger(__name__)
T = TypeVar("T")
LOAD_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class StepResult:
    """A clarifying question or learning questions, and which engine produced it."""

    mode: Mode
    fallback: str | None
    clarification: Clarification | None = None
    questions: list[LearningQuestion] = field(default_factory=list)
    llm: LLMReport | None = None  # the model calls behind it: request shapes used, names dropped


@dataclass(frozen=True)
class IntroResult:
    message: IntroMessage
    mode: Mode
    fallback: str | None
    llm: LLMReport | None = None


@dataclass(frozen=True)
class FlowResult:
    """`coach ask`: questions with matches, then agenda and intro for the top match of question 1."""

    step: StepResult
    matches: list[QuestionMatches]
    agenda: Agenda | None
    intro: IntroResult | None
    llm: LLMReport | None = None  # every model call of the flow, re-ranking included


@dataclass(frozen=True)
class CoachService:
    """Explicit dependencies: the index, the offline engine, and optionally an LLM engine."""

    index: ExpertIndex
    llm: Engine | None = None
    offline: Engine = field(default_factory=OfflineEngine)
    journal: Journal | None = None
    rerank: bool = True  # let an LLM that can re-rank order the people found (COACH_LLM_RERANK)

    users: UserDirectory | None = None

    def recent_asks(self, expert_ids: Sequence[str]) -> dict[str, int]:
        """Requests marked as sent per expert in the last 30 days, across all users and app instances."""
        if self.journal is None:
            return {}
        return self.journal.count_asks(expert_ids, since=datetime.now(UTC) - LOAD_WINDOW)

    def department(self, user_id: str) -> str | None:
        return self.users.department(user_id) if self.users is not None else None

    @property
    def mode(self) -> Mode:
        return Mode.llm if self.llm is not None else Mode.offline

    def step(self, wish: str, answers: Sequence[str] = ()) -> StepResult:
        """Clarify (at most twice) or produce 3-5 learning questions."""
        wish = _checked(wish, "wish")
        answers = [_checked(a, "answer") for a in answers]
        outcome, mode, fallback, report = self._run(lambda engine: engine.next_step(wish, answers))
        if isinstance(outcome, Clarification):
            return StepResult(mode=mode, fallback=fallback, clarification=outcome, llm=report)
        return StepResult(mode=mode, fallback=fallback, questions=list(outcome)[:MAX_QUESTIONS], llm=report)

    def match(
        self,
        questions: Sequence[LearningQuestion],
        *,
        k: int = 3,
        filters: SearchFilters | None = None,
        user_id: str | None = None,
    ) -> list[QuestionMatches]:
        """The people to ask per question; with an LLM, one re-ranking call for all (offline on failure).

        With `user_id`, how well each question was served (topic and how many people fit, never its text)
        is recorded for the people team's insights.
        """
        if len(questions) > MAX_QUESTIONS:
            raise CoachInputError(f"At most {MAX_QUESTIONS} questions at a time; drop a few and try again.")
        if self.rerank and questions and isinstance(self.llm, Reranker):
            found = match_reranked(
                self.index, questions, self.llm, k=k, filters=filters, recent_asks=self.recent_asks
            )
        else:
            found = [
                match_question(self.index, q, k=k, filters=filters, recent_asks=self.recent_asks)
                for q in questions
            ]
        if user_id is not None and self.journal is not None and filters is None:
            try:  # insights are a by-product: a failure to record them never fails the turn
                self.journal.record_searches(user_id, search_records(found), self.department(user_id))
            except JournalError as exc:
                log.warning("insights record skipped: %s", exc)
        return found

    def keep(self, user_id: str, wish: str, questions: Sequence[LearningQuestion]) -> list[Question]:
        """Save the questions a person chose to keep, under their wish (once each)."""
        if self.journal is None:
            raise JournalError("No journal is configured; questions cannot be kept.")
        return self.journal.keep_questions(user_id, wish, questions)

    def mark_sent(
        self, user_id: str, expert_id: str, questions: Sequence[str], *, wish: str = "", why: str = ""
    ) -> bool:
        """The person sent their request: count one ask of this expert and keep the questions it names.

        Drafting, redrafting or copying a message counts nothing; only this does. Returns whether a new ask
        was counted (a second "sent" to the same person within a week is the same ask).
        """
        expert = self.expert(expert_id)
        if self.journal is None:
            return False
        kept = [LearningQuestion(text=q, why=why) for q in questions if q.strip()]
        return self.journal.record_ask(
            user_id, expert.id, department=self.department(user_id), wish=wish, questions=kept
        )

    def import_profiles(
        self, profiles: Sequence[ExpertProfile], *, progress: Progress | None = None
    ) -> UpsertReport:
        """Index profiles; the index runs the write inside the cross-instance import lock that
        `runtime.open_index` gives it, so only one import runs at a time across instances."""
        return self.index.upsert(profiles, progress=progress)

    def expert(self, expert_id: str) -> ExpertProfile:
        """A profile from the index; names and contacts only ever come from here."""
        profile = self.index.get(expert_id)
        if profile is None:
            raise CoachInputError(
                f"No expert with id {expert_id!r} in the index; search first, then pick one."
            )
        return profile

    def agenda(
        self,
        expert_id: str,
        questions: Sequence[str],
        *,
        minutes: int = 20,
        start: datetime | None = None,
        tz: str = "UTC",
        requester: str = "",
        wish: str = "",
        answers: Sequence[str] = (),
        evidence: Sequence[FieldEvidence] = (),
    ) -> Agenda:
        """The agenda; its opening line says who I am (from the wish, when given) and why this person
        (from the evidence that matched them, else their profile)."""
        expert = self.expert(expert_id)
        return agenda_with_renderings(
            expert,
            questions,
            minutes=minutes,
            start=start,
            tz=tz,
            requester=requester,
            about_me=introduce(wish, answers) if wish.strip() else "",
            why_them=why_them(expert, questions, evidence),
        )

    def intro(
        self,
        expert_id: str,
        questions: Sequence[str],
        *,
        channel: Channel = Channel.email,
        tone: Tone = Tone.warm,
        requester_name: str = "",
        requester_context: str = "",
        evidence: Sequence[FieldEvidence] = (),
        minutes: int = 20,
        topic: str = "",
    ) -> IntroResult:
        """Draft the message; a draft is not an ask (see `mark_sent`), so nothing is counted here.

        Whoever drafts it, an intro never asks a colleague for a password or a code: a question that does
        (typed, or carried in from injected text) is refused before any draft is written."""
        asking = [n for n, q in enumerate(questions, 1) if asks_for_credentials(q)]
        if asking:
            raise CoachInputError(
                f"Question {asking[0]} asks for a password or a code; an intro never does. Reword it."
            )
        expert = self.expert(expert_id)
        request = IntroRequest(
            expert=expert,
            questions=list(questions),
            channel=channel,
            tone=tone,
            requester_name=requester_name,
            requester_context=requester_context,
            evidence=list(evidence),
            minutes=minutes,
            topic=topic,
        )
        message, mode, fallback, report = self._run(lambda engine: engine.draft_intro(request))
        return IntroResult(message=message, mode=mode, fallback=fallback, llm=report)

    def follow_up(
        self,
        expert_id: str,
        takeaway: str,
        referral_name: str | None = None,
        *,
        channel: Channel = Channel.email,
        tone: Tone = Tone.warm,
        requester_name: str = "",
    ) -> IntroMessage:
        """A thank-you after a chat that names a takeaway and, where given, the referral."""
        return follow_up_message(
            self.expert(expert_id), takeaway, referral_name, channel, tone, requester_name=requester_name
        )

    def referral(self, name: str) -> ReferralIn:
        """A referral by name: linked to the index when exactly one profile has that name, else free text."""
        name = name.strip()[:200]
        same = [p for p in self.index.profiles() if p.name.casefold() == name.casefold()]
        return (
            ReferralIn(expert_id=same[0].id, name=same[0].name) if len(same) == 1 else ReferralIn(name=name)
        )

    def what_next(self, user_id: str = "local") -> list[Suggestion]:
        """Next-question suggestions from the journal; LLM ideas when an LLM is configured."""
        if self.journal is None:
            return []
        writer = self.llm if isinstance(self.llm, NextQuestionWriter) else None
        return suggest_next(self.journal, user_id, self.index, writer)

    def ask(
        self,
        wish: str,
        answers: Sequence[str] = (),
        *,
        filters: SearchFilters | None = None,
        best_guess: bool = True,
        start: datetime | None = None,
        tz: str = "UTC",
    ) -> FlowResult:
        """The whole flow: questions, people, then agenda and intro for the top match of question 1.

        With `best_guess` (the default, for callers that cannot ask back) an unanswered clarification takes
        its first choice; without it the result stops at the clarification, with no questions yet. A `start`
        time (read in `tz`) adds the calendar invite to the agenda. With an LLM, `llm` reports every call."""
        with collecting() as calls:
            flow = self._ask(wish, answers, filters, best_guess=best_guess, start=start, tz=tz)
        return replace(flow, llm=LLMReport(tuple(calls))) if self.llm is not None else flow

    def _ask(
        self,
        wish: str,
        answers: Sequence[str],
        filters: SearchFilters | None,
        *,
        best_guess: bool,
        start: datetime | None,
        tz: str,
    ) -> FlowResult:
        step = self.step(wish, answers)
        given = list(answers)
        while step.clarification is not None and best_guess and len(given) < 2:
            given.append(step.clarification.choices[0])
            step = self.step(wish, given)
        if step.clarification is not None:
            if not best_guess:
                return FlowResult(step=step, matches=[], agenda=None, intro=None)
            raise CoachInputError("The coach kept asking; add a domain or goal to the wish.")
        matches = self.match(step.questions, filters=filters)
        first = matches[0] if matches else None
        top = first.matches[0] if first and first.matches else None
        if first is None or top is None:
            return FlowResult(step=step, matches=matches, agenda=None, intro=None)
        question = first.question
        agenda = self.agenda(
            top.profile.id,
            [question.text],
            start=start,
            tz=tz,
            wish=wish,
            answers=given,
            evidence=top.evidence,
        )
        intro = self.intro(top.profile.id, [question.text], evidence=top.evidence, topic=question.topic)
        return FlowResult(step=step, matches=matches, agenda=agenda, intro=intro)

    def _run(self, call: Callable[[Engine], T]) -> tuple[T, Mode, str | None, LLMReport | None]:
        if self.llm is None:
            return call(self.offline), Mode.offline, None, None
        with collecting() as calls:
            try:
                return call(self.llm), Mode.llm, None, LLMReport(tuple(calls))
            except LLMUnavailable as exc:
                log.warning("LLM unavailable, using the offline coach: %s", exc)
                return call(self.offline), Mode.offline, str(exc), LLMReport(tuple(calls))


def _checked(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise CoachInputError(f"The {what} is empty: type a few words about what you want to learn.")
    if len(text) > MAX_WISH_CHARS:
        raise CoachInputError(f"The {what} has {len(text)} characters; keep it under {MAX_WISH_CHARS}.")
    return text
