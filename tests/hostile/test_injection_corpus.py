"""The injection corpus through the offline coach and through the LLM coach against a stub that echoes
injected text: per family, no followed instruction, no active content, no invented person, no contact
detail sent to the LLM (counted by tests/hostile/measure.py, as benchmarks/injection_bench.py reports)."""

from __future__ import annotations

import pytest

from tests.hostile.corpus import PROFILE_FIELDS, families, load_cases
from tests.hostile.measure import EngineRun, run_engine

CASES = load_cases()
FAMILIES = families(CASES)
TARGETS = ("followed", "active", "invented", "contacts_to_llm")


def test_the_corpus_is_large_and_plants_text_everywhere() -> None:
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)
    places = {w for c in CASES for w in c.where}
    assert places == {*PROFILE_FIELDS, "wish", "answer", "journal_note"}
    assert all(sum(c.family == f for c in CASES) >= 8 for f in FAMILIES)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> EngineRun:
    return run_engine("offline", CASES, tmp_path_factory.mktemp("injection-offline"))


@pytest.fixture(scope="module")
def llm(tmp_path_factory: pytest.TempPathFactory) -> EngineRun:
    return run_engine("llm", CASES, tmp_path_factory.mktemp("injection-llm"))


def _zero(run: EngineRun, family: str, targets: tuple[str, ...]) -> None:
    row = run.table()[family]
    failing = [f for f in run.failures() if f["id"] in {c.id for c in CASES if c.family == family}]
    assert {t: row[t] for t in targets} == dict.fromkeys(targets, 0), failing
    assert row["cases"] == sum(c.family == family for c in CASES)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_the_offline_coach_is_not_steered(offline: EngineRun, family: str) -> None:
    _zero(offline, family, TARGETS)


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILIES)
def test_the_llm_coach_is_not_steered_by_an_echoing_model(llm: EngineRun, family: str) -> None:
    """The stub copies every injected text back, names Mallory, adds images, links and contacts."""
    _zero(llm, family, (*TARGETS, "echoed"))


@pytest.mark.slow
def test_the_planted_text_reached_the_llm(llm: EngineRun) -> None:
    """The counts mean something only if the injections were in front of the model, and it answered."""
    reached = [v for v in llm.verdicts if not v.refused]
    assert len(reached) >= len(CASES) - 12  # only the over-long cases are refused at the door
    assert all(v.requests >= 3 for v in reached)  # step, re-ranking, intro at least
    assert sum(v.fallbacks == 0 for v in reached) >= len(reached) // 2
