"""The index's disk fills up during an import: a clear error, nothing lost, reads keep working.

Where this process may mount (root), the data directory is a 20 MB tmpfs; elsewhere the import runs with
a file-size limit (RLIMIT_FSIZE), which makes the same writes fail with EFBIG.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.server


def step(
    name: str, data_dir: Path, *, limit_bytes: int | None = None, filler: Path | None = None
) -> dict[str, object]:
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.faults.index_disk_worker",
            name,
            str(data_dir),
            *([str(filler)] if filler else []),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=limit,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


@pytest.fixture(params=["tmpfs", "ulimit"])
def small_disk(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Path, int | None]]:
    """A 20 MB filesystem for the data directory (where mounting is allowed), or a file-size limit."""
    mount = tmp_path / "disk"
    mount.mkdir()
    mounted = (
        request.param == "tmpfs"
        and os.geteuid() == 0
        and subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(mount)], capture_output=True
        ).returncode
        == 0
    )
    try:
        yield mount / "data", None if mounted else 8_000_000
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(mount)], check=False)


def assert_refused_and_intact(result: dict[str, object], seeded: dict[str, object]) -> None:
    error = result["error"]
    assert isinstance(error, dict), "an import that cannot fit must fail"
    assert error["type"] == "IndexUnavailableError", error
    assert "full" in error["message"] and "Nothing stored before was lost" in error["message"]
    assert result["count"] == seeded["count"], "the profiles stored before are all there"
    assert result["found"] == seeded["found"], "and searches in the same process still answer"


def test_a_full_disk_fails_the_import_clearly_and_loses_nothing(small_disk: tuple[Path, int | None]) -> None:
    data_dir, limit = small_disk
    seeded = step("seed", data_dir)
    assert seeded["count"] == 300 and seeded["found"]
    too_big = step("overfill", data_dir, limit_bytes=limit)
    assert_refused_and_intact(too_big, seeded)
    assert "this import needs about" in str(too_big["error"]), "refused before writing anything"
    if limit is None:  # a real filesystem: the disk fills up for real while an import is writing
        filler = data_dir.parent / "filler.bin"
        assert_refused_and_intact(step("fill", data_dir, filler=filler), seeded)
        filler.unlink()  # the operator frees space
    checked = step("check", data_dir)
    assert checked["found"] == seeded["found"]
    assert checked["count"] == 310, "after space is freed, imports work again"
