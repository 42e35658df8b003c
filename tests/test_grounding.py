"""No invented people in model-written text: NameGuard's rules, and a stub that names strangers everywhere."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from coach.config import PROMPTS_DIR, Settings, load_settings
from coach.llm.breaker import CircuitBreaker
from coach.llm.client import build_chat_model
from coach.llm.engine import LLMEngine
from coach.llm.grounding import NameGuard
from coach.models import Mode
from coach.runtime import build_service, open_index
from coach.service import CoachService
from tests.openai_stub import ChatRequest, OpenAIStub, StubReply

STRANGERS = ("Zed", "Fabricated", "Priya", "Raman", "@zedfab", "zed@", "Okonkwo")
WISH = "I want a mentor. I work on the self-publishing side and want to understand traditional publishing."


@dataclass(frozen=True)
class Case:
    text: str
    strangers: tuple[str, ...]


GUARD = NameGuard.for_task(
    PROMPTS_DIR,
    people=["Dr. Sam Okafor"],
    context=["I want to understand traditional publishing; Ria Patel suggested it", "Trade Publishing, FP&A"],
)
CASES = {
    "honorific and name": Case(
        "Ask Dr. Zed Fabricated: which metrics matter most here?", ("Dr. Zed Fabricated",)
    ),
    "capitalised full name": Case("What would Priya Raman say about returns?", ("Priya Raman",)),
    "full name with an initial": Case("Talk to Chidi N. Okonkwo first.", ("Chidi N. Okonkwo",)),
    "handle": Case("Ping @zedfab on Slack.", ("@zedfab",)),
    "email": Case("Write to zed@fabricated.example today.", ("zed@fabricated.example",)),
    "a person the task was given": Case("Sam Okafor builds the title P&L; ask Dr. Okafor.", ()),
    "a person the user named": Case("Ria Patel knows the annual plan.", ()),
    "domain words in title case": Case("Which Trade Publishing reports matter in FP&A?", ()),
    "sentence starts": Case("Which metrics matter? How are advances judged? What Would You Do?", ()),
    "a known first name, an invented surname": Case("Sam Smith will know.", ("Sam Smith",)),
    "trade words as a name where a person goes": Case("Talk to Grant Ward about budgets.", ("Grant Ward",)),
    "trade words where a person goes, sentence start": Case("Ask Bill Price first.", ("Bill Price",)),
    "the same words as a phrase of the trade": Case("Grant Funding and Bill Payments differ here.", ()),
    "a given person where a person goes": Case("Talk to Sam Okafor, then meet Ria Patel.", ()),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_name_guard_finds_people_outside_the_task(case: Case) -> None:
    assert tuple(GUARD.strangers(case.text)) == case.strangers


def test_clean_drops_only_the_sentences_that_name_strangers_and_notes_each() -> None:
    guard = NameGuard.for_task(PROMPTS_DIR, people=["Dr. Sam Okafor"], context=["advances"])
    text = "Hi! Dr. Zed Fabricated told me about you. Which metrics do you watch? Ping @zedfab. Thanks, Sam."

    assert guard.clean(text, "the intro") == "Hi! Which metrics do you watch? Thanks, Sam."
    assert len(guard.notes) == 2
    assert "'Dr. Zed Fabricated'" in guard.notes[0] and "not in the index or your words" in guard.notes[0]


# --- a stub model that names strangers in every free-text field, through the whole flow


def named_questions() -> dict[str, Any]:
    return {
        "kind": "questions",
        "question": "",
        "choices": [],
        "questions": [
            {
                "text": "Which metrics matter most to Dr. Zed Fabricated?",
                "why": "He runs finance.",
                "search_query": "finance metrics",
            },
            {
                "text": "How is an advance judged financially?",
                "why": "Priya Raman swears by it. Money meets editorial judgement.",
                "search_query": "advances, title P&L, @zedfab",
            },
            {
                "text": "What revenue goals shape the annual plan?",
                "why": "Ask zed@fabricated.example for the deck. Context for decisions.",
                "search_query": "annual plan, revenue goals",
            },
            {
                "text": "Which reports does the finance team send each month?",
                "why": "Zed Fabricated reads them all.",
                "search_query": "reporting, FP&A, Priya Raman",
            },
        ],
    }


def named_answer(chat: ChatRequest) -> StubReply:
    """Every task's answer, each free-text field naming someone who is not in the index."""
    name = (chat.response_format or {}).get("json_schema", {}).get("name")
    payload: dict[str, Any]
    if name == "StepReply":
        payload = named_questions()
    elif name == "RerankManyReply":
        pools = re.findall(r"^\s+candidates: (.+)$", chat.last_user_text, re.MULTILINE)
        payload = {
            "rankings": [
                {
                    "question": n,
                    "ranking": [
                        {"id": pid, "why": "Zed Fabricated vouches for them."} for pid in pool.split(", ")[:3]
                    ],
                }
                for n, pool in enumerate(pools, 1)
            ]
        }
    elif name == "IntroReply":
        payload = {
            "subject": "20 minutes on how advances are judged?",
            "body": "I'm Alex from the self-publishing team. Dr. Zed Fabricated told me you are the person "
            "to ask. Which metrics do you watch when judging an advance? Would you have 20 minutes for a "
            "coffee? If now's busy, no problem at all.",
        }
    else:
        return StubReply(status=500, content=f"unexpected task {name}")
    return StubReply(content=json.dumps(payload))


@pytest.fixture
def service(tmp_path: Path) -> Iterator[tuple[CoachService, OpenAIStub]]:
    with OpenAIStub(named_answer) as stub:
        settings = load_settings(data_dir=tmp_path, openai_base_url=stub.base_url, llm_timeout=2.0)
        with open_index(settings) as index:
            yield build_service(settings, index), stub


def shown(value: object) -> str:
    return repr(value)


def test_a_model_naming_strangers_everywhere_reaches_no_result_and_the_result_says_so(
    service: tuple[CoachService, OpenAIStub],
) -> None:
    coach, _ = service

    flow = coach.ask(WISH, ["how it makes money", "the numbers"])

    assert flow.step.mode is Mode.llm and len(flow.step.questions) == 3
    assert flow.intro is not None and flow.intro.mode is Mode.llm
    visible = shown((flow.step.questions, flow.matches, flow.intro.message, flow.agenda))
    for stranger in STRANGERS:
        assert stranger not in visible, stranger
    assert "Which metrics do you watch when judging an advance?" in flow.intro.message.text
    assert all(m.profile == coach.index.get(m.profile.id) for q in flow.matches for m in q.matches)
    assert flow.step.llm is not None and flow.intro.llm is not None and flow.llm is not None
    step_notes, intro_notes = flow.step.llm.grounding, flow.intro.llm.grounding
    assert any("question 1" in n and "Dr. Zed Fabricated" in n for n in step_notes)
    assert any("the why of question 2" in n and "Priya Raman" in n for n in step_notes)
    assert any("the intro" in n and "Dr. Zed Fabricated" in n for n in intro_notes)
    assert any("the reason for" in n for n in flow.llm.grounding), "re-ranking reasons were grounded too"
    assert set(flow.llm.shapes) == {"json_schema"}


def llm_engine(stub: OpenAIStub) -> LLMEngine:
    settings = Settings(openai_base_url=stub.base_url, llm_timeout=2.0, llm_max_retries=0)  # type: ignore[call-arg]
    model = build_chat_model(settings)
    assert model is not None
    return LLMEngine(model, PROMPTS_DIR, breaker=CircuitBreaker(failure_threshold=100))


def test_questions_that_all_name_strangers_are_repaired_once_then_refused() -> None:
    every = {
        "kind": "questions",
        "question": "",
        "choices": [],
        "questions": [
            {"text": f"What does Dr. Zed Fabricated think of {topic}?", "why": "", "search_query": ""}
            for topic in ("advances", "returns", "print runs")
        ],
    }
    with OpenAIStub(StubReply(content=json.dumps(every))) as stub:
        engine = llm_engine(stub)
        with pytest.raises(Exception, match="named people who are not in the directory"):
            engine.next_step(WISH, ["how it makes money"])

        assert "name no one" in stub.chat_requests[1].last_user_text


def test_a_clarifying_question_naming_a_stranger_is_repaired() -> None:
    clarify = {
        "kind": "clarify",
        "question": "Should Dr. Zed Fabricated mentor you?",
        "choices": ["money", "acquisitions", "sales"],
        "questions": [],
    }
    with OpenAIStub() as stub:
        stub.enqueue(StubReply(content=json.dumps(clarify)), StubReply(content=json.dumps(named_questions())))
        result = llm_engine(stub).next_step(WISH)

        assert isinstance(result, list) and len(result) == 3
        assert "the clarifying question named people" in stub.chat_requests[1].last_user_text


def test_what_next_and_query_rewrites_are_grounded_in_the_journal_and_the_questions() -> None:
    with OpenAIStub() as stub:
        stub.enqueue(
            StubReply(content=json.dumps({"questions": named_questions()["questions"][1:3]})),
            StubReply(content=json.dumps({"queries": ["advances, Priya Raman", "Zed Fabricated knows."]})),
        )
        engine = llm_engine(stub)

        ideas = engine.what_next(["Returns drive the P&L"], ["How are print runs sized?"])
        queries = engine.rewrite_queries(["How is an advance judged?", "What drives the plan?"])

    assert [q.why for q in ideas] == ["Money meets editorial judgement.", "Context for decisions."]
    assert queries == ["How is an advance judged?", "What drives the plan?"], "named queries fall back"
