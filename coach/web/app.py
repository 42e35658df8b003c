"""The whole app: the header, the tabs laid out in order (Insights only for admins), then each tab's events wired."""

from __future__ import annotations

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from coach.config import Settings
from coach.journal.store import Journal
from coach.service import CoachService
from coach.web.cards import header_html
from coach.web.context import Frame, WebContext, handler
from coach.web.files import CACHE_SWEEP, forget_session, use_private_gradio_cache
from coach.web.launch import launch
from coach.web.session import CoachSession
from coach.web.tabs import agenda, chat, insights, intro, journal, people, profiles

__all__ = ["build_ui", "launch"]


def build_ui(service: CoachService, settings: Settings, mode_label: str) -> gr.Blocks:
    """The whole app; per-user state lives in gr.State, the service and journal are shared and thread-safe."""
    ctx = WebContext(service, settings, service.journal or Journal.open(settings.journal_location))
    use_private_gradio_cache()
    with gr.Blocks(title="Question Coach", analytics_enabled=False, delete_cache=CACHE_SWEEP) as demo:
        session = gr.State(CoachSession())
        gr.HTML(header_html(mode_label, ctx.uses_llm), elem_id="qc-header")
        notice = gr.HTML("", elem_id="qc-notice")
        with gr.Tabs(elem_id="qc-tabs") as tabs:
            chat_tab = chat.layout()
            people_tab = people.layout(service.index.facets())
            agenda_tab = agenda.layout()
            intro_tab = intro.layout()
            journal_tab = journal.layout()
            profiles_tab = profiles.layout(ctx)
            insights_tab = insights.layout()

        frame = Frame(session, notice, tabs)
        # What a session looks like in the Coach and People tabs, refreshed whenever its questions change.
        views = [chat_tab.questions, chat_tab.note, people_tab.cards, people_tab.expert]
        chat.wire(ctx, frame, chat_tab, views)
        people.wire(ctx, frame, people_tab)
        agenda.wire(ctx, frame, agenda_tab, people_tab, demo)
        intro.wire(ctx, frame, intro_tab, people_tab, agenda_tab.minutes)
        keep = (chat_tab.keep, chat_tab.questions, chat_tab.note)
        journal.wire(ctx, frame, journal_tab, people_tab, views, keep, demo)
        profiles.wire(ctx, frame, profiles_tab, people_tab)
        insights.wire(ctx, insights_tab, demo)
        demo.unload(_forget_downloads)
    return demo


@handler
def _forget_downloads(request: gr.Request) -> None:
    """A closed session's files are deleted with it."""
    forget_session(request.session_hash if request is not None else None)
