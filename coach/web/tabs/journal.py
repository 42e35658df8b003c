"""The Journal tab: log a chat, get a thank-you note, see the timeline and what next, export the journal."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import gradio as gr

from coach.models import QuestionStatus
from coach.web.cards import timeline_html
from coach.web.context import Frame, WebContext, user_errors
from coach.web.session import CoachSession, download_dir, expert_questions, remember, text_lines
from coach.web.tabs.people import PeopleTab


@dataclass(frozen=True)
class JournalTab:
    tab: gr.Tab
    expert: gr.Dropdown
    happened: gr.Radio
    covered: gr.CheckboxGroup
    takeaways: gr.Textbox
    referrals: gr.Textbox
    follow_ups: gr.Textbox
    save_chat: gr.Button
    thank_you: gr.Textbox
    ideas: gr.Radio
    explore: gr.Button
    open_questions: gr.CheckboxGroup
    mark: gr.Button
    timeline: gr.HTML
    export_md: gr.DownloadButton
    export_json: gr.DownloadButton


def layout() -> JournalTab:
    """Logging a chat on the left, what next and open questions on the right, the timeline below."""
    with gr.Tab("Journal", id="journal", elem_id="qc-tab-journal") as tab:
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                gr.Markdown("### Log a chat")
                expert = gr.Dropdown([], label="Who did you talk to?", elem_id="qc-j-expert")
                happened = gr.Radio(
                    [("Yes, we talked", "yes"), ("No, it didn't happen", "no")],
                    value="yes",
                    label="Did it happen?",
                    elem_id="qc-j-happened",
                )
                covered = gr.CheckboxGroup([], label="Which questions did it answer?", elem_id="qc-j-covered")
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
                open_questions = gr.CheckboxGroup([], label="Open questions", elem_id="qc-j-open")
                mark = gr.Button("Mark as answered", size="sm", elem_id="qc-j-mark")
        gr.Markdown("### Timeline")
        timeline = gr.HTML(timeline_html([]), elem_id="qc-j-timeline")
        with gr.Row():
            export_md = gr.DownloadButton("Export journal (.md)", size="sm", elem_id="qc-j-export-md")
            export_json = gr.DownloadButton("Back up journal (.json)", size="sm", elem_id="qc-j-export-json")
    return JournalTab(
        tab,
        expert,
        happened,
        covered,
        takeaways,
        referrals,
        follow_ups,
        save_chat,
        thank_you,
        ideas,
        explore,
        open_questions,
        mark,
        timeline,
        export_md,
        export_json,
    )


class JournalHandlers:
    """The journal view, logging a chat, marking questions answered, exports, and exploring an idea."""

    def __init__(self, ctx: WebContext) -> None:
        self.ctx = ctx

    def journal_view(
        self, expert_id: str | None, session: CoachSession, request: gr.Request
    ) -> tuple[Any, ...]:
        """Timeline, open questions (to tick off or to mark as covered) and next-question ideas."""
        user = self.ctx.user_id(request)
        journal = self.ctx.journal
        with user_errors():
            events = journal.timeline(user)
            open_questions = [(q.text, str(q.id)) for q in journal.open_questions(user)]
            suggestions = self.ctx.service.what_next(user)
        session.suggestions = [s.question for s in suggestions]
        ideas = [(f"{s.question.text} ({s.reason})", str(i)) for i, s in enumerate(suggestions)]
        picker = self.ctx.picker(session, expert_id)
        return (
            session,
            timeline_html(events),
            gr.update(choices=open_questions, value=[]),
            gr.update(choices=open_questions, value=self.covered_by(picker["value"], session, request)),
            gr.update(choices=ideas, value=ideas[0][1] if ideas else None),
            picker,
        )

    def covered_by(self, expert_id: str | None, session: CoachSession, request: gr.Request) -> list[str]:
        """Open journal questions this person was suggested for: the likely topics of the chat."""
        mine, _ = expert_questions(session, expert_id) if expert_id else ([], [])
        still_open = {q.id for q in self.ctx.journal.open_questions(self.ctx.user_id(request))}
        ids = [session.journal_questions.get(text) for text in mine]
        return [str(qid) for qid in ids if qid in still_open]

    def log_chat(
        self,
        expert_id: str | None,
        happened: str,
        takeaways: str,
        referrals: str,
        new_questions: str,
        covered: list[str],
        session: CoachSession,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """Record how a chat went: takeaways, referrals, new questions; covered questions become answered.

        Also drafts a thank-you note that names a takeaway and the first referral.
        """
        expert = self.ctx.chosen(expert_id)
        service = self.ctx.service
        learned, named = text_lines(takeaways), text_lines(referrals)
        with user_errors():
            self.ctx.journal.log_chat(
                self.ctx.user_id(request),
                expert.id,
                expert.name,
                happened != "no",
                learned,
                [service.referral(line) for line in named],
                text_lines(new_questions),
                [int(q) for q in covered or []],
            )
            thanks = ""
            if happened != "no" and learned:
                note = service.follow_up(expert.id, learned[0], named[0] if named else None)
                thanks = f"Subject: {note.subject}\n\n{note.text}" if note.subject else note.text
        gr.Info(f"Saved your chat with {expert.name} to the journal.")
        return ("", "", "", thanks, *self.journal_view(expert.id, session, request))

    def export_journal(self, request: gr.Request) -> tuple[str, str]:
        """This user's journal as Markdown (to read) and JSON (to back up; `coach journal import` restores it)."""
        user = self.ctx.user_id(request)
        folder = download_dir(request.session_hash)
        with user_errors():
            markdown, document = self.ctx.journal.export_markdown(user), self.ctx.journal.export_json(user)
        (folder / "learning-journal.md").write_text(markdown, encoding="utf-8")
        (folder / "learning-journal.json").write_text(document, encoding="utf-8")
        return str(folder / "learning-journal.md"), str(folder / "learning-journal.json")

    def mark_answered(
        self, ids: list[str], expert_id: str | None, session: CoachSession, request: gr.Request
    ) -> tuple[Any, ...]:
        if not ids:
            raise gr.Error("Tick the questions that have been answered first.")
        with user_errors():
            for question_id in ids:
                self.ctx.journal.set_question_status(
                    self.ctx.user_id(request), int(question_id), QuestionStatus.answered
                )
        return self.journal_view(expert_id, session, request)

    def explore(self, pick: str | None, session: CoachSession, request: gr.Request) -> tuple[Any, ...]:
        """Take a suggested next question back into matching."""
        if pick is None or not str(pick).isdigit() or int(pick) >= len(session.suggestions):
            raise gr.Error("Pick one of the suggested questions first.")
        session.questions = [session.suggestions[int(pick)]]
        with user_errors():
            session.matches = self.ctx.service.match(session.questions, filters=session.filters)
        remember(self.ctx.journal, session, self.ctx.user_id(request))
        return (session, gr.Tabs(selected="people"), *self.ctx.views(session))


def wire(ctx: WebContext, frame: Frame, tab: JournalTab, people: PeopleTab, views: Sequence[Any]) -> None:
    """Opening the tab, logging a chat, marking questions answered, exports, and exploring an idea."""
    ui = JournalHandlers(ctx)
    journal_out = [frame.session, tab.timeline, tab.open_questions, tab.covered, tab.ideas, tab.expert]
    tab.tab.select(
        ui.journal_view, [people.expert, frame.session], journal_out, api_name="journal", **ctx.coach
    )
    tab.expert.input(
        ui.covered_by, [tab.expert, frame.session], tab.covered, api_visibility="private", **ctx.offline
    )
    exports = [tab.export_md, tab.export_json]
    tab.tab.select(ui.export_journal, None, exports, api_name="export_journal", **ctx.offline)
    tab.save_chat.click(
        ui.log_chat,
        [tab.expert, tab.happened, tab.takeaways, tab.referrals, tab.follow_ups, tab.covered, frame.session],
        [tab.takeaways, tab.referrals, tab.follow_ups, tab.thank_you, *journal_out],
        api_name="log_chat",
        **ctx.coach,
    ).then(ui.export_journal, None, exports, api_visibility="private", **ctx.offline)
    tab.mark.click(
        ui.mark_answered,
        [tab.open_questions, tab.expert, frame.session],
        journal_out,
        api_name="mark_answered",
        **ctx.coach,
    )
    tab.explore.click(
        ui.explore,
        [tab.ideas, frame.session],
        [frame.session, frame.tabs, *views],
        api_name="explore",
        **ctx.offline,
    )
