"""Where the web app's files live: one private folder per process, a folder per session, files 0600.

Gradio copies every file a handler returns, and every upload, into its cache. Both the cache and the
session folders sit in one folder per process made by `mkdtemp` (0700), and the files the app writes
are 0600 (Gradio's copies keep that mode), so no other local user can read an agenda, a journal export
or an uploaded profile file. A session's folder goes when its page closes (and stale ones when a new
session starts, with the folders Gradio's sweep leaves empty), Gradio sweeps its cache by age
(`CACHE_SWEEP`), and the whole folder goes at exit.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import tempfile
import threading
import time
from pathlib import Path

from slugify import slugify

from coach.models import Agenda

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
CACHE_SWEEP = (600, 3600)  # Gradio's delete_cache: every 10 minutes, drop cached files older than an hour
SESSION_MAX_AGE_S = 24 * 3600  # a session folder whose page never said goodbye
MAX_NAME_CHARS = 40

_root: Path | None = None
_root_lock = threading.Lock()


def private_root() -> Path:
    """This process's private temp folder, made on first use and removed at exit."""
    global _root
    with _root_lock:
        if _root is None or not _root.is_dir():
            _root = Path(tempfile.mkdtemp(prefix="question-coach-"))
            atexit.register(shutil.rmtree, _root, ignore_errors=True)
        return _root


def use_private_gradio_cache() -> Path:
    """Point Gradio's file cache (uploads and returned files) into the private folder.

    Gradio reads GRADIO_TEMP_DIR when each component is made and when the server starts, so this runs
    before the page is built.
    """
    cache = private_root() / "gradio"
    cache.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(cache)
    return cache


def download_dir(session_hash: str | None) -> Path:
    """A per-session folder in the private folder: downloads never come from the data directory."""
    folder = _session_folder(session_hash)
    if not folder.is_dir():
        folder.parent.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        _forget_stale(folder.parent)
        _prune_empty(private_root() / "gradio")
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
    return folder


def forget_session(session_hash: str | None) -> None:
    """Delete a closed session's files."""
    if session_hash:
        shutil.rmtree(_session_folder(session_hash), ignore_errors=True)


def write_private(path: Path, text: str, *, newline: str | None = None) -> Path:
    """Write text to a file only its owner can read (0600), replacing what was there."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    os.fchmod(descriptor, PRIVATE_FILE)  # an existing file keeps its old mode through os.open
    with open(descriptor, "w", encoding="utf-8", newline=newline) as handle:
        handle.write(text)
    return path


def make_private(path: str | Path) -> None:
    """Restrict a file someone else wrote (an upload in Gradio's cache) to its owner."""
    with contextlib.suppress(OSError):  # already gone, or not ours: the private folder still covers it
        os.chmod(path, PRIVATE_FILE)


def file_stem(name: str, fallback: str) -> str:
    """An ASCII file name from a person's name, accents transliterated ("Andrés Castaño" -> "andres-castano")."""
    return slugify(name, max_length=MAX_NAME_CHARS, word_boundary=True) or fallback


def write_agenda_files(agenda: Agenda, folder: Path) -> tuple[Path, Path | None]:
    """The agenda as .md, and as .ics when it has a start time; named after the expert."""
    stem = "coffee-chat-" + file_stem(agenda.expert.name, "expert")
    markdown = write_private(folder / f"{stem}.md", agenda.markdown)
    if not agenda.ics:
        return markdown, None
    # newline="" keeps the CRLF line ends RFC 5545 asks for.
    return markdown, write_private(folder / f"{stem}.ics", agenda.ics, newline="")


def _session_folder(session_hash: str | None) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_-]", "", session_hash or "")[:64] or "anonymous"
    return private_root() / "sessions" / safe


def _prune_empty(cache: Path) -> None:
    """Gradio's sweep deletes old files but leaves their (hash-named) folders behind."""
    if not cache.is_dir():
        return
    cutoff = time.time() - CACHE_SWEEP[1]  # old enough that Gradio is not about to fill it
    for folder in cache.iterdir():
        with contextlib.suppress(OSError):  # not empty, or already gone
            if folder.is_dir() and folder.stat().st_mtime < cutoff:
                folder.rmdir()


def _forget_stale(sessions: Path) -> None:
    cutoff = time.time() - SESSION_MAX_AGE_S
    for folder in sessions.iterdir():
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue
