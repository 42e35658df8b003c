"""SIGKILL during `coach index` of a large file: every profile keeps its old or its new state, no mix."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import REPO
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex

pytestmark = pytest.mark.server
OLD, NEW = 3000, 5000


def write_people(path: Path, n: int, title: str) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "name", "title", "department", "expertise", "bio"])
        for i in range(n):
            out.writerow([f"p{i:05d}", f"Person {i}", title, "Finance", "budgeting;forecasting", f"Bio {i}."])


def coach_index(data_dir: Path, path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            str(Path(sys.executable).with_name("coach")),
            "--data-dir",
            str(data_dir),
            "index",
            str(path),
            "--replace",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "COACH_DATA_DIR": str(data_dir)},
    )


def state(data_dir: Path) -> tuple[frozenset[str], int, int]:
    """Titles present, profile count, and leftover generations after a clean open."""
    with ExpertIndex.open(data_dir, OfflineEmbedding()) as index:
        titles = frozenset(p.title for p in index.profiles())
        count = index.count()
        names = [c.name for c in index._client.list_collections() if c.name.startswith("experts-")]
    folders = [p for p in (data_dir / "chroma").iterdir() if p.is_dir()]
    assert len(folders) <= len(names), "no vector folder outlives its collection"
    return titles, count, len(names)


def test_sigkill_mid_import_leaves_old_or_new_and_a_rerun_completes(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    old_csv, new_csv = tmp_path / "old.csv", tmp_path / "new.csv"
    write_people(old_csv, OLD, "Old role")
    write_people(new_csv, NEW, "New role")
    first = coach_index(data_dir, old_csv)
    assert first.wait(300) == 0, first.communicate()[1]
    sqlite = data_dir / "chroma" / "chroma.sqlite3"
    killed_mid_write = 0
    for delay in (0.5, 2.5):
        before = sqlite.stat().st_mtime_ns
        proc = coach_index(data_dir, new_csv)
        deadline = time.monotonic() + 120
        while sqlite.stat().st_mtime_ns == before and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # wait until the import writes to the store
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait(60)
        titles, count, generations = state(data_dir)
        assert (titles, count) in {(frozenset({"Old role"}), OLD), (frozenset({"New role"}), NEW)}, (
            titles,
            count,
        )
        assert generations == 1, "the killed import's unfinished generation was removed on the next open"
        if proc.returncode == -signal.SIGKILL and titles == {"Old role"}:
            killed_mid_write += 1
    assert killed_mid_write >= 1, "at least one kill landed while the import was writing"
    rerun = coach_index(data_dir, new_csv)
    _, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert state(data_dir)[:2] == ({"New role"}, NEW)
