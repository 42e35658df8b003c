"""Charts of an insights report, drawn with matplotlib (no display needed; PNG files or the web's plots)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # never a window: the CLI writes files and the web app embeds figures

from matplotlib import dates
from matplotlib.figure import Figure

from coach.journal.insights import InsightsReport

SIZE = (7.0, 3.2)


def trend_figure(report: InsightsReport) -> Figure:
    """Questions, weak matches and requests sent per week (weeks with too few people are left out)."""
    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.subplots()
    weeks = dates.date2num([w.start for w in report.trend])
    for values, label in (
        ([w.questions for w in report.trend], "questions asked"),
        ([w.weak for w in report.trend], "nobody fitted well"),
        ([w.asks for w in report.trend], "requests sent"),
    ):
        axes.plot(weeks, values, marker="o", label=label)
    axes.set_title(f"By week (groups of at least {report.min_group} people)")
    axes.set_ylabel("count")
    axes.legend(loc="upper left", fontsize="small")
    axes.xaxis.set_major_formatter(dates.DateFormatter("%d %b"))
    figure.autofmt_xdate()
    if not len(weeks):
        axes.text(0.5, 0.5, "no week with enough people", ha="center", va="center", transform=axes.transAxes)
    return figure


def gaps_figure(report: InsightsReport) -> Figure:
    """Weak matches per topic, the biggest gap on top."""
    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.subplots()
    gaps = list(reversed(report.gaps))
    axes.barh([g.topic for g in gaps], [g.weak for g in gaps], color="#c2410c")
    axes.set_title("Knowledge gaps: questions nobody fitted well, by topic")
    axes.set_xlabel("questions")
    return figure


def load_figure(report: InsightsReport) -> Figure:
    """Requests in the last 30 days as a share of each expert's monthly capacity."""
    figure = Figure(figsize=SIZE, layout="constrained")
    axes = figure.subplots()
    experts = list(reversed(report.experts))
    axes.barh([e.name for e in experts], [100 * e.load for e in experts], color="#4338ca")
    axes.axvline(100, color="grey", linestyle="--", linewidth=1)
    axes.set_title("Requests against stated capacity (last 30 days)")
    axes.set_xlabel("% of monthly capacity")
    return figure


def save_charts(report: InsightsReport, folder: Path) -> list[Path]:
    """The three charts as PNG files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, build in (("trend", trend_figure), ("gaps", gaps_figure), ("load", load_figure)):
        path = folder / f"insights-{name}.png"
        build(report).savefig(path, dpi=110)
        written.append(path)
    return written
