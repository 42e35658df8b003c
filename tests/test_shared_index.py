"""Several processes on one `chroma run` server: an import in one is seen by the others without a restart."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.chroma_server import ChromaServer
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.server
QUESTION = "Who can teach me glassblowing and kiln firing schedules?"


def write_new_people(path: Path, n: int) -> None:
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["id", "name", "title", "department", "expertise", "bio"])
        for i in range(n):
            out.writerow(
                [
                    f"new-{i:05d}",
                    f"Glass Person {i}",
                    "Glassblowing Lead",
                    "Studio",
                    "glassblowing;kiln firing schedules;annealing",
                    f"Runs kiln firing schedules for studio {i}.",
                ]
            )


def coach(url: str, data_dir: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "COACH_CHROMA_URL": url, "COACH_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("coach")), *args],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_an_import_in_one_process_is_searchable_in_another_without_restart(tmp_path: Path) -> None:
    new_csv = tmp_path / "new.csv"
    write_new_people(new_csv, 2500)
    with ChromaServer(tmp_path / "chroma") as server:
        seeded = coach(server.url, tmp_path / "cli", "index", str(FIXTURES / "org_small.csv"))
        assert seeded.wait(120) == 0, seeded.stderr.read() if seeded.stderr else ""
        reader = subprocess.Popen(
            [sys.executable, "-m", "tests.index_reader", server.url, QUESTION, "120", "new-"],
            cwd=REPO,
            env={**os.environ, "COACH_DATA_DIR": str(tmp_path / "reader")},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert reader.stdout is not None
        assert json.loads(reader.stdout.readline()).get("ready")
        started = time.time()
        importer = coach(server.url, tmp_path / "cli", "index", str(new_csv), "--json")
        time.sleep(1.0)  # the import is building its generation now; a process starting meanwhile ...
        starter = coach(server.url, tmp_path / "other", "search", "kiln", "--json")
        assert starter.wait(120) == 0, starter.stderr.read() if starter.stderr else ""
        out, err = importer.communicate(timeout=300)
        finished = time.time()
        assert importer.returncode == 0, err  # ... did not delete the unfinished generation
        assert json.loads(out)["added"] == 2500
        lines = [json.loads(line) for line in reader.communicate(timeout=120)[0].splitlines()]
    errors = [line["error"] for line in lines if "error" in line]
    assert errors == []
    during = [line for line in lines if started <= line["t"] <= finished]
    assert len(during) >= 10, "searches kept answering while the import ran"
    seen_new = [line["t"] for line in lines if any(str(i).startswith("new-") for i in line["ids"])]
    assert seen_new, "the other process found the imported profiles without a restart"
    staleness = seen_new[0] - finished
    assert staleness < 15, f"new profiles visible {staleness:.1f} s after the import finished"
    after = [line for line in lines if line["t"] >= seen_new[0]]
    assert all(any(str(i).startswith("new-") for i in line["ids"]) for line in after), "no flapping back"
    print(
        json.dumps({"searches": len(lines), "during_import": len(during), "staleness_s": round(staleness, 2)})
    )
