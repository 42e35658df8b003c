"""The People tab: expert cards per question, the filters, and the expert picker that Agenda and Intro use."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from coach.web.cards import people_html
from coach.web.context import Frame, WebContext, handler, user_errors
from coach.web.session import ANY, CoachSession, build_filters

AVAILABILITY = [("Open", "open"), ("Limited", "limited"), ("Unavailable", "unavailable")]


@dataclass(frozen=True)
class PeopleTab:
    availability: gr.CheckboxGroup
    location: gr.Dropdown
    department: gr.Dropdown
    language: gr.Dropdown
    expert: gr.Dropdown
    open_agenda: gr.Button
    open_intro: gr.Button
    cards: gr.HTML


def layout(facets: dict[str, list[str]]) -> PeopleTab:
    """Filters (choices from the index's facets), the expert picker with its buttons, and the cards."""
    with gr.Tab("People", id="people", elem_id="qc-tab-people"):
        with gr.Row(elem_id="qc-filters"):
            availability = gr.CheckboxGroup(
                AVAILABILITY, value=[v for _, v in AVAILABILITY], label="Availability", elem_id="qc-f-avail"
            )
            location = gr.Dropdown(
                [ANY, *facets["location"]], value=ANY, label="Location", elem_id="qc-f-loc"
            )
            department = gr.Dropdown(
                [ANY, *facets["department"]], value=ANY, label="Department", elem_id="qc-f-dept"
            )
            language = gr.Dropdown(
                [ANY, *facets["language"]], value=ANY, label="Language", elem_id="qc-f-lang"
            )
        with gr.Row(equal_height=False, elem_id="qc-actions"):
            expert = gr.Dropdown([], label="Choose expert", scale=3, min_width=240, elem_id="qc-expert")
            open_agenda = gr.Button("Agenda →", scale=1, min_width=110, elem_id="qc-open-agenda")
            open_intro = gr.Button("Intro →", scale=1, min_width=110, elem_id="qc-open-intro")
        cards = gr.HTML(people_html([]), elem_id="qc-people")
    return PeopleTab(availability, location, department, language, expert, open_agenda, open_intro, cards)


class PeopleHandlers:
    """Matching again when a filter changes."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def refilter(
        self, availability: list[str], location: str, department: str, language: str, session: CoachSession
    ) -> tuple[Any, ...]:
        session.filters = build_filters(availability, location, department, language)
        if session.questions:
            with user_errors():
                session.matches = self.ctx.service.match(session.questions, filters=session.filters)
        return (session, *self.ctx.views(session)[2:])


def wire(ctx: WebContext, frame: Frame, tab: PeopleTab) -> None:
    """Any filter change matches the session's questions again."""
    ui = PeopleHandlers(ctx)
    filters = [tab.availability, tab.location, tab.department, tab.language]
    gr.on(
        [tab.availability.input, tab.location.input, tab.department.input, tab.language.input],
        ui.refilter,
        [*filters, frame.session],
        [frame.session, tab.cards, tab.expert],
        api_name="filter_people",
        **ctx.offline,
    )
