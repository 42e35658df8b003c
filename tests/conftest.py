"""Shared fixtures: no network but loopback, isolated state, real servers started on demand."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.openai_stub import OpenAIStub
from tests.servers import PostgresServer

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ["ANONYMIZED_TELEMETRY"] = "False"
os.environ["HF_HUB_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


class NetworkBlocked(RuntimeError):
    """A test tried to reach a host other than this machine."""


def _is_loopback(address: object) -> bool:
    if isinstance(address, str | bytes):  # AF_UNIX path
        return True
    host = str(address[0]) if isinstance(address, tuple) else str(address)  # type: ignore[index]
    if host in {"localhost", ""}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: object) -> None:
    if not _is_loopback(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}; only loopback is allowed")
    _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    if not _is_loopback(address):
        raise NetworkBlocked(f"test tried to connect to {address!r}; only loopback is allowed")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True, scope="session")
def _block_network() -> Iterator[None]:
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _isolated_state(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own COACH_DATA_DIR and no LLM configuration unless it sets one."""
    data_dir = tmp_path_factory.mktemp("coach-data")
    monkeypatch.setenv("COACH_DATA_DIR", str(data_dir))
    for name in list(os.environ):
        if name.startswith("OPENAI_") or (name.startswith("COACH_") and name != "COACH_DATA_DIR"):
            monkeypatch.delenv(name, raising=False)
    return data_dir


@pytest.fixture
def data_dir(_isolated_state: Path) -> Path:
    return _isolated_state


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def openai_stub() -> Iterator[OpenAIStub]:
    """A real OpenAI-compatible HTTP server on loopback, scripted per test."""
    with OpenAIStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def shared_stub() -> Iterator[OpenAIStub]:
    with OpenAIStub() as server:
        yield server


@pytest.fixture
def stub(shared_stub: OpenAIStub) -> OpenAIStub:
    """One server for the module (a restart costs ~0.2 s), reset to its constructor state per test."""
    shared_stub.reset()
    return shared_stub


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the session (the OS's binaries, on loopback); tests make databases."""
    server = PostgresServer().start()
    yield server
    server.stop("immediate")


@pytest.fixture
def postgres_url(postgres: PostgresServer) -> str:
    """An empty database on the session's PostgreSQL server (emptied per test: faster than a new one)."""
    return postgres.empty_database("coach_tests")
