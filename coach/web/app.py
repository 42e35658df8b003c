"""The Gradio web app: event handlers, layout and launch; the only module that imports gradio."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from coach.agenda import escape_markdown, max_questions
from coach.config import Settings
from coach.errors import CoachError
from coach.journal.store import Journal, JournalError
from coach.models import MAX_WISH_CHARS, Channel, Mode, QuestionStatus, Tone
from coach.service import CoachService
from coach.web.cards import (
    CSS,
    HEAD,
    expert_choices,
    expert_label,
    header_html,
    notice_html,
    people_html,
    timeline_html,
)
from coach.web.history import ChatTurn, as_messages, normalise_history
from coach.web.render import (
    clarification_reply,
    fallback_text,
    import_report,
    questions_note,
    questions_reply,
    restrict_links,
)
from coach.web.session import (
    ANY,
    DEFAULT_TIME,
    CoachSession,
    build_filters,
    download_dir,
    expert_questions,
    next_weekday,
    parse_questions,
    parse_start,
    remember,
    staged_changes,
    table_rows,
    text_lines,
    write_agenda_files,
)
from vectorstore.models import ExpertProfile
from vectorstore.profiles import FORMATS, load_profiles

LLM_LIMIT = 4  # slow, rate-limited LLM turns
OFFLINE_LIMIT = 16  # matching, agenda, journal: milliseconds each, so they never queue behind the LLM
QUEUE_MAX = 128
DEFAULT_TZ = "Europe/London"
EXAMPLES = (
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing.",
    "I'm a new manager and want to get better at giving feedback",
    "I'd like to move from customer support into product management",
)
CHANNELS = [
    ("Email", Channel.email.value),
    ("Slack / Teams", Channel.slack.value),
    ("LinkedIn", Channel.linkedin.value),
]
TONES = [("Warm", Tone.warm.value), ("Concise", Tone.concise.value), ("Formal", Tone.formal.value)]
AVAILABILITY = [("Open", "open"), ("Limited", "limited"), ("Unavailable", "unavailable")]
NO_EXPERT = "### Choose someone under *People* first"
_PROGRESS = gr.Progress()  # Gradio injects a live tracker where a handler's default is a Progress


@contextmanager
def _user_errors() -> Iterator[None]:
    """Errors meant for the user become a Gradio error toast, here at the edge and nowhere else."""
    try:
        yield
    except (CoachError, JournalError) as exc:
        raise gr.Error(str(exc)) from exc


class CoachUI:
    """The event handlers, bound to the long-lived service, settings and journal."""

    def __init__(self, service: CoachService, settings: Settings, journal: Journal) -> None:
        self.service = service
        self.settings = settings
        self.journal = journal

    def user_id(self, request: gr.Request | None) -> str:
        """The Gradio login when COACH_AUTH is set, else the single local user."""
        name = getattr(request, "username", None) if request is not None else None
        return name if self.settings.auth is not None and name else "local"

    def inert(self, text: str) -> str:
        """Untrusted text as Markdown that renders literally, with off-allowlist links dropped too."""
        return restrict_links(escape_markdown(text), self.settings.link_allowlist)

    # --- chat

    def respond(
        self, message: str, history: Any, session: CoachSession, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """One chat turn, streamed: a wish, or the answer to a clarifying question."""
        text = " ".join((message or "").split())
        if not text:
            raise gr.Error("Type a few words about what you want to learn first.")
        if len(text) > MAX_WISH_CHARS:
            raise gr.Error(f"That message has {len(text)} characters; keep it under {MAX_WISH_CHARS}.")
        turns = normalise_history(history)
        if not turns or session.clarification is None:  # an empty chat or a settled one: a new wish
            session = session.restart(wish=text)
        else:
            session.answers.append(text)
        turns = [*turns, ChatTurn("user", self.inert(text))]
        # Streamed chunks carry plain values (the views of the turn in progress, i.e. cleared) rather than
        # gr.skip(): Gradio builds a whole component for every update dict, skips included.
        later = ("", [[""]], "", people_html([]), None)
        yield (as_messages([*turns, ChatTurn("assistant", "…")]), "", session, *later)
        try:
            step = self.service.step(session.wish, session.answers)
            session.clarification = step.clarification
            if step.clarification is not None:
                lines = clarification_reply(step.clarification)
            else:  # show the questions while the people are being matched
                session.questions = step.questions
                yield (
                    self.reply(turns, _first_part(questions_reply(step.questions, []))),
                    "",
                    session,
                    *later,
                )
                session.matches = self.service.match(step.questions, filters=session.filters)
                remember(self.journal, session, self.user_id(request))
                lines = questions_reply(session.questions, session.matches)
        except CoachError as exc:  # say it in the chat too, so the turn does not hang on "…"
            yield (self.reply(turns, [str(exc)], escape=True), "", session, *later)
            raise gr.Error(str(exc)) from exc
        chat = self.reply(turns, lines)
        if step.clarification is not None:  # the answers become buttons under the coach's question
            chat[-1]["options"] = [
                {"value": choice, "label": choice} for choice in step.clarification.choices
            ]
        yield (chat, "", session, notice_html(fallback_text(step.fallback)), *self.views(session))

    def reply(self, turns: list[ChatTurn], lines: list[str], *, escape: bool = False) -> list[dict[str, Any]]:
        """The chat with the coach's reply (Markdown lines, or plain text when `escape`) appended."""
        text = self.inert(" ".join(lines)) if escape else "\n".join(lines).strip()
        return as_messages(
            [*turns, ChatTurn("assistant", restrict_links(text, self.settings.link_allowlist))]
        )

    def choose(
        self, history: Any, session: CoachSession, option: gr.SelectData, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """A clicked answer to the clarifying question is a chat turn like a typed one."""
        yield from self.respond(str(option.value), history, session, request)

    def views(self, session: CoachSession) -> tuple[Any, ...]:
        """The question list, the cards and the expert picker, from the session."""
        return (
            [[q.text] for q in session.questions] or [[""]],
            questions_note(session.questions),
            people_html(session.matches),
            self.picker(session),
        )

    def picker(self, session: CoachSession, current: str | None = None) -> dict[str, Any]:
        """An expert dropdown offering the session's people; keeps `current` when it is still offered."""
        people = expert_choices(session.matches)
        ids = [pid for _, pid in people]
        return gr.update(choices=people, value=current if current in ids else (ids[0] if ids else None))

    def new_wish(self, session: CoachSession) -> tuple[Any, ...]:
        fresh = session.restart()
        return ([], "", fresh, notice_html(""), *self.views(fresh))

    # --- questions and people

    def find_people(self, table: Any, session: CoachSession, request: gr.Request) -> tuple[Any, ...]:
        """Match the edited questions, then show the People tab."""
        with _user_errors():
            session.questions = parse_questions(table, session.questions)
            session.matches = self.service.match(session.questions, filters=session.filters)
        remember(self.journal, session, self.user_id(request))
        return (session, gr.Tabs(selected="people"), *self.views(session))

    def add_question(self, text: str, table: Any) -> tuple[Any, ...]:
        text = " ".join((text or "").split())
        if not text:
            raise gr.Error("Type the question to add first.")
        return [[row] for row in [*table_rows(table), text]], ""

    def refilter(
        self, availability: list[str], location: str, department: str, language: str, session: CoachSession
    ) -> tuple[Any, ...]:
        session.filters = build_filters(availability, location, department, language)
        if session.questions:
            with _user_errors():
                session.matches = self.service.match(session.questions, filters=session.filters)
        return (session, *self.views(session)[2:])

    def chosen(self, expert_id: str | None) -> ExpertProfile:
        if not expert_id:
            raise gr.Error("Choose someone under People first.")
        with _user_errors():
            return self.service.expert(expert_id)

    # --- agenda

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
        expert = self.chosen(expert_id)
        mine, _ = expert_questions(session, expert.id)
        others = [q.text for q in session.questions if q.text not in mine]
        selected = (mine or others)[: max_questions(int(minutes))]
        title = f"### Coffee chat with {self.inert(expert_label(expert))}"
        agenda = self.make_agenda(expert.id, selected, minutes, day, at, tz, request)
        checkbox = gr.update(choices=[*mine, *others], value=selected)
        return (gr.Tabs(selected="agenda"), title, checkbox, *agenda, gr.update(visible=True))

    def make_agenda(
        self,
        expert_id: str | None,
        questions: list[str],
        minutes: int,
        day: str,
        at: str,
        tz: str,
        request: gr.Request,
    ) -> tuple[Any, ...]:
        """The Markdown agenda, and .md and .ics files in this session's temp folder."""
        expert = self.chosen(expert_id)
        if not questions:
            raise gr.Error("Tick at least one question to talk about.")
        with _user_errors():
            start = parse_start(day, at)
            agenda = self.service.agenda(
                expert.id, questions, minutes=int(minutes), start=start, tz=(tz or DEFAULT_TZ).strip()
            )
        markdown_file, ics_file = write_agenda_files(agenda, download_dir(request.session_hash))
        return (
            restrict_links(agenda.markdown, self.settings.link_allowlist),
            str(markdown_file),  # plain paths, so API clients download the files too
            str(ics_file) if ics_file else None,
        )

    # --- intro

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
        expert = self.chosen(expert_id)
        title = f"### Message to {self.inert(expert_label(expert))}"
        draft = self.draft_intro(expert.id, channel, tone, name, context, minutes, session, request)
        return (gr.Tabs(selected="intro"), title, *draft)

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
        expert = self.chosen(expert_id)
        questions, evidence = expert_questions(session, expert.id)
        questions = questions or [q.text for q in session.questions[:1]]
        if not questions:
            raise gr.Error("Ask the coach first: the message names the question you want to ask.")
        with _user_errors():
            result = self.service.intro(
                expert.id,
                questions[:2],
                channel=Channel(channel or Channel.email),
                tone=Tone(tone or Tone.warm),
                requester_name=(name or "").strip()[:200],
                requester_context=(context or "").strip()[:400],
                evidence=evidence,
                minutes=int(minutes or 20),
                user_id=self.user_id(request),
            )
        subject = gr.update(value=result.message.subject, visible=result.message.channel is Channel.email)
        return (subject, result.message.text, notice_html(fallback_text(result.fallback)))

    # --- journal

    def journal_view(
        self, expert_id: str | None, session: CoachSession, request: gr.Request
    ) -> tuple[Any, ...]:
        """Timeline, open questions (to tick off or to mark as covered) and next-question ideas."""
        user = self.user_id(request)
        with _user_errors():
            events = self.journal.timeline(user)
            open_questions = [(q.text, str(q.id)) for q in self.journal.open_questions(user)]
            suggestions = self.service.what_next(user)
        session.suggestions = [s.question for s in suggestions]
        ideas = [(f"{s.question.text} ({s.reason})", str(i)) for i, s in enumerate(suggestions)]
        picker = self.picker(session, expert_id)
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
        still_open = {q.id for q in self.journal.open_questions(self.user_id(request))}
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
        expert = self.chosen(expert_id)
        learned, named = text_lines(takeaways), text_lines(referrals)
        with _user_errors():
            self.journal.log_chat(
                self.user_id(request),
                expert.id,
                expert.name,
                happened != "no",
                learned,
                [self.service.referral(line) for line in named],
                text_lines(new_questions),
                [int(q) for q in covered or []],
            )
            thanks = ""
            if happened != "no" and learned:
                note = self.service.follow_up(expert.id, learned[0], named[0] if named else None)
                thanks = f"Subject: {note.subject}\n\n{note.text}" if note.subject else note.text
        gr.Info(f"Saved your chat with {expert.name} to the journal.")
        return ("", "", "", thanks, *self.journal_view(expert.id, session, request))

    def export_journal(self, request: gr.Request) -> tuple[str, str]:
        """This user's journal as Markdown (to read) and JSON (to back up; `coach journal import` restores it)."""
        user = self.user_id(request)
        folder = download_dir(request.session_hash)
        with _user_errors():
            markdown, document = self.journal.export_markdown(user), self.journal.export_json(user)
        (folder / "learning-journal.md").write_text(markdown, encoding="utf-8")
        (folder / "learning-journal.json").write_text(document, encoding="utf-8")
        return str(folder / "learning-journal.md"), str(folder / "learning-journal.json")

    def mark_answered(
        self, ids: list[str], expert_id: str | None, session: CoachSession, request: gr.Request
    ) -> tuple[Any, ...]:
        if not ids:
            raise gr.Error("Tick the questions that have been answered first.")
        with _user_errors():
            for question_id in ids:
                self.journal.set_question_status(
                    self.user_id(request), int(question_id), QuestionStatus.answered
                )
        return self.journal_view(expert_id, session, request)

    def explore(self, pick: str | None, session: CoachSession, request: gr.Request) -> tuple[Any, ...]:
        """Take a suggested next question back into matching."""
        if pick is None or not str(pick).isdigit() or int(pick) >= len(session.suggestions):
            raise gr.Error("Pick one of the suggested questions first.")
        session.questions = [session.suggestions[int(pick)]]
        with _user_errors():
            session.matches = self.service.match(session.questions, filters=session.filters)
        remember(self.journal, session, self.user_id(request))
        return (session, gr.Tabs(selected="people"), *self.views(session))

    # --- profiles (admin)

    def preview(self, path: str | None, session: CoachSession) -> tuple[Any, ...]:
        """Validate an upload and compare it with the index; nothing is written yet."""
        if not path:  # the file was removed: forget what it staged
            session.staged = []
            return (session, "", gr.update(visible=False))
        name = Path(path).name
        with _user_errors():
            result = load_profiles(
                path,
                max_bytes=int(self.settings.max_file_mb * 1_000_000),
                max_rows=self.settings.max_rows,
                display_name=name,
            )
        session.staged, unchanged = staged_changes(self.service.index, result.profiles)
        added = sum(1 for p in session.staged if self.service.index.get(p.id) is None)
        report = import_report(name, result, added, len(session.staged) - added, unchanged)
        count = len(session.staged)
        button = gr.update(value=f"Import {count} profile{'s' if count != 1 else ''}", visible=count > 0)
        return (session, report, button)

    def import_profiles(self, session: CoachSession, progress: gr.Progress = _PROGRESS) -> tuple[Any, ...]:
        """Index the previewed profiles with a progress bar; other users keep searching meanwhile."""
        if not session.staged:
            raise gr.Error("Nothing to import: upload a file and check the preview first.")

        def step(done: int, total: int) -> None:
            progress((done, total), desc="Indexing profiles", unit="profiles")

        with _user_errors():
            report = self.service.index.upsert(session.staged, progress=step)
        session.staged = []
        gr.Info(f"Imported {len(report.added)} new and {len(report.updated)} updated profiles.")
        summary = f"**Imported:** {len(report.added)} new, {len(report.updated)} updated."
        facets = self.service.index.facets()
        return (
            session,
            summary,
            gr.update(visible=False),
            self.index_size(),
            gr.update(choices=[ANY, *facets["location"]]),
            gr.update(choices=[ANY, *facets["department"]]),
            gr.update(choices=[ANY, *facets["language"]]),
        )

    def index_size(self) -> str:
        return f"**{self.service.index.count():,}** profiles in the index."


def theme() -> gr.themes.Base:
    """System fonts only: the page must not fetch fonts from the internet."""
    system = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
    mono = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=system, font_mono=mono)


def _first_part(lines: list[str]) -> list[str]:
    """The reply up to its second paragraph break: the opening line and the numbered questions."""
    breaks = [i for i, line in enumerate(lines) if not line]
    return lines[: breaks[1]] if len(breaks) > 1 else lines


def _example_text(event: gr.SelectData) -> str:
    value = event.value
    return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")


def _forget_downloads(request: gr.Request) -> None:
    """A closed session's agenda files are deleted with it."""
    if request is not None and request.session_hash:
        shutil.rmtree(download_dir(request.session_hash), ignore_errors=True)


def build_ui(service: CoachService, settings: Settings, mode_label: str) -> gr.Blocks:
    """The whole app; per-user state lives in gr.State, the service and journal are shared and thread-safe."""
    ui = CoachUI(service, settings, service.journal or Journal.open(settings.journal_path))
    uses_llm = service.mode is Mode.llm
    # LLM turns get their own small group, so offline work (matching, agenda, files) never waits behind them.
    offline: dict[str, Any] = {"concurrency_id": "offline", "concurrency_limit": OFFLINE_LIMIT}
    coach = {"concurrency_id": "llm", "concurrency_limit": LLM_LIMIT} if uses_llm else offline
    facets = service.index.facets()

    with gr.Blocks(title="Question Coach", analytics_enabled=False) as demo:
        session = gr.State(CoachSession())
        gr.HTML(header_html(mode_label, uses_llm), elem_id="qc-header")
        notice = gr.HTML("", elem_id="qc-notice")
        with gr.Tabs(elem_id="qc-tabs") as tabs:
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
                        placeholder=(
                            "### What do you want to learn next?\nDescribe it in a sentence. The coach turns it "
                            "into a few concrete questions and finds colleagues who could answer them over coffee."
                        ),
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
                            placeholder="Add your own question",
                            show_label=False,
                            scale=4,
                            elem_id="qc-add-text",
                        )
                        add = gr.Button("Add", size="sm", scale=0, min_width=64, elem_id="qc-add")
                    gr.Markdown(
                        "Click a question to edit it; clear it to remove it.", elem_classes=["qc-hint"]
                    )
                    find = gr.Button("Find people", variant="primary", elem_id="qc-find")
                    note = gr.Markdown(elem_id="qc-questions-note")
            with gr.Tab("People", id="people", elem_id="qc-tab-people"):
                with gr.Row(elem_id="qc-filters"):
                    availability = gr.CheckboxGroup(
                        AVAILABILITY,
                        value=[v for _, v in AVAILABILITY],
                        label="Availability",
                        elem_id="qc-f-avail",
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
                    expert = gr.Dropdown(
                        [], label="Choose expert", scale=3, min_width=240, elem_id="qc-expert"
                    )
                    open_agenda = gr.Button("Agenda →", scale=1, min_width=110, elem_id="qc-open-agenda")
                    open_intro = gr.Button("Intro →", scale=1, min_width=110, elem_id="qc-open-intro")
                people = gr.HTML(people_html([]), elem_id="qc-people")
            with gr.Tab("Agenda", id="agenda", elem_id="qc-tab-agenda"):
                agenda_title = gr.Markdown(NO_EXPERT, elem_id="qc-agenda-title")
                agenda_questions = gr.CheckboxGroup(
                    [], label="Questions to cover", elem_id="qc-agenda-questions"
                )
                with gr.Row():
                    minutes = gr.Radio([15, 20, 30], value=20, label="Length (minutes)", elem_id="qc-minutes")
                    day = gr.Textbox(
                        value=lambda: next_weekday(date.today()).isoformat(),
                        label="Date",
                        placeholder="YYYY-MM-DD",
                        elem_id="qc-date",
                    )
                    at = gr.Textbox(value=DEFAULT_TIME, label="Time", placeholder="HH:MM", elem_id="qc-time")
                    tz = gr.Textbox(
                        value=DEFAULT_TZ, label="Time zone", placeholder=DEFAULT_TZ, elem_id="qc-tz"
                    )
                update_agenda = gr.Button("Update agenda", variant="primary", elem_id="qc-make-agenda")
                agenda = gr.Markdown(buttons=["copy"], container=True, padding=True, elem_id="qc-agenda")
                with gr.Row(visible=False) as downloads:
                    md_file = gr.DownloadButton("Download .md", elem_id="qc-dl-md")
                    ics_file = gr.DownloadButton("Add to calendar (.ics)", elem_id="qc-dl-ics")
            with gr.Tab("Intro", id="intro", elem_id="qc-tab-intro"):
                intro_title = gr.Markdown(NO_EXPERT, elem_id="qc-intro-title")
                with gr.Row():
                    channel = gr.Radio(
                        CHANNELS, value=Channel.email.value, label="Channel", elem_id="qc-channel"
                    )
                    tone = gr.Radio(TONES, value=Tone.warm.value, label="Tone", elem_id="qc-tone")
                with gr.Row():
                    your_name = gr.Textbox(label="Your name", placeholder="Alex", elem_id="qc-your-name")
                    about_you = gr.Textbox(
                        label="About you",
                        placeholder="I'm on the self-publishing team",
                        elem_id="qc-about-you",
                    )
                redraft = gr.Button("Redraft", size="sm", elem_id="qc-redraft")
                subject = gr.Textbox(
                    label="Subject", buttons=["copy"], interactive=True, elem_id="qc-subject"
                )
                body = gr.Textbox(
                    label="Message", lines=9, buttons=["copy"], interactive=True, elem_id="qc-body"
                )
            with gr.Tab("Journal", id="journal", elem_id="qc-tab-journal") as journal_tab:
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        gr.Markdown("### Log a chat")
                        journal_expert = gr.Dropdown([], label="Who did you talk to?", elem_id="qc-j-expert")
                        happened = gr.Radio(
                            [("Yes, we talked", "yes"), ("No, it didn't happen", "no")],
                            value="yes",
                            label="Did it happen?",
                            elem_id="qc-j-happened",
                        )
                        covered = gr.CheckboxGroup(
                            [], label="Which questions did it answer?", elem_id="qc-j-covered"
                        )
                        takeaways = gr.Textbox(
                            label="What did you learn?",
                            lines=3,
                            placeholder="One per line",
                            elem_id="qc-j-learned",
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
                        explore = gr.Button(
                            "Find people for this question", size="sm", elem_id="qc-j-explore"
                        )
                        open_questions = gr.CheckboxGroup([], label="Open questions", elem_id="qc-j-open")
                        mark = gr.Button("Mark as answered", size="sm", elem_id="qc-j-mark")
                gr.Markdown("### Timeline")
                timeline = gr.HTML(timeline_html([]), elem_id="qc-j-timeline")
                with gr.Row():
                    export_md = gr.DownloadButton("Export journal (.md)", size="sm", elem_id="qc-j-export-md")
                    export_json = gr.DownloadButton(
                        "Back up journal (.json)", size="sm", elem_id="qc-j-export-json"
                    )
            with gr.Tab("Profiles", id="profiles", elem_id="qc-tab-profiles"):
                gr.Markdown(
                    "### Expert profiles\nUpload a CSV, JSON, JSONL or YAML file with at least `id` and `name` "
                    f"(at most {settings.max_file_mb:g} MB and {settings.max_rows:,} rows). "
                    "You see what would change before anything is imported."
                )
                size = gr.Markdown(ui.index_size, elem_id="qc-index-size")
                upload = gr.File(
                    label="Profile file", file_types=sorted(FORMATS), type="filepath", elem_id="qc-upload"
                )
                preview = gr.Button("Preview", size="sm", elem_id="qc-preview")
                report = gr.Markdown(elem_id="qc-report")
                do_import = gr.Button("Import", variant="primary", visible=False, elem_id="qc-import")

        views = [questions, note, people, expert]
        chat_out = [chatbot, message, session, notice, *views]
        chat: dict[str, Any] = {"outputs": chat_out, "show_progress": "hidden", **coach}
        message.submit(ui.respond, [message, chatbot, session], api_name="chat", **chat)
        chatbot.option_select(ui.choose, [chatbot, session], api_visibility="private", **chat)
        chatbot.example_select(_example_text, None, message, api_visibility="private", queue=False).then(
            ui.respond, [message, chatbot, session], api_visibility="private", **chat
        )
        new_wish.click(ui.new_wish, session, chat_out, api_name="new_wish", **offline)
        chatbot.clear(ui.new_wish, session, chat_out, api_visibility="private", **offline)

        people_out = [session, tabs, questions, note, people, expert]
        find.click(ui.find_people, [questions, session], people_out, api_name="find_people", **offline)
        for trigger in (add.click, added.submit):
            trigger(
                ui.add_question, [added, questions], [questions, added], api_visibility="private", **offline
            )
        gr.on(
            [availability.input, location.input, department.input, language.input],
            ui.refilter,
            [availability, location, department, language, session],
            [session, people, expert],
            api_name="filter_people",
            **offline,
        )

        form = [minutes, day, at, tz]
        files = [agenda, md_file, ics_file]
        open_agenda.click(
            ui.open_agenda,
            [expert, *form, session],
            [tabs, agenda_title, agenda_questions, *files, downloads],
            api_name="open_agenda",
            **offline,
        )
        gr.on(
            [update_agenda.click, minutes.input, agenda_questions.input, day.submit, at.submit, tz.submit],
            ui.make_agenda,
            [expert, agenda_questions, *form],
            files,
            api_name="agenda",
            **offline,
        )
        # The browser's own time zone replaces the default; it runs in the page, so no API endpoint.
        demo.load(
            None, None, tz, js="() => Intl.DateTimeFormat().resolvedOptions().timeZone || 'Europe/London'"
        )

        intro_in = [expert, channel, tone, your_name, about_you, minutes, session]
        intro_out = [subject, body, notice]
        open_intro.click(
            ui.open_intro, intro_in, [tabs, intro_title, *intro_out], api_name="open_intro", **coach
        )
        gr.on(
            [channel.input, tone.input, redraft.click, your_name.submit, about_you.submit],
            ui.draft_intro,
            intro_in,
            intro_out,
            api_name="intro",
            **coach,
        )

        journal_out = [session, timeline, open_questions, covered, ideas, journal_expert]
        journal_tab.select(ui.journal_view, [expert, session], journal_out, api_name="journal", **coach)
        journal_expert.input(
            ui.covered_by, [journal_expert, session], covered, api_visibility="private", **offline
        )
        exports = [export_md, export_json]
        journal_tab.select(ui.export_journal, None, exports, api_name="export_journal", **offline)
        save_chat.click(
            ui.log_chat,
            [journal_expert, happened, takeaways, referrals, follow_ups, covered, session],
            [takeaways, referrals, follow_ups, thank_you, *journal_out],
            api_name="log_chat",
            **coach,
        ).then(ui.export_journal, None, exports, api_visibility="private", **offline)
        mark.click(
            ui.mark_answered,
            [open_questions, journal_expert, session],
            journal_out,
            api_name="mark_answered",
            **coach,
        )
        explore.click(ui.explore, [ideas, session], people_out, api_name="explore", **offline)

        staged_out = [session, report, do_import]
        upload.change(ui.preview, [upload, session], staged_out, api_visibility="private", **offline)
        preview.click(ui.preview, [upload, session], staged_out, api_name="preview_profiles", **offline)
        do_import.click(
            ui.import_profiles,
            session,
            [session, report, do_import, size, location, department, language],
            api_name="import_profiles",
            concurrency_id="index-write",
            concurrency_limit=1,
        )
        demo.unload(_forget_downloads)
    return demo


def launch(
    demo: gr.Blocks, settings: Settings, *, prevent_thread_lock: bool = False, quiet: bool = False
) -> str:
    """Serve the app on settings.host:port with a bounded queue, the upload limit and the login if set."""
    demo.queue(default_concurrency_limit=OFFLINE_LIMIT, max_size=QUEUE_MAX)
    _, url, _ = demo.launch(
        server_name=settings.host,
        server_port=settings.port,
        auth=settings.auth_pair(),
        max_file_size=int(settings.max_file_mb * 1_000_000),
        blocked_paths=[str(settings.data_dir.resolve())],
        prevent_thread_lock=prevent_thread_lock,
        quiet=quiet,
        ssr_mode=False,
        footer_links=[],
        theme=theme(),
        css=CSS,
        head=HEAD,
    )
    return str(url)
