"""Index generations: readers never see a deleted one, writes never block reads, old ones are collected."""

from __future__ import annotations

import stat
import threading
import time
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from coach.errors import ProfileError
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.generations import Generations
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile

QUESTIONS = ["pricing strategy", "incident postmortems", "GDPR privacy", "public speaking", "title P&L"]


def people(n: int, tag: str = "p") -> list[ExpertProfile]:
    skills = ["pricing strategy", "incident response", "GDPR", "public speaking", "title P&L", "hiring"]
    return [
        ExpertProfile(
            id=f"{tag}{i}",
            name=f"Person {tag}{i}",
            title=f"Lead {i}",
            department=["Finance", "Engineering", "Legal"][i % 3],
            expertise=[skills[i % len(skills)], skills[(i + 1) % len(skills)]],
            bio=f"Works on {skills[i % len(skills)]} for team {i}.",
        )
        for i in range(n)
    ]


def test_searches_in_threads_never_fail_while_imports_swap_generations(tmp_path: Path) -> None:
    """Failed before: a search holding the old collection raised NotFoundError once an import deleted it."""
    errors: list[BaseException] = []
    stop = threading.Event()
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as index:
        index.upsert(people(40))

        def search() -> None:
            i = 0
            while not stop.is_set():
                try:
                    assert index.search(QUESTIONS[i % len(QUESTIONS)], k=3)
                except BaseException as exc:
                    errors.append(exc)
                i += 1

        readers = [threading.Thread(target=search) for _ in range(4)]
        for reader in readers:
            reader.start()
        try:
            for round_ in range(15):
                index.upsert(people(40 + round_, tag=f"r{round_}-"), replace=True)
        finally:
            stop.set()
            for reader in readers:
                reader.join(timeout=60)
        assert errors == []
        assert index.count() == 54


def test_a_long_import_does_not_block_searches(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as index:
        index.upsert(people(50))
        done_during: list[float] = []
        importing = threading.Event()
        finished = threading.Event()

        def long_import() -> None:
            def tick(done: int, total: int) -> None:
                importing.set()
                time.sleep(0.3)  # a slow embedding service, per batch

            index.upsert(people(4000, tag="big"), progress=tick)
            finished.set()

        writer = threading.Thread(target=long_import)
        writer.start()
        assert importing.wait(60)
        while not finished.is_set():
            assert index.search("pricing strategy", k=3)
            if not finished.is_set():
                done_during.append(time.monotonic())
        writer.join()
        assert len(done_during) >= 5, "searches kept completing while the import ran"
        assert index.count() == 4050


def test_replacing_with_nothing_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as index:
        index.upsert(people(5))
        with pytest.raises(ProfileError, match="Nothing was changed"):
            index.upsert([], replace=True)
        assert index.count() == 5


def _vector_folders(chroma_dir: Path) -> set[str]:
    return {p.name for p in chroma_dir.iterdir() if p.is_dir()}


def test_old_generations_and_their_folders_are_reclaimed(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path, OfflineEmbedding()) as index:
        for round_ in range(4):
            index.upsert(people(30, tag=f"r{round_}-"), replace=True)
        collections = [c.name for c in index._client.list_collections() if c.name.startswith("experts-")]
        assert len(collections) == 1, collections
        assert len(_vector_folders(tmp_path / "chroma")) == 1


def test_index_files_are_private(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path / "data", OfflineEmbedding()) as index:
        index.upsert(people(3))
    data = tmp_path / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "index.lock").stat().st_mode) == 0o600
    for path in (data / "chroma").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) == (0o700 if path.is_dir() else 0o600), path


def test_an_index_written_by_the_previous_layout_is_adopted(tmp_path: Path) -> None:
    """Data directories from before the pointer: complete collections named experts-...-gN."""
    from vectorstore.records import record_metadata as _metadata

    client = chromadb.PersistentClient(
        path=str(tmp_path / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    embedding = OfflineEmbedding()
    old = client.create_collection(
        f"experts-{embedding.key}-g3".replace("_", "-"),
        embedding_function=embedding,  # type: ignore[arg-type]
        metadata={"complete": True, "embedding": embedding.key, "generation": 3},
        configuration={"hnsw": {"space": "cosine"}},
    )
    profile = people(1)[0]
    old.add(ids=[profile.id], embeddings=embedding([profile.search_text()]), metadatas=[_metadata(profile)])
    del client
    with ExpertIndex.open(tmp_path, embedding) as index:
        assert index.initialised
        assert [p.id for p in index.profiles()] == [profile.id]
        index.upsert(people(2))
        assert index.count() == 2


# --- several processes on one store: the policy of `shared=True`, on an embedded client for speed


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_shared_mode_keeps_a_retired_generation_for_its_grace(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    clock = Clock()
    gens = Generations(client, shared=True, grace_s=600, clock=clock)
    embedding = OfflineEmbedding()
    first = gens.begin(embedding.key, 1, embedding)
    assert gens.publish(first, None, embedding.key)
    second = gens.begin(embedding.key, 2, embedding)
    assert gens.publish(second, first.name, embedding.key)
    assert not gens.publish(gens.begin(embedding.key, 2, embedding), first.name, embedding.key), (
        "a publish over a generation that is no longer current loses"
    )
    clock.now += 599
    assert first.name not in gens.collect(), "another process may still read it"
    clock.now += 2
    assert first.name in gens.collect()


def test_shared_mode_never_deletes_a_live_builders_generation(tmp_path: Path) -> None:
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    clock = Clock()
    embedding = OfflineEmbedding()
    builder = Generations(client, shared=True, clock=clock)
    building = builder.begin(embedding.key, 1, embedding)
    starting = Generations(client, shared=True, clock=clock)  # another process, starting up
    assert starting.collect() == []
    meta = dict(building.metadata or {})
    building.modify(metadata={**meta, "owner": "this-host-never:1"})  # a builder elsewhere ...
    clock.now += 3600  # ... that stopped sending heartbeats an hour ago
    assert starting.collect() == [building.name]


def test_two_writers_on_one_store_both_land(tmp_path: Path) -> None:
    """Another process publishes while this one builds: this publish loses, then rebuilds on top of it."""
    client = chromadb.PersistentClient(
        path=str(tmp_path), settings=ChromaSettings(anonymized_telemetry=False)
    )
    a = ExpertIndex(client, OfflineEmbedding(), shared=True)
    a.upsert(people(3, tag="base"))
    b = ExpertIndex(client, OfflineEmbedding(), shared=True)
    interleaved: list[int] = []

    def meanwhile(done: int, total: int) -> None:
        if not interleaved:
            interleaved.append(done)
            a.upsert(people(2, tag="a"))

    b.upsert(people(2, tag="b"), progress=meanwhile)
    assert interleaved
    c = ExpertIndex(client, OfflineEmbedding(), shared=True)
    assert {p.id for p in c.profiles()} == {"base0", "base1", "base2", "a0", "a1", "b0", "b1"}


def test_the_stem_cache_is_bounded() -> None:
    """Failed before: an unbounded cache kept every distinct query word (785k entries, 251 MB)."""
    from vectorstore.analysis import stem

    for i in range(70_000):
        stem(f"word{i}x")
    info = stem.cache_info()
    assert info.maxsize is not None and info.currsize <= info.maxsize
