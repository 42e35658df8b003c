"""The LLM coach: the coaching tasks as prompts, and the checks on what the model says (schemas: replies.py).

Every free text the model writes (questions, reasons, intros) passes a `NameGuard` built from what the task
was given, so people outside the index and the user's words never reach the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from coach.agenda import shorten, single_line
from coach.config import Settings
from coach.errors import CoachInputError
from coach.llm.breaker import CircuitBreaker
from coach.llm.client import build_chat_model, server_of
from coach.llm.failures import LLMInvalidOutput
from coach.llm.fence import (
    bullets,
    check_safe,
    fenced_text,
    fit_candidates,
    is_safe,
    numbered,
    profile_block,
    unique,
)
from coach.llm.grounding import NAMES_NO_ONE, NameGuard
from coach.llm.intro import draft_intro
from coach.llm.memory import ShapeMemory
from coach.llm.prompts import load_prompt
from coach.llm.replies import (
    MAX_CANDIDATES,
    InvalidReply,
    NextQuestionsReply,
    QueriesReply,
    QuestionDraft,
    RerankManyReply,
    RerankReply,
    StepReply,
    wire_schema,
)
from coach.llm.retry import RetryPolicy
from coach.llm.structured import StructuredChat
from coach.models import (
    MAX_QUESTIONS,
    MAX_WISH_CHARS,
    Clarification,
    IntroMessage,
    IntroRequest,
    LearningQuestion,
    Mode,
)
from vectorstore.models import ExpertProfile, FieldEvidence

STEP_QUESTIONS = (3, 5)
NEXT_QUESTIONS = (1, 3)
MAX_CLARIFICATIONS = 2
MAX_CONTEXT_ITEMS = 20
RERANK_PER_QUESTION = (3, 5)  # ranked people asked for per question: fewer when a turn has more questions
RERANK_ANSWER_ENTRIES = 20  # ranked entries per answer; about 25 tokens each must fit llm_max_tokens
RERANK_CANDIDATE_CHARS = 7_000  # profile text per re-ranking prompt: in budget even with a repair


class LLMEngine:
    """The coach's LLM engine; every failure is an LLMUnavailable so the caller can fall back offline."""

    mode = Mode.llm

    def __init__(
        self,
        chat_model: BaseChatModel,
        prompts_dir: Path,
        *,
        breaker: CircuitBreaker | None = None,
        memory: ShapeMemory | None = None,
        system_role: bool = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.prompts_dir = prompts_dir
        self.breaker = breaker or CircuitBreaker()
        self.retry = retry or RetryPolicy()
        self.memory = memory or ShapeMemory()
        self._chat = StructuredChat(
            chat_model,
            breaker=self.breaker,
            server=server_of(chat_model),
            memory=self.memory,
            system_role=system_role,
            retry=self.retry,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LLMEngine | None:
        """The engine for the configured LLM, or None when the app runs offline."""
        chat_model = build_chat_model(settings)
        if chat_model is None:
            return None
        return cls(
            chat_model,
            settings.prompts_dir,
            breaker=CircuitBreaker(cooldown_s=settings.breaker_cooldown),
            system_role=settings.llm_system_role,
            retry=RetryPolicy(retries=settings.llm_max_retries),
        )

    @property
    def calls(self) -> int:
        """Chat requests sent so far (a refused request shape and the next one tried count as two)."""
        return self._chat.calls

    @property
    def prompt_tokens(self) -> int:
        """Prompt tokens reported by the server so far."""
        return self._chat.prompt_tokens

    def _render(self, name: str, values: Mapping[str, object]) -> list[BaseMessage]:
        return load_prompt(name, self.prompts_dir).render(**values)

    def _guard(self, people: Sequence[str] = (), context: Sequence[str] = ()) -> NameGuard:
        return NameGuard.for_task(self.prompts_dir, people=people, context=context)

    def next_step(self, wish: str, answers: Sequence[str] = ()) -> Clarification | list[LearningQuestion]:
        """One clarifying question with choices, or 3-5 concrete questions with a why and a search query."""
        wish = _user_text(wish, "wish")
        answers = [_user_text(a, "answer") for a in answers if a.strip()]
        forced = len(answers) >= MAX_CLARIFICATIONS
        guard = self._guard(context=[wish, *answers])

        def check(reply: StepReply) -> Clarification | list[LearningQuestion]:
            if reply.kind == "clarify":
                if forced:
                    raise InvalidReply('enough clarifying answers were given: reply with kind "questions"')
                question = single_line(reply.question)
                if guard.drops(question, "the clarifying question"):
                    raise InvalidReply(f"the clarifying question {NAMES_NO_ONE}")
                offered = [shorten(c, 80) for c in reply.choices]
                choices = unique(c for n, c in enumerate(offered, 1) if not guard.drops(c, f"choice {n}"))
                if len(choices) < 3:
                    raise InvalidReply(f"give 3-5 different choices; they {NAMES_NO_ONE}")
                return Clarification(question=question, choices=choices)
            return _questions(reply.questions, STEP_QUESTIONS, guard)

        values = {
            "wish": fenced_text(wish, MAX_WISH_CHARS),
            "answers": bullets(answers) or "(none yet)",
            "answer_count": len(answers),
            "max_clarifications": MAX_CLARIFICATIONS,
            "allowed_kinds": '"questions" only' if forced else '"clarify" or "questions"',
            "min_questions": STEP_QUESTIONS[0],
            "max_questions": STEP_QUESTIONS[1],
        }
        schema = wire_schema(StepReply)
        if forced:  # the server then enforces what the prompt asks for
            schema["properties"]["kind"]["enum"] = ["questions"]
        messages = self._render("coach_step", values)
        return self._chat.ask("coach_step", messages, StepReply, check, schema=schema, guard=guard)

    def draft_intro(self, request: IntroRequest) -> IntroMessage:
        """A short, specific, easy-to-decline ask; the greeting and name come from the profile record."""
        return draft_intro(self._chat, self.prompts_dir, request)

    def rewrite_queries(self, questions: Sequence[str]) -> list[str]:
        """For each question, the expertise a person who can answer would list (for retrieval)."""
        asked = [_user_text(q, "question") for q in questions if q.strip()][:MAX_QUESTIONS]
        if not asked:
            return []

        guard = self._guard(context=asked)

        def check(reply: QueriesReply) -> list[str]:
            if len(reply.queries) != len(asked):
                raise InvalidReply(
                    f"expected {len(asked)} queries, one per question in order, got {len(reply.queries)}"
                )
            return [
                guard.clean(shorten(query, 300), f"search query {n}") or question
                for n, (query, question) in enumerate(zip(reply.queries, asked, strict=True), 1)
            ]

        values = {"questions": numbered(asked), "count": len(asked)}
        messages = self._render("query_rewrite", values)
        return self._chat.ask("query_rewrite", messages, QueriesReply, check, guard=guard)

    def rerank(
        self, question: str, candidates: Sequence[tuple[ExpertProfile, list[FieldEvidence]]]
    ) -> list[tuple[str, str]]:
        """(profile id, short justification) best first, only for ids among the first MAX_CANDIDATES."""
        question = _user_text(question, "question")
        pool = list(candidates)[:MAX_CANDIDATES]
        if not pool:
            return []
        known = {fenced_text(profile.id, 200): profile.id for profile, _ in pool}
        guard = self._candidates_guard([question], [p for p, _ in pool])

        def check(reply: RerankReply) -> list[tuple[str, str]]:
            ranked: dict[str, str] = {}
            for item in reply.ranking:
                profile_id = known.get(item.id)
                if profile_id is not None and profile_id not in ranked:
                    why = guard.clean(shorten(item.why, 200), f"the reason for {profile_id}")
                    ranked[profile_id] = why if is_safe(why) else ""
            return list(ranked.items())

        blocks = "\n".join(profile_block(p, ev, with_id=True) for p, ev in pool)
        values = {
            "question": fenced_text(question, MAX_WISH_CHARS),
            "candidates": blocks,
            "max_results": len(pool),
        }
        ranked = self._chat.ask("rerank", self._render("rerank", values), RerankReply, check, guard=guard)
        if not ranked:
            raise LLMInvalidOutput("the re-ranking named none of the candidates")
        return ranked

    def rerank_many(
        self, items: Sequence[tuple[str, Sequence[tuple[ExpertProfile, Sequence[FieldEvidence]]]]]
    ) -> list[list[tuple[str, str]]]:
        """Re-rank every question's candidates in one call: per question, (profile id, justification) best first.

        Only ids shown as that question's candidates survive; a question the model skipped or answered with
        unknown ids gets an empty list, and if that is every question the call counts as failed.
        """
        asked = [_user_text(question, "question") for question, _ in items]
        if len(asked) > MAX_QUESTIONS:
            raise CoachInputError(f"Re-rank at most {MAX_QUESTIONS} questions at a time.")
        shown = fit_candidates([list(pool)[:MAX_CANDIDATES] for _, pool in items], RERANK_CANDIDATE_CHARS)
        if not any(shown):
            return [[] for _ in items]
        per_question = max(
            RERANK_PER_QUESTION[0], min(RERANK_PER_QUESTION[1], RERANK_ANSWER_ENTRIES // len(asked))
        )
        known = [{fenced_text(p.id, 200): p.id for p in profiles} for profiles in shown]
        guard = self._candidates_guard(asked, [p for profiles in shown for p in profiles])

        def check(reply: RerankManyReply) -> list[list[tuple[str, str]]]:
            ranked: list[dict[str, str]] = [{} for _ in asked]
            for entry in reply.rankings:
                if not 1 <= entry.question <= len(asked) or ranked[entry.question - 1]:
                    continue  # an unknown number, or a second answer for one question: not grounded
                chosen = ranked[entry.question - 1]
                for item in entry.ranking:
                    profile_id = known[entry.question - 1].get(item.id)
                    if profile_id is not None and profile_id not in chosen and len(chosen) < per_question:
                        why = guard.clean(shorten(item.why, 160), f"the reason for {profile_id}")
                        chosen[profile_id] = why if is_safe(why) else ""
            return [list(found.items()) for found in ranked]

        unique: dict[str, ExpertProfile] = {}
        for profiles in shown:
            unique.update((p.id, p) for p in profiles if p.id not in unique)
        questions = "\n".join(
            f"{n}. <question>{fenced_text(q, 400)}</question>\n"
            f"   candidates: {', '.join(fenced_text(p.id, 200) for p in profiles) or '(none)'}"
            for n, (q, profiles) in enumerate(zip(asked, shown, strict=True), 1)
        )
        values = {
            "questions": questions,
            "question_count": len(asked),
            "candidates": "\n".join(profile_block(p, (), with_id=True, brief=True) for p in unique.values()),
            "max_per_question": per_question,
        }
        messages = self._render("rerank_many", values)
        rankings = self._chat.ask("rerank_many", messages, RerankManyReply, check, guard=guard)
        if not any(rankings):
            raise LLMInvalidOutput("the re-ranking named none of the candidates")
        return rankings

    def what_next(self, takeaways: Sequence[str], open_questions: Sequence[str]) -> list[LearningQuestion]:
        """1-3 new questions that build on what the person learned and are not already open."""
        notes = [shorten(t, 500) for t in takeaways if t.strip()][-MAX_CONTEXT_ITEMS:]
        still_open = [shorten(q, 400) for q in open_questions if q.strip()][-MAX_CONTEXT_ITEMS:]
        if not notes and not still_open:
            raise CoachInputError("Log a takeaway from a chat first: the next question builds on it.")
        seen = {q.casefold() for q in still_open}
        guard = NameGuard.for_task(self.prompts_dir, context=still_open, facts=notes)

        def check(reply: NextQuestionsReply) -> list[LearningQuestion]:
            fresh = [q for q in reply.questions if single_line(q.text).casefold() not in seen]
            return _questions(fresh, NEXT_QUESTIONS, guard)

        values = {
            "takeaways": bullets(notes) or "(none logged)",
            "open_questions": bullets(still_open) or "(none)",
            "min_questions": NEXT_QUESTIONS[0],
            "max_questions": NEXT_QUESTIONS[1],
        }
        messages = self._render("what_next", values)
        return self._chat.ask("what_next", messages, NextQuestionsReply, check, guard=guard)

    def _candidates_guard(self, questions: Sequence[str], profiles: Sequence[ExpertProfile]) -> NameGuard:
        facts = [f"{p.title} {p.department} {' '.join(p.expertise)} {p.bio}" for p in profiles]
        return NameGuard.for_task(
            self.prompts_dir, people=[p.name for p in profiles], context=questions, facts=facts
        )


def _questions(
    drafts: Sequence[QuestionDraft], bounds: tuple[int, int], guard: NameGuard
) -> list[LearningQuestion]:
    """The drafts as questions; one that names a stranger is left out, its why and query lose such sentences."""
    kept: dict[str, LearningQuestion] = {}
    for n, draft in enumerate(drafts, 1):
        text = single_line(draft.text)
        if guard.drops(text, f"question {n}"):
            continue
        why = guard.clean(single_line(draft.why), f"the why of question {n}")
        query = guard.clean(single_line(draft.search_query), f"the search query of question {n}")
        query = query if is_safe(query) else ""
        check_safe(f"{text} {why}", "a question")
        if text.casefold() not in kept:
            kept[text.casefold()] = LearningQuestion(text=text, why=why, search_query=query)
    if len(kept) < bounds[0]:
        named = f"; they {NAMES_NO_ONE}" if guard.notes else ""
        raise InvalidReply(f"write {bounds[0]}-{bounds[1]} different new questions{named}")
    return list(kept.values())[: bounds[1]]


def _user_text(text: str, what: str) -> str:
    text = text.strip()
    if not text:
        raise CoachInputError(f"The {what} is empty: type a few words about what you want to learn.")
    if len(text) > MAX_WISH_CHARS:
        raise CoachInputError(
            f"The {what} has {len(text)} characters; shorten it to {MAX_WISH_CHARS} or fewer."
        )
    return text
