"""The Coach tab: the chat that turns a wish into questions, and the editable question list."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from coach.models import MAX_WISH_CHARS
from coach.web.cards import notice_html, people_html
from coach.web.context import Frame, WebContext, explain, handler, user_error, user_errors
from coach.web.escaping import safe_markdown
from coach.web.history import ChatTurn, as_messages, normalise_history
from coach.web.render import clarification_reply, fallback_text, questions_reply
from coach.web.session import CoachSession, parse_questions, table_rows

EXAMPLES = (
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing.",
    "I'm a new manager and want to get better at giving feedback",
    "I'd like to move from customer support into product management",
)
PLACEHOLDER = (
    "### What do you want to learn next?\nDescribe it in a sentence. The coach turns it "
    "into a few concrete questions and finds colleagues who could answer them over coffee."
)


@dataclass(frozen=True)
class ChatTab:
    chatbot: gr.Chatbot
    message: gr.Textbox
    new_wish: gr.Button
    questions: gr.Dataframe
    added: gr.Textbox
    add: gr.Button
    find: gr.Button
    keep: gr.Button
    note: gr.Markdown


def layout() -> ChatTab:
    """The chat on the left, the question list on the right; call inside `gr.Tabs`."""
    with gr.Tab("Coach", id="coach", elem_id="qc-tab-coach"), gr.Row(equal_height=False):
        with gr.Column(scale=3, min_width=320):
            chatbot = gr.Chatbot(
                elem_id="qc-chat",
                label="Coach",
                show_label=False,
                height=500,
                sanitize_html=True,
                allow_tags=False,
                buttons=["copy"],
                feedback_options=None,
                placeholder=PLACEHOLDER,
                examples=[{"text": text} for text in EXAMPLES],
            )
            message = gr.Textbox(
                placeholder="What do you want to learn? e.g. how our sales team forecasts",
                show_label=False,
                max_lines=4,
                max_length=MAX_WISH_CHARS,
                submit_btn="Send",
                elem_id="qc-message",
            )
        with gr.Column(scale=2, min_width=300, elem_id="qc-questions-panel"):
            with gr.Row(equal_height=True, elem_classes=["qc-panel-head"]):
                gr.Markdown("### Your questions")
                new_wish = gr.Button("New wish", size="sm", scale=0, min_width=96, elem_id="qc-new")
            questions = gr.Dataframe(
                value=[[""]],
                headers=["Question"],
                column_count=1,
                datatype="str",
                type="array",
                interactive=True,
                wrap=True,
                show_label=False,
                elem_id="qc-questions",
            )
            with gr.Row(equal_height=True):
                added = gr.Textbox(
                    placeholder="Add your own question", show_label=False, scale=4, elem_id="qc-add-text"
                )
                add = gr.Button("Add", size="sm", scale=0, min_width=64, elem_id="qc-add")
            gr.Markdown("Click a question to edit it; clear it to remove it.", elem_classes=["qc-hint"])
            with gr.Row(equal_height=True):
                find = gr.Button("Find people", variant="primary", scale=2, elem_id="qc-find")
                keep = gr.Button("Keep in journal", scale=1, elem_id="qc-keep")  # wired by the Journal tab
            note = gr.Markdown(elem_id="qc-questions-note")
    return ChatTab(chatbot, message, new_wish, questions, added, add, find, keep, note)


class ChatHandlers:
    """A chat turn (streamed), a new wish, and matching the edited question list."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def respond(
        self, message: str, history: Any, session: CoachSession, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """One chat turn, streamed: a wish, or the answer to a clarifying question."""
        text = " ".join((message or "").split())
        if not text:
            raise user_error("Type a few words about what you want to learn first.")
        if len(text) > MAX_WISH_CHARS:
            raise user_error(f"That message has {len(text)} characters; keep it under {MAX_WISH_CHARS}.")
        turns = normalise_history(history)
        if not turns or session.clarification is None:  # an empty chat or a settled one: a new wish
            session = session.restart(wish=text)
        else:
            session.answers.append(text)
        turns = [*turns, ChatTurn("user", self.ctx.inert(text))]
        # Streamed chunks carry plain values (the views of the turn in progress, i.e. cleared) rather than
        # gr.skip(): Gradio builds a whole component for every update dict, skips included.
        later = ("", [[""]], "", people_html([]), None)
        yield (as_messages([*turns, ChatTurn("assistant", "…")]), "", session, *later)
        service = self.ctx.service
        try:
            step = service.step(session.wish, session.answers)
            session.clarification = step.clarification
            if step.clarification is not None:
                lines = clarification_reply(step.clarification)
            else:  # show the questions while the people are being matched
                session.questions = step.questions
                partial = self.reply(turns, first_part(questions_reply(step.questions, [])))
                yield (partial, "", session, *later)
                user = self.ctx.user_id(request)
                session.matches = service.match(step.questions, filters=session.filters, user_id=user)
                lines = questions_reply(session.questions, session.matches)
        except Exception as exc:  # say it in the chat too, so the turn does not hang on "…"
            said = explain(exc, "respond")
            yield (self.reply(turns, [said], escape=True), "", session, *later)
            raise user_error(said) from exc
        chat = self.reply(turns, lines)
        if step.clarification is not None:  # the answers become buttons under the coach's question
            chat[-1]["options"] = [
                {"value": choice, "label": choice} for choice in step.clarification.choices
            ]
        yield (chat, "", session, notice_html(fallback_text(step.fallback)), *self.ctx.views(session))

    def reply(self, turns: list[ChatTurn], lines: list[str], *, escape: bool = False) -> list[dict[str, Any]]:
        """The chat with the coach's reply (Markdown lines, or plain text when `escape`) appended."""
        text = self.ctx.inert(" ".join(lines)) if escape else "\n".join(lines).strip()
        allowlist = self.ctx.settings.link_allowlist
        return as_messages([*turns, ChatTurn("assistant", safe_markdown(text, allowlist))])

    @handler
    def choose(
        self, history: Any, session: CoachSession, option: gr.SelectData, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """A clicked answer to the clarifying question is a chat turn like a typed one."""
        yield from self.respond(str(option.value), history, session, request)

    @handler
    def new_wish(self, session: CoachSession) -> tuple[Any, ...]:
        fresh = session.restart()
        return ([], "", fresh, notice_html(""), *self.ctx.views(fresh))

    @handler
    def find_people(self, table: Any, session: CoachSession, request: gr.Request) -> tuple[Any, ...]:
        """Match the edited questions, then show the People tab."""
        with user_errors():
            session.questions = parse_questions(table, session.questions)
            user = self.ctx.user_id(request)
            session.matches = self.ctx.service.match(session.questions, filters=session.filters, user_id=user)
        return (session, gr.Tabs(selected="people"), *self.ctx.views(session))

    @handler
    def add_question(self, text: str, table: Any) -> tuple[Any, ...]:
        text = " ".join((text or "").split())
        if not text:
            raise user_error("Type the question to add first.")
        return [[row] for row in [*table_rows(table), text]], ""


def wire(ctx: WebContext, frame: Frame, tab: ChatTab, views: Sequence[Any]) -> None:
    """Chat turns, example and answer clicks, new wish, adding a question, and Find people."""
    ui = ChatHandlers(ctx)
    chat_out = [tab.chatbot, tab.message, frame.session, frame.notice, *views]
    chat: dict[str, Any] = {"outputs": chat_out, **ctx.coach}
    chat_in = [tab.message, tab.chatbot, frame.session]
    tab.message.submit(ui.respond, chat_in, api_name="chat", **chat)
    tab.chatbot.option_select(ui.choose, [tab.chatbot, frame.session], api_visibility="private", **chat)
    tab.chatbot.example_select(_example_text, None, tab.message, api_visibility="private", queue=False).then(
        ui.respond, chat_in, api_visibility="private", **chat
    )
    tab.new_wish.click(ui.new_wish, frame.session, chat_out, api_name="new_wish", **ctx.offline)
    tab.chatbot.clear(ui.new_wish, frame.session, chat_out, api_visibility="private", **ctx.offline)

    people_out = [frame.session, frame.tabs, *views]
    tab.find.click(
        ui.find_people, [tab.questions, frame.session], people_out, api_name="find_people", **ctx.offline
    )
    for trigger in (tab.add.click, tab.added.submit):
        trigger(
            ui.add_question,
            [tab.added, tab.questions],
            [tab.questions, tab.added],
            api_visibility="private",
            **ctx.offline,
        )


def first_part(lines: list[str]) -> list[str]:
    """The reply up to its second paragraph break: the opening line and the numbered questions."""
    breaks = [i for i, line in enumerate(lines) if not line]
    return lines[: breaks[1]] if len(breaks) > 1 else lines


@handler
def _example_text(event: gr.SelectData) -> str:
    value = event.value
    return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")
