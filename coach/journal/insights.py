"""Insights for the people team: knowledge gaps, expert load, departments and trends, as aggregates only.

Every number shown aggregates at least `min_group` distinct people; a smaller group is left out (and only
how many were left out is said), so no one person's questions can be read from a report. The journal keeps
no question text for this: only a topic, how many people fitted and the asker's department per question.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select

from coach.journal.database import Database
from coach.journal.schema import TABLES
from coach.markdown import escape_markdown
from coach.models import QuestionMatches
from vectorstore.analysis import analyze
from vectorstore.concepts import default_lexicon
from vectorstore.models import Availability, ExpertProfile

OTHER_TOPIC = "other"
UNKNOWN_DEPARTMENT = "(no department)"
DEFAULT_CAPACITY = 4  # monthly chats when a profile states none; the same default matching uses


def topic_of(text: str) -> str:
    """The first workplace concept a question mentions (from the shared concept lexicon), else "other"."""
    hits = default_lexicon().find(analyze(text).stems)
    return hits[0].concept.replace("_", " ") if hits else OTHER_TOPIC


def search_records(found: Iterable[QuestionMatches]) -> list[tuple[str, int, bool]]:
    """(topic, people who fit, nobody fits) per matched question: what insights keep of a search."""
    records = []
    for group in found:
        fitting = sum(
            1 for m in group.matches if m.evidence and m.profile.availability is not Availability.unavailable
        )
        topic = topic_of(f"{group.question.text} {group.question.search_query}")
        records.append((topic, 0 if group.nobody_fits else fitting, group.nobody_fits))
    return records


class Gap(BaseModel):
    topic: str
    questions: int
    weak: int  # nobody in the index fitted well
    people: int

    @property
    def weak_share(self) -> float:
        return self.weak / self.questions if self.questions else 0.0


class ExpertLoad(BaseModel):
    expert_id: str
    name: str
    department: str
    asks: int  # requests marked as sent in the last 30 days
    capacity: int  # max_chats_per_month, or the default
    people: int

    @property
    def load(self) -> float:
        return self.asks / max(self.capacity, 1)


class DepartmentRow(BaseModel):
    department: str
    people_asking: int | None  # None: fewer than the minimum group
    questions: int | None
    experts: int  # profiles in the index
    asks_received: int | None  # None: fewer than the minimum group asked (0 is shown: nobody is involved)


class Week(BaseModel):
    start: datetime
    questions: int
    weak: int
    asks: int
    people: int


class InsightsReport(BaseModel):
    generated_at: datetime
    weeks: int
    min_group: int
    gaps: list[Gap]
    experts: list[ExpertLoad]
    departments: list[DepartmentRow]
    trend: list[Week]
    hidden: dict[str, int]  # groups left out per section for being smaller than min_group


def build_report(
    db: Database,
    profiles: Sequence[ExpertProfile],
    *,
    now: datetime,
    weeks: int = 8,
    min_group: int = 5,
    top: int = 10,
) -> InsightsReport:
    """Aggregate the last `weeks` weeks of searches and sent asks across every user."""
    since = now - timedelta(weeks=weeks)
    searches, asks = TABLES["searches"], TABLES["asks"]
    with db.read() as conn:
        searched = conn.execute(
            select(
                searches.c.user_id,
                searches.c.department,
                searches.c.topic,
                searches.c.nobody_fits,
                searches.c.created_at,
            ).where(searches.c.created_at >= since)
        ).all()
        asked = conn.execute(
            select(asks.c.user_id, asks.c.expert_id, asks.c.created_at).where(asks.c.created_at >= since)
        ).all()
    hidden: dict[str, int] = {}

    by_topic: dict[str, list[Any]] = defaultdict(list)
    for row in searched:
        by_topic[row.topic].append(row)
    gaps = [
        Gap(
            topic=topic,
            questions=len(rows),
            weak=sum(1 for r in rows if r.nobody_fits),
            people=len({r.user_id for r in rows}),
        )
        for topic, rows in by_topic.items()
    ]
    hidden["gaps"] = sum(1 for g in gaps if g.people < min_group)
    gaps = [g for g in gaps if g.people >= min_group and g.weak]
    gaps.sort(key=lambda g: (-g.weak, -g.weak_share, g.topic))

    month = now - timedelta(days=30)
    index = {p.id: p for p in profiles}
    recent: dict[str, list[Any]] = defaultdict(list)
    for ask in asked:
        if ask.created_at >= month and ask.expert_id in index:
            recent[ask.expert_id].append(ask)
    loads = []
    for expert_id, rows in recent.items():
        profile = index[expert_id]
        capacity = profile.max_chats_per_month
        loads.append(
            ExpertLoad(
                expert_id=expert_id,
                name=profile.name,
                department=profile.department or UNKNOWN_DEPARTMENT,
                asks=len(rows),
                capacity=DEFAULT_CAPACITY if capacity is None else capacity,
                people=len({r.user_id for r in rows}),
            )
        )
    hidden["experts"] = sum(1 for e in loads if e.people < min_group)
    loads = sorted((e for e in loads if e.people >= min_group), key=lambda e: (-e.load, -e.asks, e.name))

    departments = _departments(searched, asked, profiles, min_group)
    hidden["departments"] = sum(1 for d in departments if d.people_asking is None)
    trend, hidden["weeks"] = _trend(searched, asked, since, weeks, min_group)
    return InsightsReport(
        generated_at=now,
        weeks=weeks,
        min_group=min_group,
        gaps=gaps[:top],
        experts=loads[:top],
        departments=departments,
        trend=trend,
        hidden=hidden,
    )


def _departments(
    searched: Sequence[Any], asked: Sequence[Any], profiles: Sequence[ExpertProfile], min_group: int
) -> list[DepartmentRow]:
    """Departments whose people ask most, and how many asks each department's experts received."""
    askers: dict[str, set[str]] = defaultdict(set)
    questions: dict[str, int] = defaultdict(int)
    for row in searched:
        department = row.department or UNKNOWN_DEPARTMENT
        askers[department].add(row.user_id)
        questions[department] += 1
    home = {p.id: p.department or UNKNOWN_DEPARTMENT for p in profiles}
    experts: dict[str, int] = defaultdict(int)
    for department in home.values():
        experts[department] += 1
    received: dict[str, list[Any]] = defaultdict(list)
    for row in asked:
        if row.expert_id in home:
            received[home[row.expert_id]].append(row)
    rows = []
    for department in sorted(set(askers) | set(experts)):
        asking = len(askers[department])
        got = received[department]
        got_people = len({r.user_id for r in got})
        shown = asking >= min_group or asking == 0  # nobody asking involves no one
        rows.append(
            DepartmentRow(
                department=department,
                people_asking=asking if shown else None,
                questions=questions[department] if shown else None,
                experts=experts[department],
                asks_received=len(got) if not got or got_people >= min_group else None,
            )
        )
    rows.sort(key=lambda d: (-(d.questions or 0), d.department))
    return rows


def _trend(
    searched: Sequence[Any], asked: Sequence[Any], since: datetime, weeks: int, min_group: int
) -> tuple[list[Week], int]:
    """Weekly questions, weak matches and sent asks; a week with fewer than min_group people is left out."""
    buckets: list[dict[str, Any]] = [
        {"start": since + timedelta(weeks=n), "questions": 0, "weak": 0, "asks": 0, "people": set()}
        for n in range(weeks)
    ]

    def bucket(moment: datetime) -> dict[str, Any] | None:
        n = min(int((moment - since) / timedelta(weeks=1)), weeks - 1)  # the report's own moment: last week
        return buckets[n] if moment >= since else None

    for row in searched:
        if (b := bucket(row.created_at)) is not None:
            b["questions"] += 1
            b["weak"] += int(bool(row.nobody_fits))
            b["people"].add(row.user_id)
    for row in asked:
        if (b := bucket(row.created_at)) is not None:
            b["asks"] += 1
            b["people"].add(row.user_id)
    shown = [
        Week(
            start=b["start"],
            questions=b["questions"],
            weak=b["weak"],
            asks=b["asks"],
            people=len(b["people"]),
        )
        for b in buckets
        if len(b["people"]) >= min_group
    ]
    hidden = sum(1 for b in buckets if 0 < len(b["people"]) < min_group)
    return shown, hidden


def render_markdown(report: InsightsReport, escape: Callable[[str], str] = escape_markdown) -> str:
    """The report as Markdown tables; every row aggregates at least `min_group` people.

    `escape` makes profile text (names, departments, topics) inert wherever the Markdown is rendered; the
    web passes its own, which also holds links to the allowlist.
    """
    k = report.min_group

    def _cell(text: str) -> str:
        flat = " ".join(text.replace("|", "/").split())
        return escape(flat)

    lines = [
        f"# Insights: the last {report.weeks} weeks",
        "",
        f"Generated {report.generated_at:%Y-%m-%d %H:%M} UTC. Every number aggregates at least {k} people; "
        "smaller groups are left out.",
        "",
        "## Knowledge gaps (questions nobody in the index fitted well)",
        "",
    ]
    if report.gaps:
        lines += ["| Topic | Weak | Questions | Share weak | People |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {_cell(g.topic)} | {g.weak} | {g.questions} | {g.weak_share:.0%} | {g.people} |"
            for g in report.gaps
        ]
    else:
        lines.append("No topic with weak matches and enough people asking.")
    lines += ["", "## Experts with the most requests against their capacity (last 30 days)", ""]
    if report.experts:
        lines += ["| Expert | Department | Requests | Monthly capacity | Load |", "|---|---|---:|---:|---:|"]
        lines += [
            f"| {_cell(e.name)} | {_cell(e.department)} | {e.asks} | {e.capacity} | {e.load:.0%} |"
            for e in report.experts
        ]
    else:
        lines.append("No expert was asked by enough people to show.")
    lines += ["", "## Departments: who asks, who is asked", ""]
    lines += [
        "| Department | People asking | Questions | Experts | Requests received |",
        "|---|---:|---:|---:|---:|",
    ]
    small = f"fewer than {k}"
    for d in report.departments:
        asking = small if d.people_asking is None else str(d.people_asking)
        questions = "" if d.questions is None else str(d.questions)
        received = small if d.asks_received is None else str(d.asks_received)
        lines.append(f"| {_cell(d.department)} | {asking} | {questions} | {d.experts} | {received} |")
    lines += ["", "## Trend by week", ""]
    if report.trend:
        lines += ["| Week of | Questions | Weak | Requests sent | People |", "|---|---:|---:|---:|---:|"]
        lines += [
            f"| {w.start:%Y-%m-%d} | {w.questions} | {w.weak} | {w.asks} | {w.people} |" for w in report.trend
        ]
    else:
        lines.append("No week had enough people to show.")
    left_out = ", ".join(f"{n} {section}" for section, n in report.hidden.items() if n)
    if left_out:
        lines += ["", f"Left out for having fewer than {k} people: {left_out}."]
    return "\n".join(lines) + "\n"
