"""LLM re-ranking: grounding, fallback to the offline order, load balancing after it, and the call budget."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from coach.config import PROMPTS_DIR, Settings, load_settings
from coach.errors import LLMUnavailable
from coach.llm.client import build_chat_model
from coach.llm.engine import RERANK_CANDIDATE_CHARS, LLMEngine
from coach.llm.rerank import EMPTY_RANKING, NOTE_PREFIX, apply_ranking, match_reranked, rerank_turn
from coach.matching import match_question
from coach.models import LearningQuestion
from coach.runtime import build_service, open_index
from coach.service import CoachService
from tests.openai_stub import ChatRequest, OpenAIStub, StubReply
from tests.rerank_script import candidate_ids, echo_queries, invented, ranking_reply, reverse, task_of
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertMatch, ExpertProfile, FieldEvidence


def person(pid: str, availability: Availability = Availability.open, **fields: object) -> ExpertProfile:
    values: dict[str, object] = {
        "name": f"Person {pid}",
        "title": "Pricing Manager",
        "department": "Product",
        "expertise": ["pricing strategy", "discounts", "subscription pricing"],
        "bio": "Sets prices and discounts for subscription plans.",
        "email": f"{pid}@corp.example",
        "extra": {"phone": "+1 555 0100"},
    }
    return ExpertProfile(id=pid, availability=availability, **{**values, **fields})  # type: ignore[arg-type]


ORG = [
    person("p1"),
    person("p2"),
    person("p3", expertise=["pricing", "discount approvals"]),
    person("star", Availability.unavailable),
    person("fin", title="Finance Partner", department="Finance", expertise=["royalties", "advances"]),
    person("ops", title="Warehouse Analyst", department="Operations", expertise=["inventory", "logistics"]),
]
PRICING = LearningQuestion(text="How do we set subscription pricing and discounts?")
ADVANCES = LearningQuestion(text="How do we decide what to pay an author up front?")


def matches(*ids: str) -> list[ExpertMatch]:
    return [
        ExpertMatch(profile=person(pid), score=round(1.0 - 0.1 * n, 4), evidence=[])
        for n, pid in enumerate(ids)
    ]


def ids(found: Sequence[ExpertMatch]) -> list[str]:
    return [m.profile.id for m in found]


@dataclass(frozen=True)
class Case:
    name: str
    ranking: list[tuple[str, str]]
    order: list[str]
    vouched: set[str]
    fallback: str | None


@pytest.mark.parametrize(
    "case",
    [
        Case("reversed", [("c", "x"), ("b", "y"), ("a", "z")], ["c", "b", "a"], {"a", "b", "c"}, None),
        Case("partial: the rest follow in offline order", [("c", "x")], ["c", "a", "b"], {"c"}, None),
        Case("unknown ids are dropped", [("zz", "x"), ("b", "y")], ["b", "a", "c"], {"b"}, None),
        Case("empty keeps the offline order", [], ["a", "b", "c"], set(), EMPTY_RANKING),
        Case("only unknown ids keep it too", [("zz", "x")], ["a", "b", "c"], set(), EMPTY_RANKING),
    ],
    ids=lambda case: case.name,
)
def test_apply_ranking(case: Case) -> None:
    result = apply_ranking(matches("a", "b", "c"), case.ranking)
    assert ids(result.matches) == case.order
    assert result.vouched == case.vouched and result.fallback == case.fallback
    scores = [m.score for m in result.matches]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores), (
        "scores follow the order"
    )
    if case.vouched:
        top = result.matches[0]
        assert top.score == 1.0 and top.notes == [f"{NOTE_PREFIX}{dict(case.ranking)[top.profile.id]}"]


@dataclass
class FakeReranker:
    """Stands in for the LLM engine: orders each question's candidate ids, or fails."""

    order: Callable[[list[str]], list[str]] = reverse
    error: str | None = None
    answers: int | None = None  # answer for this many questions instead of all
    seen: list[list[list[str]]] = field(default_factory=list)

    def rerank_many(
        self, items: Sequence[tuple[str, Sequence[tuple[ExpertProfile, Sequence[FieldEvidence]]]]]
    ) -> list[list[tuple[str, str]]]:
        pools = [[p.id for p, _ in pool] for _, pool in items]
        self.seen.append(pools)
        if self.error:
            raise LLMUnavailable(self.error)
        rankings = [[(pid, f"knows {pid}") for pid in self.order(pool)] for pool in pools]
        return rankings[: self.answers] if self.answers is not None else rankings


@pytest.mark.parametrize(
    ("reranker", "reason"),
    [
        (FakeReranker(error="timeout"), "LLM re-ranking unavailable: timeout"),
        (FakeReranker(answers=1), "answered for 1 of 2 questions"),
        (FakeReranker(order=invented), EMPTY_RANKING),
    ],
    ids=["failure", "too few answers", "invented ids"],
)
def test_a_failed_reranking_keeps_every_offline_order_and_says_why(
    reranker: FakeReranker, reason: str
) -> None:
    pools = [(PRICING, matches("a", "b", "c")), (ADVANCES, matches("d", "e"))]
    results = rerank_turn(reranker, pools)
    assert [ids(r.matches) for r in results] == [["a", "b", "c"], ["d", "e"]]
    assert all(reason in (r.fallback or "") and not r.vouched for r in results)
    assert len(reranker.seen) == 1, "one call for the whole turn"


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ExpertIndex]:
    with ExpertIndex.open(tmp_path / "idx", OfflineEmbedding()) as idx:
        idx.upsert(ORG)
        yield idx


def test_unavailable_never_first_and_load_balancing_still_apply(index: ExpertIndex) -> None:
    def star_first(pool: list[str]) -> list[str]:
        return [pid for pid in ("star", "p1", "p2", "p3") if pid in pool]

    asks = {"p1": 3}  # three of the default four chats a month: "many"
    [result] = match_reranked(
        index, [PRICING], FakeReranker(order=star_first), k=3, recent_asks=lambda got: asks
    )
    assert result.reranked and result.rerank_fallback is None
    assert ids(result.matches)[0] == "p2", "unavailable never first; busy p1 moves down"
    # p1 may drop out of the top k altogether; those who passed it say why they moved up
    assert any(note.startswith(("moved down", "moved up")) for m in result.matches for note in m.notes)
    assert any(note.startswith(NOTE_PREFIX) for note in result.matches[0].notes)


def test_someone_the_llm_vouches_for_fits_without_shared_words(index: ExpertIndex) -> None:
    offline = match_question(index, ADVANCES, k=3)
    [reranked] = match_reranked(index, [ADVANCES], FakeReranker(order=lambda pool: ["fin"]), k=3)
    assert ids(reranked.matches)[0] == "fin"
    assert not reranked.nobody_fits and reranked.connector is None
    assert offline.reranked is False and offline.rerank_fallback is None


# --- Through the real client path: LLMEngine -> ChatOpenAI -> HTTP -> the stub.


def settings_for(stub: OpenAIStub, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": tmp_path,
        "openai_base_url": stub.base_url,
        "openai_api_key": "test",
        "llm_timeout": 2.0,
        "llm_max_retries": 0,
    }
    return load_settings(**{**values, **overrides})


def engine_for(stub: OpenAIStub, tmp_path: Path) -> LLMEngine:
    chat_model = build_chat_model(settings_for(stub, tmp_path))
    assert chat_model is not None
    return LLMEngine(chat_model, PROMPTS_DIR)


def pool(*profiles: ExpertProfile) -> list[tuple[ExpertProfile, Sequence[FieldEvidence]]]:
    return [(p, []) for p in profiles]


def test_one_call_reranks_every_question_with_shared_profiles_shown_once(
    openai_stub: OpenAIStub, tmp_path: Path
) -> None:
    openai_stub.default = lambda request: ranking_reply(request, reverse)
    engine = engine_for(openai_stub, tmp_path)
    p1, p2, fin = ORG[0], ORG[1], ORG[4]
    result = engine.rerank_many([(PRICING.text, pool(p1, p2)), (ADVANCES.text, pool(fin, p1))])
    assert [[pid for pid, _ in ranking] for ranking in result] == [["p2", "p1"], ["p1", "fin"]]
    assert all(why for ranking in result for _, why in ranking)
    [request] = openai_stub.chat_requests
    prompt = request.prompt_text
    assert prompt.count("id: p1\n") == 1, "a profile shared by two questions is shown once"
    assert "@corp.example" not in prompt and "555" not in prompt and "Person p1" not in prompt
    assert candidate_ids(request) == [["p1", "p2"], ["fin", "p1"]]
    assert engine.calls == 1 and engine.prompt_tokens > 0


def test_ids_are_grounded_per_question(openai_stub: OpenAIStub, tmp_path: Path) -> None:
    answer = {
        "rankings": [
            {
                "question": 1,
                "ranking": [{"id": "fin", "why": "not a candidate here"}, {"id": "p2", "why": "ok"}],
            },
            {"question": 7, "ranking": [{"id": "p1", "why": "no such question"}]},
            {"question": 2, "ranking": [{"id": "fin", "why": "see https://evil.example"}]},
        ]
    }
    openai_stub.default = StubReply(content=json.dumps(answer))
    engine = engine_for(openai_stub, tmp_path)
    result = engine.rerank_many([(PRICING.text, pool(ORG[0], ORG[1])), (ADVANCES.text, pool(ORG[4]))])
    assert result == [[("p2", "ok")], [("fin", "")]], "a justification carrying a link is blanked"


@pytest.mark.parametrize(
    ("reply", "calls", "reason"),
    [
        (lambda r: ranking_reply(r, invented), 1, "named none of the candidates"),
        (lambda r: StubReply(content="Sure! Here is my ranking: p2, p1"), 2, "invalid output twice"),
        (lambda r: StubReply(status=500), 1, "server error"),
    ],
    ids=["invented ids", "garbage", "server error"],
)
def test_a_useless_answer_is_llm_unavailable(
    openai_stub: OpenAIStub,
    tmp_path: Path,
    reply: Callable[[ChatRequest], StubReply],
    calls: int,
    reason: str,
) -> None:
    openai_stub.default = reply
    engine = engine_for(openai_stub, tmp_path)
    with pytest.raises(LLMUnavailable, match=reason):
        engine.rerank_many([(PRICING.text, pool(ORG[0], ORG[1]))])
    assert len(openai_stub.chat_requests) == calls


def test_a_big_turn_fits_the_budget_and_keeps_each_questions_best(
    openai_stub: OpenAIStub, tmp_path: Path
) -> None:
    openai_stub.default = lambda request: ranking_reply(request, reverse)
    engine = engine_for(openai_stub, tmp_path)
    crowd = [person(f"q{q}-{n}", bio="Sets prices. " * 30) for q in range(5) for n in range(20)]
    items = [(f"Question number {q} about pricing?", pool(*crowd[q * 20 : (q + 1) * 20])) for q in range(5)]
    result = engine.rerank_many(items)
    [request] = openai_stub.chat_requests
    shown = candidate_ids(request)
    assert [ids[0] for ids in shown] == [f"q{q}-0" for q in range(5)], "every question keeps its best"
    assert len(request.last_user_text) < RERANK_CANDIDATE_CHARS + 2_000
    assert all(3 <= len(ranking) <= 5 for ranking in result), "a few people per question, not all"


# --- The service: one re-ranking call per turn, off with COACH_LLM_RERANK=false, fallback on garbage.

QUESTIONS_JSON = json.dumps(
    {
        "kind": "questions",
        "question": "",
        "choices": [],
        "questions": [
            {
                "text": "How are royalties on audiobooks calculated?",
                "why": "money",
                "search_query": "royalties",
            },
            {
                "text": "How is an author's advance decided?",
                "why": "deals",
                "search_query": "advances, contracts",
            },
            {
                "text": "Which costs make a print run profitable?",
                "why": "margins",
                "search_query": "production",
            },
        ],
    }
)
INTRO_JSON = json.dumps(
    {"subject": "20 minutes?", "body": "Which numbers matter most to you? If busy, no problem."}
)


def scripted(order: Callable[[list[str]], list[str]] | None) -> Callable[[ChatRequest], StubReply]:
    def answer(request: ChatRequest) -> StubReply:
        task = task_of(request)
        if task == "rerank_many":
            return ranking_reply(request, order) if order else StubReply(content="no idea, sorry")
        if task == "query_rewrite":
            return echo_queries(request)
        return StubReply(content=QUESTIONS_JSON if task == "coach_step" else INTRO_JSON)

    return answer


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample organisation indexed once for the module; each test opens it in turn."""
    directory = tmp_path_factory.mktemp("sample")
    with open_index(load_settings(data_dir=directory)):
        pass
    return directory


def service_for(stub: OpenAIStub, data_dir: Path, **overrides: object) -> CoachService:
    settings = settings_for(stub, data_dir, **overrides)
    return build_service(settings, open_index(settings))


@pytest.mark.parametrize(
    ("order", "rerank", "reranked", "calls"),
    [(reverse, True, True, 3), (None, True, False, 4), (reverse, False, False, 2)],
    ids=["reversed", "garbage falls back", "COACH_LLM_RERANK=false"],
)
def test_the_whole_flow_stays_in_budget(
    openai_stub: OpenAIStub,
    sample_dir: Path,
    order: Callable[[list[str]], list[str]] | None,
    rerank: bool,
    reranked: bool,
    calls: int,
) -> None:
    openai_stub.default = scripted(order)
    service = service_for(openai_stub, sample_dir, llm_rerank=rerank)
    try:
        flow = service.ask("I want to understand how traditional publishing makes money", ["the money side"])
        offline = [
            ids(qm.matches) for qm in build_service(load_settings(), service.index).match(flow.step.questions)
        ]
    finally:
        service.index.close()
    assert flow.intro is not None and flow.intro.fallback is None
    assert [qm.reranked for qm in flow.matches] == [reranked] * 3
    assert len(openai_stub.chat_requests) == calls <= 4
    # Even a garbage re-ranking, whose repair request re-sends the prompt, keeps the flow in budget.
    assert service.llm.prompt_tokens <= 6_000  # type: ignore[union-attr]
    ranked = [ids(qm.matches) for qm in flow.matches]
    if reranked:
        assert ranked != offline, "the LLM's order is used"
        assert all(any(n.startswith(NOTE_PREFIX) for n in qm.matches[0].notes) for qm in flow.matches)
    else:
        assert ranked == offline, "no re-ranking, or a failed one, leaves the offline order"
        reasons = {qm.rerank_fallback or "" for qm in flow.matches}
        expected = "LLM re-ranking unavailable: invalid output twice" if rerank else ""
        assert len(reasons) == 1 and reasons.pop().startswith(expected)
