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
    except NotFoundError as exc:
        raise GenerationGone(f"The index changed while it was being read ({exc}); try again.") from exc
    except (httpx.HTTPError, ConnectionError, TimeoutError) as exc:
        raise IndexUnavailableError(
            f"The Chroma server at {where} is not answering ({exc}). Start it again (chroma run --path "
            "DIR --port N); searches and imports work again as soon as it answers, without a restart."
        ) from exc
    except (OSError, ChromaError) as exc:
        if is_disk_full(exc):
            raise IndexUnavailableError(
                f"The disk holding the index ({where}) is full: free some space, then import again. "
                "Nothing stored before was lost and searches keep working."
            ) from exc
        raise IndexStateError(f"The index at {where} failed: {exc}") from exc


def is_disk_full(exc: BaseException) -> bool:
    """True for a write that failed for lack of space (or a file-size limit), however Chroma words it."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return True
    text = str(exc).casefold()
    return any(marker in text for marker in _DISK_FULL)
