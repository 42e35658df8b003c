"""Chroma's failures as the app's errors: a stopped server, a full disk, a generation deleted under a reader."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from chromadb.errors import ChromaError, NotFoundError

from coach.errors import CoachError, IndexStateError, IndexUnavailableError

_DISK_FULL = ("disk is full", "no space left", "database or disk is full", "file too large")


class GenerationGone(IndexStateError):
    """The generation a reader held was deleted; the reader reloads the pointer and tries again."""


@contextmanager
def chroma_failures(where: str) -> Iterator[None]:
    """Turn what Chroma or its transport raises into a CoachError that says what to do."""
    try:
        yield
    except CoachError:
        raise
    except Exception as exc:
        error = as_coach_error(exc, where)
        if error is None:
            raise
        raise error from exc


def as_coach_error(exc: BaseException, where: str) -> CoachError | None:
    """The CoachError for a failure of the index's storage, or None when it is not one (a bug: re-raise)."""
    if isinstance(exc, CoachError):
        return exc
    if isinstance(exc, NotFoundError):
        return GenerationGone(f"The index changed while it was being read ({exc}); try again.")
    if isinstance(exc, httpx.HTTPError | ConnectionError | TimeoutError):
        return IndexUnavailableError(
            f"The Chroma server at {where} is not answering ({exc}). Start it again (chroma run --path "
            "DIR --port N); searches and imports work again as soon as it answers, without a restart."
        )
    if is_disk_full(exc):
        return disk_full(where)
    if isinstance(exc, OSError | ChromaError):
        return IndexStateError(f"The index at {where} failed: {exc}")
    return None


def disk_full(where: str, detail: str = "") -> IndexUnavailableError:
    """The error for an import that does not fit on the index's disk."""
    return IndexUnavailableError(
        f"The disk holding the index ({where}) is full{detail} (or a file would pass the file-size limit, "
        "ulimit -f): free some space, then import again. Nothing stored before was lost and searches keep working."
    )


def is_disk_full(exc: BaseException) -> bool:
    """True for a write that failed for lack of space (or a file-size limit), when the error says so."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = str(exc).casefold()
    return any(marker in text for marker in _DISK_FULL)
