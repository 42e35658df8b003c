"""Process-wide loaders are built once even when many threads ask at the same moment: the app's worker
threads all meet them on the first requests after a start (found by benchmarks/load_bench.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from tests.conftest import REPO
from vectorstore.once import once

THREADS = 8
LOADERS = [
    "coach.offline.steps:default_coach",
    "coach.offline.language:_identifier",
    "coach.offline.vocabulary:english_words",
    "coach.offline.intro_wording:load_templates",
    "vectorstore.concepts:default_lexicon",
    "vectorstore.static_embedding:_cached",
]
RACE = """
import importlib, sys, threading
module, name = sys.argv[1].split(":")
load = getattr(importlib.import_module(module), name)
start = threading.Barrier({threads})
got = []
def call():
    start.wait()
    got.append(load())
threads = [threading.Thread(target=call) for _ in range({threads})]
for t in threads: t.start()
for t in threads: t.join()
print(len({{id(value) for value in got}}), len(got))
"""


@pytest.mark.parametrize("loader", LOADERS)
def test_a_loader_raced_by_threads_on_first_use_builds_one_value(loader: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", RACE.format(threads=THREADS), loader],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    distinct, calls = map(int, done.stdout.split())
    assert (distinct, calls) == (1, THREADS)


def test_late_callers_wait_for_the_first_build_and_share_it() -> None:
    builds: list[int] = []

    @once
    def slow(n: int) -> list[int]:
        builds.append(n)
        time.sleep(0.2)
        return [n]

    start = threading.Barrier(THREADS)
    got: list[list[int]] = []

    def call() -> None:
        start.wait()
        got.append(slow(1))

    threads = [threading.Thread(target=call) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert builds == [1] and all(value is got[0] for value in got)
    assert slow(2) == [2] and builds == [1, 2], "other arguments build their own value"


def test_a_failed_build_is_tried_again() -> None:
    attempts: list[int] = []

    @once
    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("the file is not there yet")
        return "loaded"

    with pytest.raises(OSError):
        flaky()
    assert flaky() == "loaded" and flaky() == "loaded"
    assert len(attempts) == 2
