"""The Insights tab, for the people team only (COACH_ADMINS): knowledge gaps, expert load, departments
and trends, as aggregates of at least COACH_INSIGHTS_MIN_GROUP people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import gradio as gr

from coach.journal.charts import gaps_figure, load_figure, trend_figure
from coach.journal.insights import build_report, render_markdown
from coach.web.context import WebContext, handler, user_error, user_errors
from coach.web.escaping import markdown_text, safe_markdown
from coach.web.session import whole_number

HIDDEN = "Insights are for the people team: ask an admin to add you to COACH_ADMINS."


@dataclass(frozen=True)
class InsightsTab:
    tab: gr.Tab
    weeks: gr.Slider
    refresh: gr.Button
    summary: gr.Markdown
    trend: gr.Plot
    gaps: gr.Plot
    load: gr.Plot


def layout() -> InsightsTab:
    """Hidden until an admin opens the app; every number is an aggregate."""
    with gr.Tab("Insights", id="insights", elem_id="qc-tab-insights", visible=False) as tab:
        with gr.Row(equal_height=True):
            weeks = gr.Slider(1, 52, value=8, step=1, label="Weeks", elem_id="qc-i-weeks")
            refresh = gr.Button("Refresh", size="sm", scale=0, min_width=100, elem_id="qc-i-refresh")
        trend = gr.Plot(label="By week", elem_id="qc-i-trend")
        with gr.Row():
            gaps = gr.Plot(label="Knowledge gaps", elem_id="qc-i-gaps")
            load = gr.Plot(label="Expert load", elem_id="qc-i-load")
        summary = gr.Markdown(elem_id="qc-i-summary")
    return InsightsTab(tab, weeks, refresh, summary, trend, gaps, load)


class InsightsHandlers:
    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def show_tab(self, request: gr.Request) -> Any:
        return gr.update(visible=self.ctx.is_admin(request))

    @handler
    def report(self, weeks: float, request: gr.Request) -> tuple[Any, ...]:
        """The report; refused to anyone not named in COACH_ADMINS, whatever the client sends."""
        if not self.ctx.is_admin(request):
            raise user_error(HIDDEN)
        with user_errors():
            report = build_report(
                self.ctx.journal.db,
                self.ctx.service.index.profiles(),
                now=datetime.now(UTC),
                weeks=whole_number(weeks or 8, 1, 52, "The number of weeks"),
                min_group=self.ctx.settings.insights_min_group,
            )
        allowlist = self.ctx.settings.link_allowlist
        text = render_markdown(report, lambda t: markdown_text(t, allowlist)).replace(
            "# Insights", "### Insights", 1
        )
        markdown = safe_markdown(text, allowlist)
        return markdown, trend_figure(report), gaps_figure(report), load_figure(report)


def wire(ctx: WebContext, tab: InsightsTab, demo: gr.Blocks) -> None:
    ui = InsightsHandlers(ctx)
    demo.load(ui.show_tab, None, tab.tab, api_visibility="private", **ctx.offline)
    outputs = [tab.summary, tab.trend, tab.gaps, tab.load]
    gr.on(
        [tab.tab.select, tab.refresh.click],
        ui.report,
        tab.weeks,
        outputs,
        api_name="insights",
        concurrency_id="insights",
        concurrency_limit=1,
    )
