"""The Agenda tab: a time-boxed coffee-chat agenda for the chosen expert, with .md and .ics downloads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import gradio as gr

from coach.agenda import TIMINGS, max_questions
from coach.web.cards import expert_label
from coach.web.context import NO_EXPERT, Frame, WebContext, handler, user_error, user_errors
from coach.web.escaping import safe_markdown
from coach.web.files import download_dir, write_agenda_files
from coach.web.session import (
    DEFAULT_TIME,
    CoachSession,
    expert_questions,
    next_weekday,
    one_of,
    parse_start,
)
from coach.web.tabs.people import PeopleTab

DEFAULT_TZ = "Europe/London"  # for API clients; a browser sends its own zone
SHOWN_OUTPUTS = 7  # title, questions, agenda, .md, .ics, the downloads row, session
STALE = "*Fix the form above, then choose **Update agenda**: the agenda shown no longer matched it.*"


@dataclass(frozen=True)
class AgendaTab:
    tab: gr.Tab
    title: gr.Markdown
    questions: gr.CheckboxGroup
    minutes: gr.Radio
    day: gr.Textbox
    at: gr.Textbox
    tz: gr.Textbox
    update: gr.Button
    agenda: gr.Markdown
    downloads: gr.Row
    md_file: gr.DownloadButton
    ics_file: gr.DownloadButton


def layout() -> AgendaTab:
    """Questions to cover, length, date, time and zone, the agenda, and its downloads."""
    with gr.Tab("Agenda", id="agenda", elem_id="qc-tab-agenda") as tab:
        title = gr.Markdown(NO_EXPERT, elem_id="qc-agenda-title")
        questions = gr.CheckboxGroup([], label="Questions to cover", elem_id="qc-agenda-questions")
        with gr.Row():
            minutes = gr.Radio([15, 20, 30], value=20, label="Length (minutes)", elem_id="qc-minutes")
            day = gr.Textbox(
                value=lambda: next_weekday(date.today()).isoformat(),
                label="Date",
                placeholder="YYYY-MM-DD",
                elem_id="qc-date",
            )
            at = gr.Textbox(value=DEFAULT_TIME, label="Time", placeholder="HH:MM", elem_id="qc-time")
            tz = gr.Textbox(value=DEFAULT_TZ, label="Time zone", placeholder=DEFAULT_TZ, elem_id="qc-tz")
        update = gr.Button("Update agenda", variant="primary", elem_id="qc-make-agenda")
        agenda = gr.Markdown(buttons=["copy"], container=True, padding=True, elem_id="qc-agenda")
        with gr.Row(visible=False) as downloads:
            md_file = gr.DownloadButton("Download .md", elem_id="qc-dl-md")
            ics_file = gr.DownloadButton("Add to calendar (.ics)", elem_id="qc-dl-ics")
    return AgendaTab(
        tab, title, questions, minutes, day, at, tz, update, agenda, downloads, md_file, ics_file
    )


class AgendaHandlers:
    """Opening the agenda for the chosen expert, and redrafting it as the form changes."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def open_agenda(
        self,
        expert_id: str | None,
        minutes: int,
        day: str,
        at: str,
        tz: str,
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """Pre-select the questions this person fits, draft the agenda and show the Agenda tab."""
        expert = self.ctx.chosen(expert_id)
        mine, _ = expert_questions(session, expert.id)
        others = [q.text for q in session.questions if q.text not in mine]
        selected = (mine or others)[: max_questions(one_of(minutes, sorted(TIMINGS), "The chat length"))]
        title = f"### Coffee chat with {self.ctx.inert(expert_label(expert))}"
        agenda = self.make_agenda(expert.id, selected, minutes, day, at, tz, session, request)
        checkbox = gr.update(choices=[*mine, *others], value=selected)
        return (gr.Tabs(selected="agenda"), title, checkbox, *agenda)

    @handler
    def show_agenda(
        self,
        expert_id: str | None,
        minutes: int,
        day: str,
        at: str,
        tz: str,
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """The tab header was clicked: the chosen expert's agenda, unless it is already the one shown."""
        if not expert_id or session.is_drafted("agenda", expert_id):
            return (gr.skip(),) * SHOWN_OUTPUTS
        return self.open_agenda(expert_id, minutes, day, at, tz, session, request)[1:]

    @handler
    def make_agenda(
        self,
        expert_id: str | None,
        questions: list[str],
        minutes: int,
        day: str,
        at: str,
        tz: str,
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """The Markdown agenda, and .md and .ics files in this session's temp folder."""
        expert = self.ctx.chosen(expert_id)
        if not questions:
            raise user_error("Tick at least one question to talk about.")
        with user_errors():
            start = parse_start(day, at)
            _, evidence = expert_questions(session, expert.id)
            agenda = self.ctx.service.agenda(
                expert.id,
                questions,
                minutes=one_of(minutes, sorted(TIMINGS), "The chat length"),
                start=start,
                tz=(tz or DEFAULT_TZ).strip(),
                wish=session.wish,
                answers=session.answers,
                evidence=evidence,
            )
        markdown_file, ics_file = write_agenda_files(agenda, download_dir(request.session_hash))
        session.mark_drafted("agenda", expert.id)
        return (
            safe_markdown(agenda.markdown, self.ctx.settings.link_allowlist),
            str(markdown_file),  # plain paths, so API clients download the files too
            str(ics_file) if ics_file else None,
            gr.update(visible=True),
            session,
        )

    @handler
    def stale_agenda(self) -> tuple[Any, ...]:
        """The last redraft failed: what is shown no longer matches the form, so it goes."""
        return (STALE, None, None, gr.update(visible=False))


def wire(ctx: WebContext, frame: Frame, tab: AgendaTab, people: PeopleTab, demo: gr.Blocks) -> None:
    """The People tab's Agenda button, the tab header, redrafts on every form change, the browser's zone."""
    ui = AgendaHandlers(ctx)
    form = [tab.minutes, tab.day, tab.at, tab.tz]
    files = [tab.agenda, tab.md_file, tab.ics_file, tab.downloads, frame.session]
    opened = [tab.title, tab.questions, *files]

    def clear_on_failure(event: Any) -> None:
        event.failure(ui.stale_agenda, None, files[:4], api_visibility="private", queue=False)

    opened_event = people.open_agenda.click(
        ui.open_agenda,
        [people.expert, *form, frame.session],
        [frame.tabs, *opened],
        api_name="open_agenda",
        **ctx.offline,
    )
    shown = tab.tab.select(
        ui.show_agenda, [people.expert, *form, frame.session], opened, api_visibility="private", **ctx.offline
    )
    redrafted = gr.on(
        [
            tab.update.click,
            tab.minutes.input,
            tab.questions.input,
            tab.day.submit,
            tab.at.submit,
            tab.tz.submit,
        ],
        ui.make_agenda,
        [people.expert, tab.questions, *form, frame.session],
        files,
        api_name="agenda",
        **ctx.offline,
    )
    for event in (opened_event, shown, redrafted):
        clear_on_failure(event)
    # The browser's own time zone replaces the default; it runs in the page, so no API endpoint.
    demo.load(
        None, None, tab.tz, js="() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/London'"
    )
