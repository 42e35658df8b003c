"""The embedded index's files: owner-only permissions, and folders Chroma leaves behind.

Embedded Chroma keeps each collection's vectors in a folder named after its vector segment, and does not
remove that folder when the collection is deleted (55 MB after one crash and re-import). The folder names
live in Chroma's own `segments` table, read here read-only; if that table ever changes shape, nothing is
removed.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import sqlite3
from pathlib import Path

log = logging.getLogger(__name__)

_UUID_DIR = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def make_private(root: Path) -> None:
    """Owner-only permissions on an index folder: directories 0700, files 0600."""
    for path in [root, *root.rglob("*")]:
        try:
            path.chmod(0o700 if path.is_dir() else 0o600)
        except OSError:  # a file Chroma removed meanwhile
            continue


def reclaim_folders(chroma_dir: Path) -> list[Path]:
    """Remove vector folders that no segment uses any more; the folders removed."""
    live = _segments(chroma_dir, "SELECT id FROM segments")
    if live is None:
        return []
    gone = [
        folder
        for folder in chroma_dir.iterdir()
        if folder.is_dir() and _UUID_DIR.match(folder.name) and folder.name not in live
    ]
    for folder in gone:
        shutil.rmtree(folder, ignore_errors=True)
    return gone


def room(chroma_dir: Path) -> int:
    """Bytes the store can still grow by: free disk plus SQLite's free pages, within any `ulimit -f`."""
    free = shutil.disk_usage(chroma_dir).free
    database = chroma_dir / "chroma.sqlite3"
    reusable = 0
    if database.exists():
        try:
            with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
                pages = db.execute("PRAGMA freelist_count").fetchone()[0]
                reusable = int(pages) * int(db.execute("PRAGMA page_size").fetchone()[0])
        except sqlite3.Error:
            reusable = 0
    try:
        import resource  # POSIX only

        soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    except ImportError:
        return free + reusable
    if soft == resource.RLIM_INFINITY:
        return free + reusable
    largest = max((f.stat().st_size for f in chroma_dir.rglob("*") if f.is_file()), default=0)
    return min(free, soft - largest) + reusable


def store_bytes(chroma_dir: Path) -> int:
    """Bytes the store takes on disk now."""
    return sum(f.stat().st_size for f in chroma_dir.rglob("*") if f.is_file())


def vector_folders(chroma_dir: Path, collection: str) -> list[Path]:
    """The folders of one collection's vector segments."""
    rows = _segments(
        chroma_dir,
        "SELECT s.id FROM segments s JOIN collections c ON s.collection = c.id "
        "WHERE c.name = ? AND s.scope = 'VECTOR'",
        (collection,),
    )
    return [chroma_dir / row for row in rows or () if _UUID_DIR.match(row)]


def _segments(chroma_dir: Path, query: str, args: tuple[str, ...] = ()) -> set[str] | None:
    """Read Chroma's segment table; None when it is missing or not the layout known here."""
    database = chroma_dir / "chroma.sqlite3"
    if not database.exists():
        return None
    try:
        with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)) as db:
            return {str(row[0]) for row in db.execute(query, args)}
    except sqlite3.Error as exc:
        log.warning("not reading the index's segment table: %s", exc)
        return None
