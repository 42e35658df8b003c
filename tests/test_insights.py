"""Insights for the people team: correct numbers on a seeded journal, and no group below the minimum size."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from coach.cli import cli
from coach.journal.charts import save_charts
from coach.journal.insights import build_report, render_markdown, search_records, topic_of
from coach.journal.store import Journal
from coach.matching import match_question
from coach.models import LearningQuestion
from vectorstore.embeddings import OfflineEmbedding
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
K = 5
PROFILES = [
    ExpertProfile(id="e1", name="Erin Pricing", department="Finance", max_chats_per_month=2),
    ExpertProfile(id="e2", name="Eli Legal", department="Legal"),
    ExpertProfile(id="e3", name="Eve Quiet", department="Production"),
]


@dataclass
class SetClock:
    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> SetClock:
    return SetClock()


@pytest.fixture
def journal(tmp_path: Path, clock: SetClock) -> Iterator[Journal]:
    with Journal(tmp_path / "journal.sqlite3", clock=clock) as opened:
        yield opened


def seed(journal: Journal, clock: SetClock) -> None:
    """Six Sales people ask about pricing (four get nobody), two Legal people about contracts;
    Erin (capacity 2) is sent requests by six people, Eli by three."""
    for n in range(6):
        clock.now = NOW - timedelta(days=n)
        weak = n < 4
        journal.record_searches(f"sales-{n}", [("pricing", 0 if weak else 2, weak)], "Sales")
        journal.record_ask(f"sales-{n}", "e1", department="Sales")
    for n in range(2):
        clock.now = NOW - timedelta(days=1)
        journal.record_searches(f"legal-{n}", [("contracts", 0, True), ("contracts", 0, True)], "Legal")
    for n in range(3):
        journal.record_ask(f"legal-{n}", "e2", department="Legal")
    clock.now = NOW - timedelta(weeks=20)  # outside the window: never counted
    for n in range(6):
        journal.record_searches(f"old-{n}", [("history", 0, True)], "Sales")


def test_a_seeded_journal_gives_the_expected_numbers(journal: Journal, clock: SetClock) -> None:
    seed(journal, clock)
    report = build_report(journal.db, PROFILES, now=NOW, weeks=4, min_group=K)
    assert [(g.topic, g.weak, g.questions, g.people) for g in report.gaps] == [("pricing", 4, 6, 6)]
    assert [(e.expert_id, e.asks, e.capacity, e.people) for e in report.experts] == [("e1", 6, 2, 6)]
    assert report.experts[0].load == 3.0
    rows = {d.department: d for d in report.departments}
    assert (rows["Sales"].people_asking, rows["Sales"].questions) == (6, 6)
    assert rows["Finance"].asks_received == 6 and rows["Finance"].experts == 1
    assert rows["Production"].asks_received == 0, "a department nobody asked is shown: no person is involved"
    assert report.departments[0].department == "Sales", "the department asking most comes first"
    # The trend is per week across everyone: Legal's questions count in a week with enough people overall.
    assert [(w.questions, w.weak, w.asks, w.people) for w in report.trend] == [(10, 8, 9, 9)]
    assert report.hidden == {"gaps": 1, "experts": 1, "departments": 1, "weeks": 0}


def test_groups_below_the_minimum_are_never_shown(journal: Journal, clock: SetClock) -> None:
    seed(journal, clock)
    report = build_report(journal.db, PROFILES, now=NOW, weeks=4, min_group=K)
    rows = {d.department: d for d in report.departments}
    assert "contracts" not in [g.topic for g in report.gaps]
    assert (rows["Legal"].people_asking, rows["Legal"].questions) == (None, None)
    assert rows["Legal"].asks_received is None, "three people asked Legal's expert: fewer than the minimum"
    assert "e2" not in [e.expert_id for e in report.experts]
    text = render_markdown(report)
    assert "contracts" not in text and "Eli Legal" not in text and "legal-0" not in text
    assert f"fewer than {K}" in text
    assert "sales-" not in text + report.model_dump_json(), "no user name ever appears"


@pytest.mark.parametrize("seed_value", range(8))
def test_no_number_ever_rests_on_fewer_people_than_the_minimum(
    journal: Journal, clock: SetClock, seed_value: int
) -> None:
    rng = random.Random(seed_value)
    topics, departments = ["pricing", "hiring", "contracts", "audio"], ["Sales", "Legal", "HR", None]
    for _ in range(rng.randint(5, 30)):
        user = f"user-{rng.randint(0, 12)}"
        clock.now = NOW - timedelta(days=rng.randint(0, 40))
        nobody = rng.random() < 0.5
        journal.record_searches(
            user, [(rng.choice(topics), 0 if nobody else 1, nobody)], rng.choice(departments)
        )
        if rng.random() < 0.5:
            journal.record_ask(user, rng.choice(["e1", "e2", "e3"]))
    min_group = rng.randint(2, 6)
    report = build_report(journal.db, PROFILES, now=NOW, weeks=6, min_group=min_group)
    assert all(g.people >= min_group for g in report.gaps)
    assert all(e.people >= min_group for e in report.experts)
    assert all(w.people >= min_group for w in report.trend)
    assert all(d.people_asking in (None, 0) or d.people_asking >= min_group for d in report.departments)


def test_search_records_keep_topic_and_fit_but_no_text(tmp_path: Path) -> None:
    with ExpertIndex.open(tmp_path / "idx", OfflineEmbedding()) as index:
        index.upsert(
            [ExpertProfile(id="p1", name="Pat Price", expertise=["subscription pricing", "discounts"])]
        )
        found = [
            match_question(index, LearningQuestion(text="How do we set subscription pricing?"), k=3),
            match_question(index, LearningQuestion(text="How does quantum computing work?"), k=3),
        ]
    records = search_records(found)
    assert records == [("subscriptions", 1, False), ("other", 0, True)]
    assert topic_of("Which financial metrics does the division watch?") == "revenue profit"


def test_coach_report_prints_json_and_writes_charts(tmp_path: Path, data_dir: Path) -> None:
    clock = SetClock(datetime.now(UTC))
    with Journal(data_dir / "journal.sqlite3", clock=clock) as journal:
        seed(journal, clock)
    charts = tmp_path / "charts"
    result = CliRunner().invoke(cli, ["report", "--weeks", "4", "--json", "--charts", str(charts)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [g["topic"] for g in report["gaps"]] == ["pricing"]
    assert sorted(p.name for p in charts.iterdir()) == [
        "insights-gaps.png",
        "insights-load.png",
        "insights-trend.png",
    ]
    assert all(p.read_bytes()[:4] == b"\x89PNG" for p in charts.iterdir())


def test_charts_of_an_empty_report_still_draw(journal: Journal, tmp_path: Path) -> None:
    report = build_report(journal.db, PROFILES, now=NOW, weeks=4, min_group=K)
    assert all(path.stat().st_size > 1000 for path in save_charts(report, tmp_path))
