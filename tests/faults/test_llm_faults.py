"""The LLM server fails in every way a real one does, under the real web app: each turn still answers.

The app runs as in production (Gradio on loopback, the real openai client, the real circuit breaker, the
default retry count); the server is `llm_fault_server`, its own process, told what to break: it is down,
slower than the timeout, a 429 storm with and without Retry-After, 500s, a body cut short (plain or chunked:
the coach asks for whole, non-streamed completions, so a cut stream reaches it as a cut chunked body), a body
that is not JSON. For each fault: a second person is served while a turn waits on the server, the turn falls
back to the offline coach and says why, sending the server no more requests than the retry policy allows;
the failures open the breaker, after which no request reaches the server; once the server is healthy again
the half-open probe closes the breaker and the LLM answers. A storm of failing turns leaks no threads, file
descriptors or connections.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest
from gradio_client import Client

from coach.config import load_settings
from coach.llm.breaker import BreakerState, CircuitBreaker
from coach.llm.engine import LLMEngine
from coach.runtime import build_service, mode_label, open_index, open_journal
from coach.service import CoachService
from coach.web.app import build_ui, launch
from coach.web.history import content_text
from tests.conftest import free_port
from tests.faults.llm_fault_server import LLM_QUESTIONS, FaultServer

pytestmark = [
    pytest.mark.server,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::Warning:gradio.queueing"),
]
WISH = "I want to understand how our finance team forecasts revenue"
TIMEOUT_S = 5.0  # COACH_LLM_TIMEOUT: long enough for a second person's request to finish inside it
COOLDOWN_S = 2.0  # COACH_BREAKER_COOLDOWN
OFFLINE_NOTE = "this answer comes from the offline coach"


@dataclass(frozen=True)
class Running:
    server: FaultServer
    service: CoachService
    url: str

    @property
    def breaker(self) -> CircuitBreaker:
        assert isinstance(self.service.llm, LLMEngine)
        return self.service.llm.breaker


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("llm-faults")
    server = FaultServer(free_port(), root / "fault-server.log").start()
    settings = load_settings(
        data_dir=root / "app",
        host="127.0.0.1",
        port=free_port(),
        openai_api_key="test-key",
        openai_base_url=server.base_url,
        llm_timeout=TIMEOUT_S,
        breaker_cooldown=COOLDOWN_S,
    )
    index = open_index(settings)
    journal = open_journal(settings)
    service = build_service(settings, index, journal)
    demo = build_ui(service, settings, mode_label(settings))
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield Running(server, service, url)
    finally:
        demo.close()
        journal.close()
        index.close()
        server.stop()


@pytest.fixture
def app(running: Running) -> Running:
    """The module's app with a healthy server and a closed breaker."""
    if not running.server.running:
        running.server.start()
    running.server.control("reset")
    running.breaker.record_success()
    return running


@dataclass
class Turn:
    """What one chat turn (a wish, then answers to any clarifying questions) showed."""

    replies: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)


def value(output: Any) -> Any:
    return output.get("value") if isinstance(output, dict) and output.get("__type__") == "update" else output


def chat_turn(client: Client, wish: str = WISH) -> Turn:
    """The wish, then the first offered answer while the coach clarifies, until it gives questions."""
    turn = Turn()
    history: list[Any] = []
    text = wish
    for _ in range(3):
        history, _message, notice, table, *_ = client.predict(text, history, api_name="/chat")
        turn.replies.append(content_text(history[-1]))
        turn.notices.append(str(value(notice) or ""))
        turn.questions = [row[0] for row in value(table)["data"] if row and row[0]]
        if turn.questions:
            return turn
        offered = history[-1].get("options") or []
        assert offered, f"the coach neither asked with choices nor gave questions: {turn.replies}"
        text = offered[0]["value"]
    raise AssertionError(f"the coach never gave questions: {turn.replies}")


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@dataclass(frozen=True)
class Fault:
    """A way the server fails: its plan (None: the process is stopped), the reason the turn's note gives,
    and how many requests the first failing turn may send it (a step and a re-ranking, each retried once
    when a quick retry can help; None when the server is not there to count)."""

    plan: dict[str, Any] | None
    reason: str
    requests: int | None


RETRY_AFTER_S = 6  # longer than a turn waits for a retry and than the cool-down
FAULTS = {
    "server down (connection refused)": Fault(None, "connection refused", None),
    # A timeout costs the turn one wait: no retry, no second call (the breaker opens at once).
    "slower than the timeout": Fault({"fault": "slow", "delay_s": 60}, "timeout", 1),
    "429 storm without Retry-After": Fault({"fault": "status", "status": 429}, "rate limited", 4),
    "429 storm with a short Retry-After": Fault(
        {"fault": "status", "status": 429, "retry_after": "1"}, "rate limited", 4
    ),
    # A long Retry-After is not slept out in the turn: it holds the breaker open as long as asked.
    "429 storm with a long Retry-After": Fault(
        {"fault": "status", "status": 429, "retry_after": str(RETRY_AFTER_S)}, "asked to wait 6 s", 1
    ),
    "500s": Fault({"fault": "status", "status": 500}, "server error 500", 4),
    "body cut short": Fault({"fault": "truncated"}, "cut short", 4),
    "chunked body cut short": Fault({"fault": "truncated_chunked"}, "cut short", 4),
    # A reply that is no chat completion will not become one on a retry.
    "invalid JSON": Fault({"fault": "invalid_json"}, "not a chat completion", 2),
}


def break_server(app: Running, fault: Fault, *, hold_next: bool) -> None:
    if fault.plan is None:
        app.server.stop()
    else:
        app.server.plan(**fault.plan, hold_next=hold_next and fault.plan["fault"] != "slow")


def keep_question(client: Client) -> str:
    """A request that needs no LLM: keep a question in the journal."""
    table = {"headers": ["Question"], "data": [[LLM_QUESTIONS[0]]]}
    return str(value(client.predict(table, api_name="/keep_questions")))


@pytest.mark.parametrize("fault", FAULTS.values(), ids=FAULTS.keys())
def test_each_fault_falls_back_opens_the_breaker_and_recovers(app: Running, fault: Fault) -> None:
    first, second = Client(app.url, verbose=False), Client(app.url, verbose=False)
    break_server(app, fault, hold_next=True)

    # A second person is served while the first one's turn waits on the broken server (a stopped server
    # refuses at once, so there the turn has nothing to wait on).
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(chat_turn, first)
        if fault.plan is not None:
            wait_for(lambda: app.server.stats().held == 1, TIMEOUT_S, "the first request to be held")
        assert keep_question(second).startswith("Kept 1")
        if fault.plan is not None:
            assert not waiting.done(), "the second person was served while the first turn waited"
            app.server.release()
        turn = waiting.result(timeout=120)

    # The turn fell back to the offline coach and says why.
    assert turn.questions and not set(turn.questions) & set(LLM_QUESTIONS)
    assert OFFLINE_NOTE in turn.notices[0] and fault.reason in turn.notices[0], turn.notices
    if fault.requests is not None:
        assert app.server.stats().chat_requests == fault.requests
    if fault.plan is not None and float(fault.plan.get("retry_after", 0)) > COOLDOWN_S:
        assert app.breaker.retry_after() > COOLDOWN_S, "the breaker holds off as long as the server asked"
    # Repeated failures (the step, then the re-ranking) opened the breaker: the next turn skips the LLM at
    # once, and no request reaches the server.
    assert app.breaker.state is BreakerState.open
    sent = app.server.stats().chat_requests if fault.plan is not None else 0
    skipped = chat_turn(second, "I'd like to learn how pricing decisions are made")
    assert app.breaker.state is BreakerState.open, "cool-down too short for this machine: raise COOLDOWN_S"
    assert "circuit open" in skipped.notices[0] and OFFLINE_NOTE in skipped.notices[0]
    if fault.plan is None:
        app.server.start()
    else:
        assert app.server.stats().chat_requests == sent
    app.server.plan("healthy")

    # After the cool-down one probe goes through, succeeds and closes the breaker: the LLM answers again.
    wait_for(lambda: app.breaker.state is BreakerState.half_open, RETRY_AFTER_S + 30, "the half-open state")
    healed = chat_turn(first)
    assert healed.questions == list(LLM_QUESTIONS) and not any(healed.notices), healed.notices
    assert app.breaker.state is BreakerState.closed


def resources() -> tuple[int, int]:
    """This process's threads and open file descriptors (the app, its Gradio server and the clients)."""
    return threading.active_count(), len(os.listdir("/proc/self/fd"))


def test_a_storm_of_failing_turns_leaks_no_threads_fds_or_connections(app: Running) -> None:
    clients = [Client(app.url, verbose=False) for _ in range(4)]
    plans = [fault.plan for fault in FAULTS.values() if fault.plan is not None]

    def one_turn(client: Client) -> None:
        app.breaker.record_success()  # a closed breaker, so that every turn reaches the failing server
        chat_turn(client)

    def storm() -> None:
        """Every fault in turn, four chat turns at once against each."""
        for plan in plans:
            app.server.plan(**plan)
            with ThreadPoolExecutor(len(clients)) as pool:
                list(pool.map(one_turn, clients))
        app.server.plan("healthy")

    storm()  # warm up: Gradio's worker threads, the clients' connections, the LLM client's pool
    threads, fds = resources()
    connections = app.server.stats().open_connections
    sent = app.server.stats().chat_requests
    storm()

    assert app.server.stats().chat_requests - sent >= len(plans) * len(clients), "every turn reached it"
    # Leaks grow with the failed requests (about 50 here); pools and idle workers do not.
    wait_for(
        lambda: resources()[0] <= threads + 2 and resources()[1] <= fds + 4,
        30,
        f"threads and fds back to {threads} and {fds} (now {resources()})",
    )
    assert app.server.stats().open_connections <= max(connections, len(clients))
