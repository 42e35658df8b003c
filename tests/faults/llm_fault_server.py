"""An OpenAI-compatible chat server that misbehaves on demand, run as its own process for fault tests.

It speaks HTTP/1.1 on a raw asyncio socket rather than through uvicorn, so it can do what a broken server or
proxy does at the byte level: cut a body short, stop a chunked body without its last chunk, hold a request
past the client's timeout. Healthy answers are task-aware (the coach's step questions, a re-ranking of the
candidates the prompt lists), so the real app accepts them.

Tests drive it through `FaultServer`, which starts it (`python -m tests.faults.llm_fault_server`), switches
faults and reads its counters over `/_fault/*`: chat requests received, requests held right now, and the
TCP connections the coach has open to it (control connections are not counted). Stopping the process is
the "server down" fault; starting it again on the same port is the recovery.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

from tests.openai_stub import ChatRequest
from tests.rerank_script import ranking_reply, task_of

CHAT_PATH = "/v1/chat/completions"
CONTROL = "/_fault"
REPO = Path(__file__).resolve().parents[2]
# What a healthy server answers to the coach's step: three questions the offline coach never writes.
LLM_QUESTIONS = (
    "Which three numbers does the team look at first each month?",
    "How did the last big forecast miss change the way you plan?",
    "What would you read first to understand how the plan is built?",
)
FAULTS = ("healthy", "slow", "status", "truncated", "truncated_chunked", "invalid_json")


@dataclass
class Plan:
    """How the server answers chat requests from now on.

    `fault` is one of FAULTS; `status` and `retry_after` (a Retry-After header, if any) are for "status";
    `delay_s` is how long "slow" holds each request. With `hold_next`, the next chat request is held until
    `/_fault/release` (or until its client gives up), so a test can act while a turn is in flight.
    """

    fault: str = "healthy"
    status: int = 500
    retry_after: str | None = None
    delay_s: float = 60.0
    hold_next: bool = False


@dataclass
class Counters:
    chat_requests: int = 0
    held: int = 0
    open_connections: int = 0
    connections: int = 0
    disconnected_while_held: int = 0


@dataclass
class _State:
    plan: Plan = field(default_factory=Plan)
    counters: Counters = field(default_factory=Counters)
    release: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class _Connection:
    """One client connection: requests read in turn (keep-alive) and answered by the current plan."""

    def __init__(self, state: _State, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.state = state
        self.reader = reader
        self.writer = writer
        self.control = False

    async def serve(self) -> None:
        counted = False
        try:
            while (request := await _read_request(self.reader)) is not None:
                if not counted and not request.path.startswith(CONTROL):
                    counted = True
                    self.state.counters.open_connections += 1
                    self.state.counters.connections += 1
                if not await self.answer(request):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            if counted:
                self.state.counters.open_connections -= 1
            self.writer.close()

    async def answer(self, request: _Request) -> bool:
        """Answer one request; False when the connection must close afterwards."""
        if request.path.startswith(CONTROL):
            return await self.control_request(request)
        if request.path != CHAT_PATH:
            return await self.send(404, {"error": {"message": f"no route {request.path}", "type": "x"}})
        self.state.counters.chat_requests += 1
        plan = self.state.plan
        if plan.hold_next:
            plan.hold_next = False
            if not await self.hold(None):
                return False
        if plan.fault == "slow" and not await self.hold(plan.delay_s):
            return False
        chat = ChatRequest.from_body(json.loads(request.body or b"{}"))
        body = json.dumps(_completion(chat)).encode()
        if plan.fault == "status":
            headers = {"retry-after": plan.retry_after} if plan.retry_after is not None else {}
            error = {"message": f"Scripted HTTP {plan.status}.", "type": "server_error", "code": None}
            return await self.send(plan.status, {"error": error}, headers)
        if plan.fault == "truncated":
            head = _head(200, {"content-type": "application/json", "content-length": str(len(body))})
            await self.write(head + body[: len(body) // 2])
            return False
        if plan.fault == "truncated_chunked":
            head = _head(200, {"content-type": "application/json", "transfer-encoding": "chunked"})
            half = body[: len(body) // 2]
            await self.write(head + f"{len(half):x}\r\n".encode() + half + b"\r\n")
            return False
        if plan.fault == "invalid_json":
            broken = body[: len(body) // 2] + b"<!-- cut -->"
            return await self.send_bytes(200, broken, "application/json")
        return await self.send_bytes(200, body, "application/json")

    async def hold(self, seconds: float | None) -> bool:
        """Wait for a release (or `seconds`); False if the client hung up meanwhile."""
        counters = self.state.counters
        counters.held += 1
        waits = [asyncio.ensure_future(self.reader.read(1))]
        waits.append(
            asyncio.ensure_future(self.state.release.wait() if seconds is None else asyncio.sleep(seconds))
        )
        try:
            done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            counters.held -= 1
            for wait in waits:
                wait.cancel()
        if waits[0] in done:  # the client sent EOF: it gave up on this request
            counters.disconnected_while_held += 1
            return False
        return True

    async def control_request(self, request: _Request) -> bool:
        state = self.state
        if request.path == f"{CONTROL}/plan" and request.method == "POST":
            state.plan = Plan(**json.loads(request.body))
            state.release = asyncio.Event()
        elif request.path == f"{CONTROL}/release":
            state.release.set()
        elif request.path == f"{CONTROL}/reset":
            state.plan, state.counters.chat_requests = Plan(), 0
            state.release.set()
            state.release = asyncio.Event()
        return await self.send(200, {"plan": asdict(state.plan), "counters": asdict(state.counters)})

    async def send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> bool:
        return await self.send_bytes(status, json.dumps(payload).encode(), "application/json", headers)

    async def send_bytes(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> bool:
        fields = {"content-type": content_type, "content-length": str(len(body)), **(headers or {})}
        await self.write(_head(status, fields) + body)
        return True

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    line = await reader.readline()
    if not line:
        return None
    method, path, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = header.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    body = await reader.readexactly(length) if length else b""
    return _Request(method, path.split("?")[0], headers, body)


def _head(status: int, headers: dict[str, str]) -> bytes:
    lines = [f"HTTP/1.1 {status} Scripted", *(f"{k}: {v}" for k, v in headers.items()), "", ""]
    return "\r\n".join(lines).encode("latin-1")


def _completion(chat: ChatRequest) -> dict[str, Any]:
    """A healthy answer for the coach's tasks: questions for a step, the listed order for a re-ranking."""
    task = task_of(chat)
    if task == "rerank_many":
        content = ranking_reply(chat, lambda ids: ids).content
    else:
        questions = [{"text": text, "why": "", "search_query": ""} for text in LLM_QUESTIONS]
        content = json.dumps({"kind": "questions", "question": "", "choices": [], "questions": questions})
    message = {"role": "assistant", "content": content, "refusal": None}
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": chat.model,
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
    }


async def _main(port: int) -> None:
    state = _State()
    server = await asyncio.start_server(
        lambda r, w: _Connection(state, r, w).serve(), "127.0.0.1", port, reuse_address=True
    )
    print(f"serving on {port}", flush=True)
    async with server:
        await server.serve_forever()


class FaultServer:
    """The fault server as a child process on a fixed loopback port; stop() is the outage, start() the cure."""

    def __init__(self, port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> FaultServer:
        command = [sys.executable, "-m", "tests.faults.llm_fault_server", "--port", str(self.port)]
        with self.log.open("ab") as log:  # the child keeps its own copy
            self._proc = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, cwd=REPO, env=os.environ
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"the fault server exited with {self._proc.returncode}; see {self.log}")
            try:
                self.control("reset")
                return self
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"the fault server did not answer within {timeout:.0f} s; see {self.log}")

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait(timeout=10)
            if self._proc.stdin is not None:
                self._proc.stdin.close()
        self._proc = None

    def control(self, action: str, plan: Plan | None = None) -> Counters:
        """Run a control action ("plan", "release", "reset", "stats") and return the counters after it."""
        body = asdict(plan) if plan is not None else None
        response = httpx.post(f"http://127.0.0.1:{self.port}{CONTROL}/{action}", json=body, timeout=5)
        response.raise_for_status()
        return Counters(**response.json()["counters"])

    def plan(self, fault: str = "healthy", **options: Any) -> None:
        self.control("plan", Plan(fault=fault, **options))

    def stats(self) -> Counters:
        return self.control("stats")

    def release(self) -> None:
        self.control("release")

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _exit_with_parent() -> None:
    """Exit when stdin closes: a test run that is killed never leaves its server behind."""
    sys.stdin.read()
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    asyncio.run(_main(parser.parse_args(argv).port))


if __name__ == "__main__":
    main()
