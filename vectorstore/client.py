"""Connecting to Chroma: an embedded store that one process owns (a directory lock), or a `chroma run` server."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlparse

import chromadb
import httpx
from chromadb.api import ClientAPI
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from coach.errors import IndexBusyError, IndexStateError, IndexUnavailableError


def open_client(data_dir: Path | None, chroma_url: str | None) -> tuple[ClientAPI, FileLock | None]:
    """An HttpClient for a server URL, else an embedded PersistentClient that this process owns."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        try:
            client = chromadb.HttpClient(
                host=url.hostname or "localhost",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=settings,
            )
        except (ValueError, httpx.HTTPError) as exc:  # chromadb says "Could not connect" as a ValueError
            raise IndexUnavailableError(
                f"The Chroma server at {chroma_url} is not answering ({exc}). Start it (chroma run --path "
                "DIR --port N), or unset COACH_CHROMA_URL to use the embedded index."
            ) from exc
        return client, None
    if data_dir is None:
        raise IndexStateError("Give a data directory (COACH_DATA_DIR) or a Chroma server (COACH_CHROMA_URL)")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    lock = FileLock(data_dir / "index.lock", timeout=0, mode=0o600)
    try:
        lock.acquire()
    except Timeout:
        raise IndexBusyError(
            f"Another coach process is using the index in {data_dir}. Stop it, point COACH_DATA_DIR "
            "elsewhere, or share one index through a server: chroma run --path DIR, then COACH_CHROMA_URL."
        ) from None
    chroma_dir = data_dir / "chroma"
    chroma_dir.mkdir(mode=0o700, exist_ok=True)
    return chromadb.PersistentClient(path=str(chroma_dir), settings=settings), lock
