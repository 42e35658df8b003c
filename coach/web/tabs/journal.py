"""The Journal tab: log a chat with anyone on any day, keep/answer/archive/delete questions, what next,
the timeline and exports. Each button is one journal transaction; a retried save adds nothing twice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from coach.journal.timeline import user_zone
from coach.models import QuestionStatus
from coach.web.cards import timeline_html
from coach.web.context import Frame, WebContext, handler, notify, user_error, user_errors
from coach.web.files import download_dir, write_private
from coach.web.journal_view import (
    chat_day,
    people_to_log,
    picked_ids,
    question_choices,
    questions_html,
)
from coach.web.session import CoachSession, expert_questions, parse_questions, text_lines
from coach.web.tabs.people import PeopleTab

BROWSER_ZONE = "() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'"
BROWSER_TODAY = "() => new Date().toLocaleDateString('sv')"  # the browser's own date, as YYYY-MM-DD


@dataclass(frozen=True)
class JournalTab:
    tab: gr.Tab
    find: gr.Textbox
    expert: gr.Dropdown
    day: gr.Textbox
    happened: gr.Radio
    covered: gr.Dropdown
    takeaways: gr.Textbox
    referrals: gr.Textbox
    follow_ups: gr.Textbox
    save_chat: gr.Button
    thank_you: gr.Textbox
    ideas: gr.Radio
    explore: gr.Button
    questions: gr.HTML
    pick: gr.Dropdown
    mark: gr.Button
    archive: gr.Button
    delete: gr.Button
    timeline: gr.HTML
    export_md: gr.DownloadButton
    export_json: gr.DownloadButton
    tz: gr.Textbox
    key: gr.Textbox


def layout() -> JournalTab:
    """Logging a chat on the left, what next and the questions by wish on the right, the timeline below."""
    with gr.Tab("Journal", id="journal", elem_id="qc-tab-journal") as tab:
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                gr.Markdown("### Log a chat")
                find = gr.Textbox(
                    label="Find someone", placeholder="A name, team or topic", elem_id="qc-j-find"
                )
                expert = gr.Dropdown([], label="Who did you talk to?", filterable=True, elem_id="qc-j-expert")
                with gr.Row():
                    day = gr.Textbox(
                        label="When?", placeholder="YYYY-MM-DD (empty: today)", elem_id="qc-j-date"
                    )
                    happened = gr.Radio(
                        [("Yes, we talked", "yes"), ("No, it didn't happen", "no")],
                        value="yes",
                        label="Did it happen?",
                        elem_id="qc-j-happened",
                    )
                covered = gr.Dropdown(
                    [],
                    multiselect=True,
                    label="Which of your questions did it answer?",
                    elem_id="qc-j-covered",
                )
                takeaways = gr.Textbox(
                    label="What did you learn?", lines=3, placeholder="One per line", elem_id="qc-j-learned"
                )
                referrals = gr.Textbox(
                    label="Who else should you ask?",
                    lines=2,
                    placeholder="One name per line",
                    elem_id="qc-j-refs",
                )
                follow_ups = gr.Textbox(
                    label="What new question came up?",
                    lines=2,
                    placeholder="One per line",
                    elem_id="qc-j-new",
                )
                save_chat = gr.Button("Save to journal", variant="primary", elem_id="qc-j-save")
                thank_you = gr.Textbox(
                    label="Thank-you note (edit, then copy)",
                    lines=6,
                    buttons=["copy"],
                    interactive=True,
                    elem_id="qc-j-thanks",
                )
            with gr.Column(scale=2, min_width=280):
                gr.Markdown("### What next?")
                ideas = gr.Radio([], label="Suggested next questions", elem_id="qc-j-ideas")
                explore = gr.Button("Find people for this question", size="sm", elem_id="qc-j-explore")
                gr.Markdown("### Your questions")
                questions = gr.HTML(questions_html_empty(), elem_id="qc-j-questions")
                pick = gr.Dropdown([], multiselect=True, label="Select questions", elem_id="qc-j-pick")
                with gr.Row():
                    mark = gr.Button("Mark answered", size="sm", elem_id="qc-j-mark")
                    archive = gr.Button("Archive", size="sm", elem_id="qc-j-archive")
                    delete = gr.Button("Delete", size="sm", variant="stop", elem_id="qc-j-delete")
        gr.Markdown("### Timeline")
        timeline = gr.HTML(timeline_html([]), elem_id="qc-j-timeline")
        with gr.Row():
            export_md = gr.DownloadButton("Export journal (.md)", size="sm", elem_id="qc-j-export-md")
            export_json = gr.DownloadButton("Back up journal (.json)", size="sm", elem_id="qc-j-export-json")
        tz = gr.Textbox("UTC", visible=False, elem_id="qc-j-tz")
        key = gr.Textbox(lambda: uuid.uuid4().hex, visible=False, elem_id="qc-j-key")
    return JournalTab(
        tab, find, expert, day, happened, covered, takeaways, referrals, follow_ups, save_chat, thank_you,
        ideas, explore, questions, pick, mark, archive, delete, timeline, export_md, export_json, tz, key,
    )  # fmt: skip


def questions_html_empty() -> str:
    return '<div class="qc-empty">Open the tab to see your questions.</div>'


class JournalHandlers:
    """The journal view, logging a chat, acting on questions, keeping questions, exports, exploring."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @handler
    def journal_view(
        self, expert_id: str | None, session: CoachSession, tz: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        """Timeline, questions by wish, pickers (anyone in the index; any open question) and what next."""
        user = self.ctx.user_id(request)
        with user_errors():
            zone = user_zone(tz)
            snapshot = self.ctx.journal.snapshot(user)
            events = self.ctx.journal.timeline(user, zone)
            suggestions = self.ctx.service.what_next(user)
        session.suggestions = [s.question for s in suggestions]
        ideas = [(f"{s.question.text} ({s.reason})", str(i)) for i, s in enumerate(suggestions)]
        people = people_to_log(self.ctx.service.index, session, snapshot)
        ids = [pid for _, pid in people]
        chosen = expert_id if expert_id in ids else (ids[0] if ids else None)
        still_open = question_choices(snapshot, open_only=True)
        return (
            session,
            timeline_html(events),
            questions_html(snapshot),
            gr.update(choices=question_choices(snapshot, open_only=False), value=[]),
            gr.update(choices=still_open, value=self.covered_by(chosen, session, still_open)),
            gr.update(choices=ideas, value=ideas[0][1] if ideas else None),
            gr.update(choices=people, value=chosen),
        )

    @handler
    def find_people(self, query: str, current: str | None, session: CoachSession, request: gr.Request) -> Any:
        """Anyone in the index by name, team or topic, for logging a chat days later."""
        with user_errors():
            snapshot = self.ctx.journal.snapshot(self.ctx.user_id(request))
            people = people_to_log(self.ctx.service.index, session, snapshot, query or "")
        ids = [pid for _, pid in people]
        return gr.update(choices=people, value=current if current in ids else (ids[0] if ids else None))

    def covered_by(
        self, expert_id: str | None, session: CoachSession, still_open: Sequence[tuple[str, str]]
    ) -> list[str]:
        """Open journal questions this person was suggested for in this session: the chat's likely topics."""
        mine, _ = expert_questions(session, expert_id) if expert_id else ([], [])
        wanted = {text.casefold() for text in mine}
        return [qid for text, qid in still_open if text.casefold() in wanted]

    @handler
    def pick_expert(self, expert_id: str | None, session: CoachSession, request: gr.Request) -> Any:
        still_open = question_choices(self.ctx.journal.snapshot(self.ctx.user_id(request)), open_only=True)
        return gr.update(value=self.covered_by(expert_id, session, still_open))

    @handler
    def log_chat(
        self,
        expert_id: str | None,
        day: str,
        happened: str,
        takeaways: str,
        referrals: str,
        new_questions: str,
        covered: list[str],
        key: str,
        session: CoachSession,
        tz: str | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """Record how a chat went in one transaction, keyed by the form so a retry saves nothing twice;
        the thank-you note is drafted before anything is saved, so a failure there cannot half-save."""
        expert = self.ctx.chosen(expert_id)
        service = self.ctx.service
        learned, named = text_lines(takeaways), text_lines(referrals)
        with user_errors():
            zone = user_zone(tz)
            on = chat_day(day, zone)
            thanks = ""
            if happened != "no" and learned:
                note = service.follow_up(expert.id, learned[0], named[0] if named else None)
                thanks = f"Subject: {note.subject}\n\n{note.text}" if note.subject else note.text
            self.ctx.journal.log_chat(
                self.ctx.user_id(request),
                expert.id,
                expert.name,
                happened != "no",
                learned,
                [service.referral(line) for line in named],
                text_lines(new_questions),
                picked_ids(covered),
                on=on,
                uid=(key or "").strip() or None,
                tz=zone,
            )
        notify(f"Saved your chat with {expert.name} to the journal.")
        fresh_key = uuid.uuid4().hex  # the next form is a new chat
        return ("", "", "", thanks, "", fresh_key, *self.journal_view(expert.id, session, tz, request))

    @handler
    def change_questions(
        self,
        status: QuestionStatus | None,
        ids: list[str],
        expert_id: str | None,
        session: CoachSession,
        tz: str | None,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """Mark answered, archive (status) or delete (None) the selected questions."""
        chosen = picked_ids(ids)
        if not chosen:
            raise user_error("Select one or more of your questions first.")
        user = self.ctx.user_id(request)
        with user_errors():
            for question_id in chosen:
                if status is None:
                    self.ctx.journal.delete_question(user, question_id)
                else:
                    self.ctx.journal.set_question_status(user, question_id, status)
        return self.journal_view(expert_id, session, tz, request)

    @handler
    def keep(self, table: Any, session: CoachSession, request: gr.Request) -> str:
        """Keep the questions in the Coach tab's list in the journal, under the wish (once each)."""
        with user_errors():
            questions = parse_questions(table, session.questions)
            kept = self.ctx.service.keep(self.ctx.user_id(request), session.wish, questions)
        notify(f"Kept {len(kept)} question{'s' if len(kept) != 1 else ''} in your journal.")
        return f"Kept {len(kept)} in your journal (Journal tab)."

    @handler
    def export_journal(self, request: gr.Request) -> tuple[str, str]:
        """This user's journal as Markdown (to read) and JSON (to back up; `coach journal import` restores it)."""
        user = self.ctx.user_id(request)
        folder = download_dir(request.session_hash)
        with user_errors():
            markdown, document = self.ctx.journal.export_markdown(user), self.ctx.journal.export_json(user)
        markdown_file = write_private(folder / "learning-journal.md", markdown)
        json_file = write_private(folder / "learning-journal.json", document)
        return str(markdown_file), str(json_file)

    @handler
    def explore(self, pick: str | None, session: CoachSession, request: gr.Request) -> tuple[Any, ...]:
        """Take a suggested next question back into matching."""
        choice = str(pick).strip() if pick is not None else ""
        if not (choice.isdecimal() and len(choice) < 4 and int(choice) < len(session.suggestions)):
            raise user_error("Pick one of the suggested questions first.")
        session.questions = [session.suggestions[int(choice)]]
        user = self.ctx.user_id(request)
        with user_errors():
            session.matches = self.ctx.service.match(session.questions, filters=session.filters, user_id=user)
        return (session, gr.Tabs(selected="people"), *self.ctx.views(session))


def wire(
    ctx: WebContext,
    frame: Frame,
    tab: JournalTab,
    people: PeopleTab,
    views: Sequence[Any],
    keep: tuple[gr.Button, gr.Dataframe, gr.Markdown],
    demo: gr.Blocks,
) -> None:
    """Opening the tab, finding people, logging a chat, acting on questions, keeping, exports, exploring."""
    ui = JournalHandlers(ctx)
    s = frame.session
    journal_out = [s, tab.timeline, tab.questions, tab.pick, tab.covered, tab.ideas, tab.expert]
    # The browser's zone and date, so a chat's date and the timeline agree with the person's calendar.
    demo.load(None, None, tab.tz, js=BROWSER_ZONE)
    demo.load(None, None, tab.day, js=BROWSER_TODAY)
    tab.tab.select(
        ui.journal_view, [people.expert, s, tab.tz], journal_out, api_name="journal", **ctx.offline
    )
    gr.on(
        [tab.find.submit, tab.find.input],
        ui.find_people,
        [tab.find, tab.expert, s],
        tab.expert,
        api_name="journal_people",
        trigger_mode="always_last",
        **ctx.offline,
    )
    tab.expert.input(ui.pick_expert, [tab.expert, s], tab.covered, api_visibility="private", **ctx.offline)
    exports = [tab.export_md, tab.export_json]
    tab.tab.select(ui.export_journal, None, exports, api_name="export_journal", **ctx.offline)
    form = [tab.expert, tab.day, tab.happened, tab.takeaways, tab.referrals, tab.follow_ups, tab.covered]
    tab.save_chat.click(
        ui.log_chat,
        [*form, tab.key, s, tab.tz],
        [tab.takeaways, tab.referrals, tab.follow_ups, tab.thank_you, tab.find, tab.key, *journal_out],
        api_name="log_chat",
        **ctx.coach,
    ).then(ui.export_journal, None, exports, api_visibility="private", **ctx.offline)
    actions = [
        (tab.mark, QuestionStatus.answered, "mark_answered"),
        (tab.archive, QuestionStatus.dropped, "archive_questions"),
        (tab.delete, None, "delete_questions"),
    ]
    for button, status, name in actions:
        button.click(
            _bound(ui, status), [tab.pick, tab.expert, s, tab.tz], journal_out, api_name=name, **ctx.offline
        )
    tab.explore.click(ui.explore, [tab.ideas, s], [s, frame.tabs, *views], api_name="explore", **ctx.offline)
    button, table, note = keep
    button.click(ui.keep, [table, s], note, api_name="keep_questions", **ctx.offline)


def _bound(ui: JournalHandlers, status: QuestionStatus | None) -> Any:
    def act(
        ids: list[str], expert_id: str | None, session: CoachSession, tz: str | None, request: gr.Request
    ) -> tuple[Any, ...]:
        return ui.change_questions(status, ids, expert_id, session, tz, request)

    return act
