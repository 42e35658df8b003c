"""The `coach` command: index exit codes and reports, search, eval, through click's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coach.cli import cli

DEV = Path(__file__).resolve().parents[2] / "shared" / "eval" / "dev"
HEADER = "id,name,title,department,location,email,bio,expertise,availability,languages"


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_index_reports_counts_and_exit_zero_then_idempotent(tmp_path: Path) -> None:
    csv = write(
        tmp_path, "org.csv", f"{HEADER}\np1,Ann Lee,Pricing Lead,Product,London,,,pricing,open,English\n"
    )
    first = run("index", str(csv))
    assert first.exit_code == 0, first.output
    assert "added 1" in first.output and "rejected 0" in first.output
    again = run("index", str(csv))
    assert again.exit_code == 0 and "unchanged 1" in again.output and "added 0" in again.output


def test_index_with_bad_rows_exits_three_and_lists_them(tmp_path: Path) -> None:
    csv = write(
        tmp_path,
        "org.csv",
        f"{HEADER}\np1,Ann Lee,,,,,,,open,\np2,,,,,,,,open,\np3,Bo Li,,,,,,,busy,\n",
    )
    result = run("index", "--json", str(csv))
    assert result.exit_code == 3
    report = json.loads(result.stdout)
    assert (report["added"], report["rejected"], report["total"]) == (1, 2, 1)
    assert {(i["row"], i["field"]) for i in report["issues"]} == {(3, "name"), (4, "availability")}


def test_unreadable_file_exits_two_and_changes_nothing(tmp_path: Path) -> None:
    good = write(tmp_path, "good.csv", f"{HEADER}\np1,Ann Lee,,,,,,,open,\n")
    assert run("index", str(good)).exit_code == 0
    broken = write(tmp_path, "broken.json", "[{")
    result = run("index", str(good), str(broken))
    assert result.exit_code == 2
    assert "Nothing was changed" in result.stderr
    listing = run("search", "anything", "--json")
    assert [m["id"] for m in json.loads(listing.stdout)] == ["p1"]


def test_search_seeds_the_sample_org_and_prints_json() -> None:
    result = run("search", "how does a book's advance get decided", "--k", "3", "--json")
    assert result.exit_code == 0, result.output
    matches = json.loads(result.stdout)
    assert len(matches) == 3
    assert all(m["id"] and m["name"] and m["why"] for m in matches)


def test_search_filters(tmp_path: Path) -> None:
    csv = write(
        tmp_path,
        "org.csv",
        f"{HEADER}\np1,Ann Lee,Pricing Lead,Product,London,,,pricing,open,English\n"
        f"p2,Ana Ruiz,Pricing Analyst,Product,Madrid,,,pricing,limited,Spanish;English\n",
    )
    run("index", str(csv))
    result = run("search", "pricing", "--language", "Spanish", "--json")
    assert [m["id"] for m in json.loads(result.stdout)] == ["p2"]
    result = run("search", "pricing", "--availability", "open", "--json")
    assert [m["id"] for m in json.loads(result.stdout)] == ["p1"]


def test_eval_prints_the_metrics_json() -> None:
    result = run("eval", "--data", str(DEV), "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    for key in ("ndcg@5", "ndcg@10", "recall@10", "mrr", "queries", "latency_p50_ms", "latency_p95_ms"):
        assert key in report
    assert report["queries"] == 60
    assert report["ndcg@5"] >= 0.45, "the offline default must beat plain BM25 (0.42)"


@pytest.mark.parametrize(("args", "code"), [(["index", "/nope/missing.csv"], 2), (["search"], 2)])
def test_console_script_exit_codes(args: list[str], code: int) -> None:
    proc = subprocess.run([sys.executable, "-m", "coach", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == code, proc.stderr
