"""The Chroma server stops mid-session and comes back: clear errors meanwhile, recovery without a restart.

With the offline default, ranking happens in memory, so searches keep answering while the server is down;
what needs the server (imports, a process starting, searches with a dense embedding) fails with an error
that names the server and says what to do, and works again as soon as the server is back.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest
from gradio_client import Client
from gradio_client.exceptions import AppError

from coach.config import load_settings
from coach.errors import IndexUnavailableError
from coach.models import LearningQuestion
from coach.runtime import build_service, open_index, open_journal
from coach.service import CoachService
from coach.web.app import build_ui, launch
from coach.web.history import content_text
from tests.chroma_server import ChromaServer
from tests.conftest import FIXTURES, REPO, free_port
from tests.openai_stub import OpenAIStub
from vectorstore.embeddings import OpenAICompatibleEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.profiles import load_profiles

pytestmark = [pytest.mark.server, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]
WISH = "I want to understand how our finance team forecasts revenue"
ASK = LearningQuestion(text="How does the finance team build the revenue forecast?", why="to test")


def cli(url: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("coach")), *args],
        cwd=REPO,
        env={**os.environ, "COACH_CHROMA_URL": url, "COACH_DATA_DIR": str(data_dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def chat_reply(client: Client) -> str:
    """Run the coach to its questions and people; the text of the last reply, or the error shown."""
    history: list[object] = []
    for text in (WISH, "forecasting", "the numbers"):
        try:
            history, *_ = client.predict(text, history, api_name="/chat")
        except AppError as exc:  # shown to the user as an error toast
            return str(exc)
        last = content_text(history[-1])  # type: ignore[index]
        if "not answering" in last or "1." in last:
            return last
    return content_text(history[-1])  # type: ignore[index]


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[ChromaServer, CoachService, Client]]:
    server = ChromaServer(tmp_path / "chroma")
    server.start()
    settings = load_settings(
        data_dir=tmp_path / "app", chroma_url=server.url, host="127.0.0.1", port=free_port()
    )
    index = open_index(settings)
    journal = open_journal(settings)
    service = build_service(settings, index, journal)
    demo = build_ui(service, settings, "Offline coach")
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield server, service, Client(url, verbose=False)
    finally:
        demo.close()
        journal.close()
        index.close()
        server.stop()


def test_a_stopped_chroma_server_gives_clear_errors_and_the_app_recovers_by_itself(
    running: tuple[ChromaServer, CoachService, Client], tmp_path: Path
) -> None:
    """Offline default: searches rank in memory, so they keep answering; writes and new processes fail clearly."""
    server, service, client = running
    assert service.match([ASK])[0].matches
    assert "not answering" not in chat_reply(client)
    count = service.index.count()

    server.stop()
    time.sleep(2.5)  # past the pointer refresh: the app notices the server is gone and keeps serving
    assert service.match([ASK])[0].matches, "searches keep answering from the loaded generation"
    assert "not answering" not in chat_reply(client)
    started = time.monotonic()
    with pytest.raises(IndexUnavailableError, match=f"Chroma server at {server.url} is not answering"):
        service.index.upsert(load_profiles(FIXTURES / "org_small.csv").profiles)
    assert time.monotonic() - started < 10, "the error comes at once, not after a hang"
    assert service.index.count() == count, "profiles already loaded stay readable"
    for args in (("search", "revenue forecast"), ("index", str(FIXTURES / "org_small.csv"))):
        result = cli(server.url, tmp_path / "cli", *args)
        assert result.returncode == 2, result.stderr
        assert result.stderr.startswith(f"Error: The Chroma server at {server.url} is not answering")
        assert "Traceback" not in result.stderr

    server.start()  # same port, same data: no restart of the app
    assert service.match([ASK])[0].matches
    assert "not answering" not in chat_reply(client)
    result = cli(server.url, tmp_path / "cli", "index", str(FIXTURES / "org_small.csv"))
    assert result.returncode == 0, result.stderr
    deadline = time.monotonic() + 10
    while service.index.get("al-001") is None and time.monotonic() < deadline:
        time.sleep(0.2)  # the app follows the pointer within REFRESH_S
    assert service.index.get("al-001") is not None


def test_searches_that_query_the_server_fail_clearly_and_recover(
    tmp_path: Path, openai_stub: OpenAIStub
) -> None:
    """A dense embedding (here any OpenAI-compatible one) queries Chroma on every search."""
    embedding = OpenAICompatibleEmbedding(model="stub-embed", base_url=openai_stub.base_url, api_key="test")
    with ChromaServer(tmp_path / "chroma") as server:
        index = ExpertIndex.open(None, embedding, chroma_url=server.url)
        index.upsert(load_profiles(FIXTURES / "org_small.csv").profiles)
        question = "Who owns revenue recognition for multi-year contracts?"
        assert index.search(question, k=3)
        server.stop()
        started = time.monotonic()
        with pytest.raises(IndexUnavailableError, match=f"Chroma server at {server.url} is not answering"):
            index.search(question, k=3)
        assert time.monotonic() - started < 10
        server.start()
        assert index.search(question, k=3), "the same index object works again once the server answers"
