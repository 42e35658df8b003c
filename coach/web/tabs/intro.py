"""The Intro tab: a short, easy-to-decline message to the chosen expert, by channel and tone."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gradio as gr

from coach.agenda import TIMINGS
from coach.models import Channel, Tone
from coach.web.cards import expert_label, notice_html
from coach.web.context import NO_EXPERT, Frame, WebContext, handler, user_error, user_errors
from coach.web.render import fallback_text
from coach.web.session import CoachSession, expert_questions, one_of
from coach.web.tabs.people import PeopleTab

CHANNELS = [
    ("Email", Channel.email.value),
    ("Slack / Teams", Channel.slack.value),
    ("LinkedIn", Channel.linkedin.value),
]
SHOWN_OUTPUTS = 5  # title, subject, body, notice, session
TONES = [("Warm", Tone.warm.value), ("Concise", Tone.concise.value), ("Formal", Tone.formal.value)]


@dataclass(frozen=True)
class IntroTab:
    tab: gr.Tab
    title: gr.Markdown
    channel: gr.Radio
    tone: gr.Radio
    your_name: gr.Textbox
    about_you: gr.Textbox
    redraft: gr.Button
    subject: gr.Textbox
    body: gr.Textbox
    sent: gr.Button
    sent_note: gr.Markdown


def layout() -> IntroTab:
    """Channel, tone, who you are, and the editable subject and message."""
    with gr.Tab("Intro", id="intro", elem_id="qc-tab-intro") as tab:
        title = gr.Markdown(NO_EXPERT, elem_id="qc-intro-title")
        with gr.Row():
            channel = gr.Radio(CHANNELS, value=Channel.email.value, label="Channel", elem_id="qc-channel")
            tone = gr.Radio(TONES, value=Tone.warm.value, label="Tone", elem_id="qc-tone")
        with gr.Row():
            your_name = gr.Textbox(label="Your name", placeholder="Alex", elem_id="qc-your-name")
            about_you = gr.Textbox(
                label="About you", placeholder="I'm on the self-publishing team", elem_id="qc-about-you"
            )
        redraft = gr.Button("Redraft", size="sm", elem_id="qc-redraft")
        subject = gr.Textbox(label="Subject", buttons=["copy"], interactive=True, elem_id="qc-subject")
        body = gr.Textbox(label="Message", lines=9, buttons=["copy"], interactive=True, elem_id="qc-body")
        with gr.Row(equal_height=True):
            # Only this counts as an ask: drafts and copies do not (the person may never send them).
            sent = gr.Button("Mark as sent", size="sm", scale=0, min_width=140, elem_id="qc-sent")
            sent_note = gr.Markdown(
                "Sent it? Mark it, so the coach spreads requests and keeps these questions in your journal.",
                elem_id="qc-sent-note",
            )
    return IntroTab(tab, title, channel, tone, your_name, about_you, redraft, subject, body, sent, sent_note)


class IntroHandlers:
    """Opening the intro for the chosen expert, and redrafting it."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def open_intro(
        self,
        expert_id: str | None,
        channel: str,
        tone: str,
        name: str,
        context: str,
        minutes: int,
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        expert = self.ctx.chosen(expert_id)
        title = f"### Message to {self.ctx.inert(expert_label(expert))}"
        draft = self.draft_intro(expert.id, channel, tone, name, context, minutes, session, request)
        return (gr.Tabs(selected="intro"), title, *draft)

    @handler
    def show_intro(
        self,
        expert_id: str | None,
        channel: str,
        tone: str,
        name: str,
        context: str,
        minutes: int,
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """The tab header was clicked: a message to the chosen expert, unless it is already the one shown
        (so edits to it survive a look at another tab)."""
        if not expert_id or session.is_drafted("intro", expert_id):
            return (gr.skip(),) * SHOWN_OUTPUTS
        return self.open_intro(expert_id, channel, tone, name, context, minutes, session, request)[1:]

    @handler
    def draft_intro(
        self,
        expert_id: str | None,
        channel: str,
        tone: str,
        name: str,
        context: str,
        minutes: int,
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """A short, easy-to-decline message; the subject line only for email."""
        expert = self.ctx.chosen(expert_id)
        questions, evidence = expert_questions(session, expert.id)
        questions = questions or [q.text for q in session.questions[:1]]
        if not questions:
            raise user_error("Ask the coach first: the message names the question you want to ask.")
        with user_errors():
            result = self.ctx.service.intro(
                expert.id,
                questions[:2],
                channel=one_of(channel or Channel.email, list(Channel), "The channel"),
                tone=one_of(tone or Tone.warm, list(Tone), "The tone"),
                requester_name=(name or "").strip()[:200],
                requester_context=(context or "").strip()[:400],
                evidence=evidence,
                minutes=one_of(minutes or 20, sorted(TIMINGS), "The chat length"),
                topic=next((q.topic for q in session.questions if q.text == questions[0]), ""),
            )
        session.mark_drafted("intro", expert.id)
        subject = gr.update(value=result.message.subject, visible=result.message.channel is Channel.email)
        return (subject, result.message.text, notice_html(fallback_text(result.fallback)), session)

    @handler
    def mark_sent(self, expert_id: str | None, session: CoachSession, request: gr.Request) -> str:
        """The request went out: count one ask of this person (across instances) and keep its questions."""
        expert = self.ctx.chosen(expert_id)
        questions, _ = expert_questions(session, expert.id)
        questions = questions or [q.text for q in session.questions[:1]]
        with user_errors():
            counted = self.ctx.service.mark_sent(
                self.ctx.user_id(request), expert.id, questions[:2], wish=session.wish
            )
        name = self.ctx.inert(expert.name)
        if counted:
            return (
                f"Marked as sent to {name}. The questions are in your journal; log the chat there after it."
            )
        return f"Already marked as sent to {name} this week; it counts once."


def wire(ctx: WebContext, frame: Frame, tab: IntroTab, people: PeopleTab, minutes: gr.Radio) -> None:
    """The People tab's Intro button, the tab header, and redrafts on channel, tone and who-you-are changes."""
    ui = IntroHandlers(ctx)
    intro_in = [people.expert, tab.channel, tab.tone, tab.your_name, tab.about_you, minutes, frame.session]
    intro_out = [tab.subject, tab.body, frame.notice, frame.session]
    people.open_intro.click(
        ui.open_intro, intro_in, [frame.tabs, tab.title, *intro_out], api_name="open_intro", **ctx.coach
    )
    tab.tab.select(ui.show_intro, intro_in, [tab.title, *intro_out], api_visibility="private", **ctx.coach)
    gr.on(
        [tab.channel.input, tab.tone.input, tab.redraft.click, tab.your_name.submit, tab.about_you.submit],
        ui.draft_intro,
        intro_in,
        intro_out,
        api_name="intro",
        **ctx.coach,
    )
    tab.sent.click(
        ui.mark_sent, [people.expert, frame.session], tab.sent_note, api_name="mark_sent", **ctx.offline
    )
