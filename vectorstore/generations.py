"""Index generations: immutable collections, a pointer every process reads, and when old ones may go.

Every import builds a complete new collection (a *generation*) and then moves a small pointer to it; a
search reads one generation from start to end. Three rules keep readers safe:

- Within a process, a search *leases* the generation it reads; nothing leased is deleted.
- Across processes (a shared `chroma run` server), a retired generation is kept for `grace_s` after the
  pointer moved away from it. A reader checks the pointer at most every `refresh_s` and then loads the new
  generation while still searching the old one, so it holds a retired generation for refresh_s plus one
  load plus one search: seconds. The default grace of 10 minutes covers that with a wide margin (a 100k
  index loads in well under a minute here), and a search that still meets a deleted generation reloads
  and retries once instead of failing.
- A collection still being built is never deleted by another process while its builder lives: it names its
  owner (host, pid) and refreshes a heartbeat per batch. Embedded, the data directory's lock already
  proves the builder is gone; with a server, a builder on this host whose pid is gone, or whose heartbeat
  is older than `stale_s`, is abandoned.

The pointer is the metadata of one collection (`coach-index-pointer`); Chroma metadata is what every
process can read without the optional journal database. Moving it happens under a short mutex made of a
collection that only one creator can create (Chroma's unique names), so two imports that finish at the
same moment cannot overwrite each other: the loser rebuilds on the winner's generation.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.errors import ChromaError, NotFoundError

from coach.errors import IndexStateError
from vectorstore.disk import reclaim_folders, vector_folders
from vectorstore.failures import is_disk_full

log = logging.getLogger(__name__)

PREFIX = "experts"
POINTER = "coach-index-pointer"
MUTEX = "coach-index-publish"
GRACE_S = 600.0
STALE_S = 900.0
MUTEX_STALE_S = 30.0
MUTEX_WAIT_S = 20.0


@dataclass(frozen=True)
class Pointer:
    """Which generation is current, since when, and which retired ones may still be read elsewhere."""

    current: str
    generation: int
    embedding: str
    switched_at: float
    retired: dict[str, float]


class Generations:
    """Creates, publishes, leases and collects the index's collections on one Chroma client."""

    def __init__(
        self,
        client: ClientAPI,
        *,
        shared: bool,
        chroma_dir: Path | None = None,
        grace_s: float = GRACE_S,
        stale_s: float = STALE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._shared = shared
        self._chroma_dir = chroma_dir
        self._grace_s = grace_s
        self._stale_s = max(stale_s, grace_s)  # a retired generation never looks stale before its grace
        self._clock = clock
        self._mutex = threading.Lock()
        self._leases: Counter[str] = Counter()
        self._doomed: set[str] = set()  # retired here, deleted when the last local reader lets go
        self._building: set[str] = set()

    # --- reading the pointer

    def pointer(self) -> Pointer | None:
        """The current pointer, or None when nothing was ever published (a never-initialised index)."""
        try:
            meta = self._client.get_collection(POINTER, embedding_function=None).metadata or {}
        except NotFoundError:
            return None
        if not meta.get("current"):
            return None
        try:
            retired = {str(k): float(v) for k, v in json.loads(str(meta.get("retired") or "{}")).items()}
        except (ValueError, AttributeError):
            retired = {}
        return Pointer(
            current=str(meta["current"]),
            generation=int(meta.get("generation") or 0),
            embedding=str(meta.get("embedding") or ""),
            switched_at=float(meta.get("switched_at") or 0.0),
            retired=retired,
        )

    def legacy(self) -> list[ChromaCollection]:
        """Complete collections written before the pointer existed (oldest layout), newest last."""
        done = [c for c in self._generations() if (c.metadata or {}).get("complete")]
        return sorted(done, key=lambda c: int((c.metadata or {}).get("generation") or 0))

    def _generations(self) -> list[ChromaCollection]:
        return [c for c in self._client.list_collections() if c.name.startswith(f"{PREFIX}-")]

    # --- building and publishing

    def begin(self, embedding_key: str, generation: int, embedding: Any) -> ChromaCollection:
        """A new, empty collection that only this builder writes, marked with its owner and a heartbeat."""
        name = f"{PREFIX}-{_slug(embedding_key)}-g{generation}-{os.urandom(3).hex()}"
        collection = self._client.create_collection(
            name,
            embedding_function=embedding,
            metadata=self._building_meta(embedding_key, generation),
            configuration={"hnsw": {"space": "cosine"}},
        )
        self._building.add(name)
        return collection

    def heartbeat(self, collection: ChromaCollection) -> None:
        """Tell other processes this build is alive (with a server; embedded, the lock says so)."""
        if self._shared:
            meta = dict(collection.metadata or {})
            collection.modify(metadata={**meta, "heartbeat": self._clock()})

    def abandon(self, collection: ChromaCollection) -> None:
        """Delete a build that failed or lost a race; ignore it if it is gone already."""
        self._building.discard(collection.name)
        self._delete(collection.name)

    def publish(self, collection: ChromaCollection, base: str | None, embedding_key: str) -> bool:
        """Point every process at `collection` if the pointer still names `base`; False if it moved."""
        with self._publish_mutex():
            pointer = self.pointer()
            if (pointer.current if pointer else None) != base:
                return False
            now = self._clock()
            retired = dict(pointer.retired) if pointer else {}
            if base is not None:
                retired[base] = now
            existing = {c.name for c in self._generations()}
            retired = {name: at for name, at in retired.items() if name in existing}
            meta = collection.metadata or {}
            record = {
                "current": collection.name,
                "generation": int(meta.get("generation") or 0),
                "embedding": embedding_key,
                "switched_at": now,
                "retired": json.dumps(retired),
            }
            self._client.get_or_create_collection(POINTER, embedding_function=None).modify(metadata=record)
        self._building.discard(collection.name)
        if base is not None and not self._shared:
            with self._mutex:
                self._doomed.add(base)
        return True

    @contextmanager
    def _publish_mutex(self) -> Iterator[None]:
        deadline = time.monotonic() + MUTEX_WAIT_S
        while True:
            try:
                self._client.create_collection(
                    MUTEX, embedding_function=None, metadata={"at": self._clock(), "owner": _owner()}
                )
                break
            except ChromaError:
                held_since = self._mutex_since()
                if held_since is None:
                    raise  # not taken by anyone: creating it failed for another reason (a full disk ...)
                if not self._shared or self._clock() - held_since > MUTEX_STALE_S:
                    # embedded, this process's writes are serialised, so a held mutex was left by a crash
                    log.warning("breaking a publish lock left by a stopped process")
                    self._delete(MUTEX)
                elif time.monotonic() > deadline:
                    raise IndexStateError(
                        "Another process is switching the index and did not finish within "
                        f"{MUTEX_WAIT_S:.0f} s; run the import again."
                    ) from None
                else:
                    time.sleep(0.05)
                if time.monotonic() > deadline:
                    raise IndexStateError(
                        "Could not take the index's publish lock; run the import again."
                    ) from None
        try:
            yield
        finally:
            self._delete(MUTEX)

    def _mutex_since(self) -> float | None:
        """When the publish mutex was taken, or None when nobody holds it."""
        try:
            meta = self._client.get_collection(MUTEX, embedding_function=None).metadata or {}
        except NotFoundError:
            return None
        return float(meta.get("at") or 0.0)

    # --- readers

    @contextmanager
    def lease(self, name: str | None) -> Iterator[None]:
        """Hold generation `name` for one read: it is not deleted here until released."""
        if name is None:
            yield
            return
        with self._mutex:
            self._leases[name] += 1
        try:
            yield
        finally:
            with self._mutex:
                self._leases[name] -= 1
                free = self._leases[name] <= 0
                if free:
                    del self._leases[name]
                drop = free and name in self._doomed
                if drop:
                    self._doomed.discard(name)
            if drop:
                self._delete(name)

    def leased(self, name: str) -> bool:
        with self._mutex:
            return self._leases[name] > 0

    # --- collecting what nobody can read any more

    def collect(self) -> list[str]:
        """Delete generations no reader can hold, and (embedded) folders Chroma left behind; names deleted."""
        pointer = self.pointer()
        now = self._clock()
        deleted: list[str] = []
        for collection in self._generations():
            name = collection.name
            if (pointer and name == pointer.current) or name in self._building or self.leased(name):
                continue
            if self._may_delete(collection.metadata or {}, name, pointer, now) and self._delete(name):
                deleted.append(name)
                with self._mutex:
                    self._doomed.discard(name)
        if not self._shared and self._chroma_dir is not None:
            reclaim_folders(self._chroma_dir)
        return deleted

    def _may_delete(self, meta: dict[str, Any], name: str, pointer: Pointer | None, now: float) -> bool:
        if not self._shared:
            return True  # embedded: the directory lock proves no other process reads or builds here
        if pointer and name in pointer.retired:
            return now - pointer.retired[name] > self._grace_s
        if meta.get("state") == "building":
            if _owner_gone(str(meta.get("owner") or "")):
                return True
            return now - float(meta.get("heartbeat") or 0.0) > self._stale_s
        # an older layout's collection, or one whose retirement was not recorded
        return pointer is not None and now - pointer.switched_at > self._grace_s

    def _delete(self, name: str) -> bool:
        try:
            self._client.delete_collection(name)
        except (NotFoundError, ValueError):
            return False
        except ChromaError as exc:
            if "does not exist" in str(exc):
                return False
            if self._shared or not is_disk_full(exc):
                raise
            # A full disk cannot even record the deletion: free this collection's vector files first.
            if self._chroma_dir is not None:
                for folder in vector_folders(self._chroma_dir, name):
                    shutil.rmtree(folder, ignore_errors=True)
            self._client.delete_collection(name)
        return True

    def _building_meta(self, embedding_key: str, generation: int) -> dict[str, Any]:
        return {
            "state": "building",
            "embedding": embedding_key,
            "generation": generation,
            "owner": _owner(),
            "heartbeat": self._clock(),
        }


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_gone(owner: str) -> bool:
    """True only when the owner ran on this host and its process no longer exists."""
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]
