"""The expert index on a real Chroma: embedded on a temp dir, and a real `chroma run` server."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from coach.errors import IndexBusyError, IndexStateError
from tests.conftest import free_port
from vectorstore.embeddings import OfflineEmbedding, OpenAICompatibleEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import Availability, ExpertProfile, SearchFilters

ORG = [
    ExpertProfile(
        id="fin",
        name="Sam Okafor",
        title="Finance Business Partner",
        department="Finance",
        location="London",
        expertise=["title P&L", "advance modelling", "budgeting"],
        bio="Builds the title P&L models used in acquisition meetings.",
        languages=["English"],
    ),
    ExpertProfile(
        id="price",
        name="Ana Ruiz",
        title="Pricing Lead",
        department="Product",
        location="Madrid",
        expertise=["pricing strategy", "packaging", "SaaS pricing"],
        bio="Sets list prices and discounts for our subscription plans.",
        languages=["Spanish", "English"],
    ),
    ExpertProfile(
        id="sre",
        name="Jonas Weber",
        title="SRE Lead",
        department="Engineering",
        location="Berlin",
        expertise=["incident response", "postmortems", "on-call"],
        bio="Runs the incident review and the on-call rota.",
        languages=["German", "English"],
    ),
    ExpertProfile(
        id="legal",
        name="Priya Nair",
        title="Privacy Counsel",
        department="Legal",
        location="London",
        expertise=["GDPR", "data privacy", "contracts"],
        availability=Availability.limited,
        languages=["English", "Hindi"],
    ),
    ExpertProfile(
        id="talk",
        name="Maya Chen",
        title="Communications Director",
        department="Marketing",
        location="New York",
        expertise=["public speaking", "presentations", "storytelling"],
        bio="Coaches executives before keynotes.",
        availability=Availability.unavailable,
    ),
]


@pytest.fixture
def index(tmp_path: Path) -> Iterator[ExpertIndex]:
    with ExpertIndex.open(tmp_path / "data", OfflineEmbedding()) as idx:
        idx.upsert(ORG)
        yield idx


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How should I price a SaaS subscription plan?", "price"),
        ("How do we run incident postmortems?", "sre"),
        ("Who can explain GDPR and data privacy rules?", "legal"),
        ("I want to get better at public speaking", "talk"),
        ("What goes into a title P&L model?", "fin"),
    ],
)
def test_search_finds_the_obvious_expert_with_evidence(
    index: ExpertIndex, question: str, expected: str
) -> None:
    [top, *_] = index.search(question, k=3)
    assert top.profile.id == expected
    assert top.evidence, "a match always says why"
    assert top.score > 0


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (SearchFilters(location="london"), {"fin", "legal"}),
        (SearchFilters(language="Spanish"), {"price"}),
        (SearchFilters(department="engineering"), {"sre"}),
        (SearchFilters(availability=[Availability.open]), {"fin", "price", "sre"}),
        (SearchFilters(availability=[Availability.open], location="London"), {"fin"}),
        (SearchFilters(language="Klingon"), set()),
    ],
)
def test_filters_restrict_results(index: ExpertIndex, filters: SearchFilters, allowed: set[str]) -> None:
    ids = {
        m.profile.id
        for m in index.search("pricing incidents privacy speaking budgets", k=10, filters=filters)
    }
    assert ids <= allowed
    assert ids == allowed, "every allowed profile is still rankable"


def test_reindexing_is_idempotent_and_reports_changes(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        first = idx.upsert(ORG)
        assert first.counts() == {"added": 5, "updated": 0, "unchanged": 0, "removed": 0}
        before = [m.profile.id for m in idx.search("pricing", k=5)]
        again = idx.upsert(ORG)
        assert again.counts() == {"added": 0, "updated": 0, "unchanged": 5, "removed": 0}
        changed = ORG[0].model_copy(update={"title": "Head of FP&A"})
        third = idx.upsert([changed])
        assert (third.updated, third.unchanged) == (["fin"], [])
        assert idx.get("fin").title == "Head of FP&A"  # type: ignore[union-attr]
        assert idx.count() == 5
        assert [m.profile.id for m in idx.search("pricing", k=5)] == before
        replaced = idx.upsert(ORG[:2], replace=True, keep={"sre"})
        assert sorted(replaced.removed) == ["legal", "talk"]
        assert {p.id for p in idx.profiles()} == {"fin", "price", "sre"}


def test_the_index_survives_reopening(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        idx.upsert(ORG)
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        assert idx.count() == 5
        assert idx.search("postmortems", k=1)[0].profile.id == "sre"


def test_a_failed_write_changes_nothing(tmp_path: Path) -> None:
    class Exploding(OfflineEmbedding):
        calls = 0

        def __call__(self, input):  # type: ignore[no-untyped-def]
            type(self).calls += 1
            if type(self).calls > 1:
                raise RuntimeError("disk full")
            return super().__call__(input)

    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        idx.upsert(ORG[:2])
    with ExpertIndex.open(tmp_path, Exploding()) as idx:
        many = [ORG[2].model_copy(update={"id": f"x{i}"}) for i in range(1500)]  # two batches
        with pytest.raises(IndexStateError, match="nothing was changed"):
            idx.upsert(many)
        assert {p.id for p in idx.profiles()} == {"fin", "price"}
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        assert {p.id for p in idx.profiles()} == {"fin", "price"}


def test_switching_embeddings_reindexes_instead_of_mixing(tmp_path: Path, openai_stub) -> None:  # type: ignore[no-untyped-def]
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        idx.upsert(ORG)
    remote = OpenAICompatibleEmbedding(model="stub-embed", base_url=openai_stub.base_url, api_key="test")
    with ExpertIndex.open(tmp_path, remote) as idx:
        assert idx.embedding_key == "openai-stub-embed"
        assert idx.count() == 5
        assert len(idx.search("pricing", k=5)) == 5
    embedded = [r for r in openai_stub.requests if r.path.endswith("/embeddings")]
    assert embedded, "profiles were re-embedded with the new embedding"
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        assert idx.count() == 5 and idx.search("postmortems", k=1)[0].profile.id == "sre"


SECOND_OPENER = """
import sys
from pathlib import Path
from coach.errors import IndexBusyError
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
try:
    ExpertIndex.open(Path(sys.argv[1]), OfflineEmbedding())
except IndexBusyError as exc:
    print("BUSY", exc)
    sys.exit(7)
print("OPENED")
"""


def test_a_second_process_fails_fast_instead_of_corrupting(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as idx:
        idx.upsert(ORG[:1])
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-c", SECOND_OPENER, str(tmp_path)], capture_output=True, text=True, timeout=60
        )
        assert proc.returncode == 7, proc.stderr
        assert "COACH_CHROMA_URL" in proc.stdout
        assert time.monotonic() - started < 30
    proc = subprocess.run(
        [sys.executable, "-c", SECOND_OPENER, str(tmp_path)], capture_output=True, text=True
    )
    assert proc.stdout.startswith("OPENED"), "the lock is released on close"


def test_same_process_second_open_is_refused(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()), pytest.raises(IndexBusyError):
        ExpertIndex.open(tmp_path, OfflineEmbedding())


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    path = tmp_path_factory.mktemp("chroma-server")
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen(
        [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            pytest.fail("chroma run did not start within 60 s")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.server
def test_client_server_path_against_a_real_chroma_run(chroma_server: str) -> None:
    first = ExpertIndex.open(None, OfflineEmbedding(), chroma_url=chroma_server)
    first.upsert(ORG)
    second = ExpertIndex.open(
        None, OfflineEmbedding(), chroma_url=chroma_server
    )  # no lock: the server serialises
    assert second.count() == 5
    assert second.search("GDPR privacy", k=1)[0].profile.id == "legal"
    assert (
        first.search("Spanish pricing", k=2, filters=SearchFilters(language="spanish"))[0].profile.id
        == "price"
    )
