"""Validated JSON answers from any OpenAI-compatible server: shape by shape, one repair, breaker-gated.

A call tries the request shapes the server is known to take (`ShapeMemory`), strictest first. A shape the
server refuses (HTTP 400/422, or a 500 naming the request) is a capability gap, not an outage: the next shape
is tried and the circuit breaker is not told. An answer that fails validation is fed back once with the
problem. Outages (connection refused, timeouts, 429, 5xx, a reply that is no chat completion) count towards
the breaker; the quick ones are retried first (`RetryPolicy`). Whatever happens, the call's `CallReport` goes to any open `collecting()` block.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import LLMResult
from langchain_core.runnables import Runnable
from pydantic import ValidationError

from coach.errors import LLMUnavailable
from coach.llm.breaker import CircuitBreaker
from coach.llm.failures import (
    Failure,
    FailureKind,
    LLMCircuitOpen,
    LLMInvalidOutput,
    LLMRequestRefused,
    classify,
    cut_off,
)
from coach.llm.grounding import NameGuard
from coach.llm.memory import Server, ShapeMemory
from coach.llm.replies import InvalidReply, Reply, wire_schema
from coach.llm.report import ACCEPTED, REPAIRED, CallReport, ShapeTry, publish
from coach.llm.retry import RetryPolicy
from coach.llm.shapes import CUT_OFF, Shape, ShapeIgnored, answer_of, bind, fold_system, prepare

REPAIR = "Your previous answer was invalid: {problem}. Reply with JSON matching the schema."

T = TypeVar("T")
R = TypeVar("R", bound=Reply)


class UsageMeter(BaseCallbackHandler):
    """Counts chat requests and the prompt tokens the server reports, across threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.prompt_tokens = 0

    def on_chat_model_start(
        self, serialized: dict[str, Any], messages: list[list[BaseMessage]], **kwargs: Any
    ) -> None:
        with self._lock:
            self.calls += 1

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        replies = [getattr(g, "message", None) for generations in response.generations for g in generations]
        tokens = sum(
            m.usage_metadata["input_tokens"] for m in replies if isinstance(m, AIMessage) and m.usage_metadata
        )
        with self._lock:
            self.prompt_tokens += tokens


class _Refused(Exception):
    """The server would not take this shape (or ignored it); the reason goes into the report."""


@dataclass
class _Call:
    """The running record of one `ask`."""

    task: str
    started: float = field(default_factory=time.perf_counter)
    tries: list[ShapeTry] = field(default_factory=list)
    requests: int = 0

    def report(self, shape: Shape | None, guard: NameGuard | None, error: str | None = None) -> CallReport:
        return CallReport(
            task=self.task,
            shape=shape.value if shape else None,
            tries=tuple(self.tries),
            requests=self.requests,
            grounding=tuple(guard.notes) if guard else (),
            error=error,
            seconds=round(time.perf_counter() - self.started, 3),
        )


class StructuredChat:
    """Validated JSON answers from a chat model, in whichever request shape its server takes."""

    def __init__(
        self,
        chat_model: BaseChatModel,
        *,
        breaker: CircuitBreaker,
        server: Server,
        memory: ShapeMemory | None = None,
        system_role: bool = True,
        retry: RetryPolicy | None = None,
    ) -> None:
        self.chat_model = chat_model
        self.system_role = system_role
        self.retry = retry or RetryPolicy()
        self.breaker = breaker
        self.server = server
        self.memory = memory or ShapeMemory()
        self._meter = UsageMeter()

    @property
    def calls(self) -> int:
        return self._meter.calls

    @property
    def prompt_tokens(self) -> int:
        return self._meter.prompt_tokens

    def ask(
        self,
        name: str,
        messages: Sequence[BaseMessage],
        reply_type: type[R],
        check: Callable[[R], T],
        *,
        schema: dict[str, Any] | None = None,
        guard: NameGuard | None = None,
    ) -> T:
        """check(reply) for the model's answer; raises a typed LLMUnavailable when there is none to use.

        `check` may raise InvalidReply (fed back to the model once); `guard` collects what grounding
        removed, and its notes go into the call's report.
        """
        call = _Call(name)
        if not self.breaker.allow():
            wait = self.breaker.retry_after()
            error: LLMUnavailable = LLMCircuitOpen(
                f"circuit open: the LLM failed recently; retrying after {wait} s"
            )
            publish(call.report(None, guard, str(error)))
            raise error
        wire = schema or wire_schema(reply_type)
        messages = messages if self.system_role else fold_system(messages)
        for shape in self.memory.shapes(self.server):
            try:
                value = self._ask_in(shape, call, messages, reply_type, check, wire, guard)
            except _Refused as refused:
                self.memory.refused(self.server, shape)
                call.tries.append(ShapeTry(shape.value, f"refused: {refused}"))
                continue
            except LLMUnavailable as failed:
                publish(call.report(None, guard, str(failed)))
                raise
            self.memory.accepted(self.server, shape)
            publish(call.report(shape, guard))
            return value
        # Every shape refused: the server is up (it answered each time), so the breaker hears a success.
        self.memory.forget(self.server)
        self.breaker.record_success()
        error = LLMRequestRefused(f"the server refused every request shape ({refusals(call.tries)})")
        publish(call.report(None, guard, str(error)))
        raise error

    def _ask_in(
        self,
        shape: Shape,
        call: _Call,
        messages: Sequence[BaseMessage],
        reply_type: type[R],
        check: Callable[[R], T],
        schema: dict[str, Any],
        guard: NameGuard | None,
    ) -> T:
        runnable: Runnable[Any, Any] = bind(self.chat_model, shape, reply_type.__name__, schema)
        conversation = prepare(shape, messages, schema)
        problem = ""
        for attempt in range(2):
            message = self._send(runnable, conversation, call, shape)
            if message is None:  # cut off at the length limit
                problem = CUT_OFF
                repair = HumanMessage(REPAIR.format(problem=problem))
                conversation = [*prepare(shape, messages, schema), repair]
                continue
            if guard is not None:
                guard.notes.clear()  # notes describe the answer that is used, not a repaired one
            said = message.text if isinstance(message, AIMessage) else ""
            try:
                payload, said = answer_of(shape, message)
                value = check(reply_type.model_validate(payload))
            except ShapeIgnored as ignored:
                raise _Refused(str(ignored)) from ignored
            except (InvalidReply, ValidationError) as invalid:
                problem = describe_problem(invalid)
                repair = HumanMessage(REPAIR.format(problem=problem))
                conversation = [*prepare(shape, messages, schema), AIMessage(content=said), repair]
                continue
            # The server is up and answering, whatever the model said.
            self.breaker.record_success()
            call.tries.append(ShapeTry(shape.value, REPAIRED if attempt else ACCEPTED))
            return value
        self.breaker.record_success()
        call.tries.append(ShapeTry(shape.value, f"invalid twice: {problem[:120]}"))
        raise LLMInvalidOutput(f"invalid output twice ({problem[:120]})")

    def _send(self, runnable: Runnable[Any, Any], conversation: Any, call: _Call, shape: Shape) -> Any:
        """One request, retried as the policy allows; None when the answer was cut off at the length limit.

        A shape the server refuses raises _Refused; any other failure is told to the breaker and raised
        as a typed LLMUnavailable.
        """
        retry = 0
        while True:
            call.requests += 1
            try:
                return runnable.invoke(conversation, config={"callbacks": [self._meter]})
            except Exception as error:
                if cut_off(error):
                    return None
                failure = classify(error)
                if failure.kind is FailureKind.capability:
                    raise _Refused(failure.reason) from error
                retry += 1
                wait = self.retry.wait(failure, retry)
                if wait is None:
                    self._record(failure)
                    call.tries.append(ShapeTry(shape.value, f"failed: {failure.reason}"))
                    raise failure.error() from error
                time.sleep(wait)

    def _record(self, failure: Failure) -> None:
        if failure.counts_as_outage:
            hold = failure.retry_after or 0.0
            self.breaker.record_failure(trip=self.retry.trips(failure), hold_s=hold)
        else:
            self.breaker.record_success()


def refusals(tries: Sequence[ShapeTry]) -> str:
    """ "json_schema: HTTP 400, ..., plain: HTTP 400; first: <the server's words>" for an error message."""
    reasons = [t.outcome.removeprefix("refused: ") for t in tries]
    statuses = ", ".join(f"{t.shape}: {r.split(': ', 1)[0]}" for t, r in zip(tries, reasons, strict=True))
    return f"{statuses}; first: {reasons[0]}" if reasons else statuses


def describe_problem(invalid: Exception) -> str:
    """What was wrong with an answer, in words the model (and a person reading the log) can act on."""
    if isinstance(invalid, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or 'reply'}: {e['msg'].removeprefix('Value error, ')}"
            for e in invalid.errors(include_url=False)[:4]
        ]
        return "; ".join(parts)
    return str(invalid)
