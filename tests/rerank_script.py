"""Scripted LLM answers read back from the prompt (re-ranking, query rewrites), for tests and benchmarks."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from tests.openai_stub import ChatRequest, StubReply

Order = Callable[[list[str]], list[str]]
_CANDIDATES = re.compile(r"^ +candidates: (.*)$", re.MULTILINE)
_NUMBERED = re.compile(r"^\d+\. (.*)$", re.MULTILINE)


def task_of(request: ChatRequest) -> str:
    """Which prompt a request carries, told apart by the JSON example in its system message."""
    system = request.messages[0].text if request.messages else ""
    for key, task in (
        ('"rankings"', "rerank_many"),
        ('"queries"', "query_rewrite"),
        ('"kind"', "coach_step"),
    ):
        if key in system:
            return task
    return "other"


def candidate_ids(request: ChatRequest) -> list[list[str]]:
    """Each question's candidate ids as the re-ranking prompt lists them, in question order."""
    first_user = next(m.text for m in request.messages if m.role == "user")
    return [
        [] if line.strip() == "(none)" else [i.strip() for i in line.split(",")]
        for line in _CANDIDATES.findall(first_user)
    ]


def ranking_reply(request: ChatRequest, order: Order) -> StubReply:
    """A re-ranking answer: for every question, `order` applied to its candidate ids."""
    rankings = [
        {"question": n, "ranking": [{"id": i, "why": f"works on what question {n} asks"} for i in order(ids)]}
        for n, ids in enumerate(candidate_ids(request), 1)
    ]
    return StubReply(content=json.dumps({"rankings": rankings}))


def echo_queries(request: ChatRequest) -> StubReply:
    """A query rewrite that returns each question unchanged (so retrieval is the offline one)."""
    first_user = next(m.text for m in request.messages if m.role == "user")
    return StubReply(content=json.dumps({"queries": _NUMBERED.findall(first_user)}))


def reverse(ids: list[str]) -> list[str]:
    return ids[::-1]


def invented(ids: list[str]) -> list[str]:
    return [f"invented-{i}" for i in range(len(ids))]
