"""`coach index`: never replace with nothing, seed only a fresh index, one file-size limit, progress on a TTY."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coach.cli import cli
from tests.conftest import FIXTURES, REPO

HEADER = "id,name,title,department,location,email,bio,expertise,availability,languages"


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def ids() -> list[str]:
    return sorted(m["id"] for m in json.loads(run("search", "finance revenue", "--k", "50", "--json").stdout))


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("empty.csv", f"{HEADER}\n"),
        ("blank.csv", ""),
        ("empty.json", "[]"),
        ("empty.jsonl", "\n\n"),
        ("empty.yaml", "profiles: []\n"),
        ("nothing.yaml", ""),
    ],
)
def test_replace_with_nothing_exits_two_and_keeps_the_index(tmp_path: Path, name: str, text: str) -> None:
    assert run("index", str(FIXTURES / "org_small.csv")).exit_code == 0
    before = ids()
    empty = tmp_path / name
    empty.write_text(text, encoding="utf-8")
    result = run("index", str(empty), "--replace")
    assert result.exit_code == 2, result.output
    assert "Nothing was changed" in result.stderr
    assert "removed" not in result.output
    assert ids() == before


def test_a_data_directory_that_was_imported_into_is_never_seeded_with_the_sample() -> None:
    assert run("index", str(FIXTURES / "org_small.csv")).exit_code == 0
    found = ids()
    assert found and all(pid.startswith("al-") for pid in found), "no sample colleague mixed in"


def test_a_fresh_data_directory_is_seeded_once() -> None:
    assert len(json.loads(run("search", "publishing finance", "--k", "100", "--json").stdout)) > 25


@pytest.mark.parametrize(("extra", "accepted"), [(0, True), (1, False)])
def test_one_file_size_limit_in_decimal_megabytes(tmp_path: Path, extra: int, accepted: bool) -> None:
    limit_mb = 0.002  # 2,000 bytes, as the upload computes it
    row = "p1,Ann Lee,Pricing Lead,Product,London,,,pricing,open,English\n"
    text = f"{HEADER}\n{row}"
    text += "#" * (2_000 - len(text.encode()) - 1) + "\n"
    path = tmp_path / "org.csv"
    path.write_bytes(text.encode() + b" " * extra)
    assert path.stat().st_size == 2_000 + extra
    result = run("index", str(path), env={"COACH_MAX_FILE_MB": str(limit_mb)})
    if accepted:
        assert "over the" not in result.stderr
    else:
        assert result.exit_code == 2
        assert "0.01 MB is over the 0.002 MB limit" in result.stderr


def _index_on_terminal(path: Path, data_dir: Path, *flags: str) -> str:
    """Run `coach index` with stderr on a pseudo-terminal; what the terminal showed."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "coach", "--data-dir", str(data_dir), "index", str(path), *flags],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100"},
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        shown += chunk
    proc.communicate(timeout=120)
    os.close(leader)
    return shown.decode(errors="replace")


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    path = tmp_path / "org.csv"
    path.write_text(
        HEADER + "\n" + "".join(f"p{i},Person {i},Analyst,Finance,,,,budgets,open,\n" for i in range(1500))
    )
    shown = _index_on_terminal(path, tmp_path / "tty")
    assert "indexing" in shown and "1500/1500" in shown, shown[-500:]
    assert "indexing" not in _index_on_terminal(path, tmp_path / "tty-json", "--json")
    piped = subprocess.run(
        [sys.executable, "-m", "coach", "--data-dir", str(tmp_path / "pipe"), "index", str(path)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert piped.returncode == 0 and "indexing" not in piped.stderr
