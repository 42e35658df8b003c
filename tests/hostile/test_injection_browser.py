"""The injection corpus rendered by the real web app in headless Chromium, with the LLM coach against the
echoing stub: per family, no script runs, no request leaves the page, no dialog opens, no active element
is left in the page (tests/hostile/chromium.py, as benchmarks/injection_bench.py --browser reports).

Here a sample of every family, spread over the places its cases are planted, keeps `make test` inside CI's
time; the benchmark renders all 167 cases, and the offline and echoing-stub tests run every case.
"""

from __future__ import annotations

import os

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest

from tests.hostile.chromium import BROWSER_COLUMNS, CANARY, HARM, BrowserRun, run_browser
from tests.hostile.corpus import Case, families, load_cases

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]
PER_FAMILY = 4  # cases rendered per family (the benchmark renders them all)
DRAFTS_PER_FAMILY = 1  # agendas and intros opened per family (the benchmark opens them all)


def sample(cases: list[Case], per_family: int) -> list[Case]:
    """Up to `per_family` cases of each family, taken in turn from each place its cases are planted."""
    chosen: list[Case] = []
    for family in families(cases):
        by_place: dict[str, list[Case]] = {}
        for case in cases:
            if case.family == family:
                by_place.setdefault(case.where[0], []).append(case)
        queues = list(by_place.values())
        picked: list[Case] = []
        while len(picked) < per_family and any(queues):
            for queue in queues:
                if queue and len(picked) < per_family:
                    picked.append(queue.pop(0))
        chosen.extend(picked)
    return chosen


CASES = sample(load_cases(), PER_FAMILY)


@pytest.fixture(scope="module")
def rendered() -> BrowserRun:
    return run_browser(CASES, drafts_per_family=DRAFTS_PER_FAMILY)


@pytest.mark.slow
def test_the_counters_see_active_content_when_there_is_some(rendered: BrowserRun) -> None:
    canary = rendered.counts[CANARY]
    assert canary["requests_out"] >= 1 and canary["dialogs"] >= 1 and canary["script_runs"] >= 1
    assert canary["active_elements"] >= 2


@pytest.mark.slow
@pytest.mark.parametrize("family", families(CASES))
def test_every_family_renders_inert(rendered: BrowserRun, family: str) -> None:
    row = rendered.table()[family]
    assert row["cases"] == sum(c.family == family for c in CASES)
    assert {c: row[c] for c in HARM} == dict.fromkeys(HARM, 0), (rendered.outside, rendered.dialogs)


@pytest.mark.slow
def test_the_page_itself_is_the_baseline(rendered: BrowserRun) -> None:
    row = rendered.table()["(the page itself)"]
    assert {c: row[c] for c in BROWSER_COLUMNS} == dict.fromkeys(BROWSER_COLUMNS, 0)
