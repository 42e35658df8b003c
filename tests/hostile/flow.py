"""One corpus case through the real app: planted, run through the coach (offline or LLM), and what came out.

The index is a real embedded Chroma index on a temporary folder with the sample organisation; a profile case
is imported into it with the app's loader (replacing the last planted colleague). The flow is the one the
UI drives: a wish (and answers) to questions, people per question, then the agenda and the intro for the
planted colleague, and for a journal note the "what next" ideas built on it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coach.config import load_settings
from coach.errors import CoachError
from coach.journal.store import Journal
from coach.models import LearningQuestion, QuestionMatches
from coach.runtime import build_service, open_index, open_journal
from coach.service import CoachService
from coach.web.cards import people_html, timeline_html
from coach.web.escaping import safe_markdown
from coach.web.journal_view import questions_html
from coach.web.render import clarification_reply, questions_note, questions_reply
from tests.hostile.corpus import BASE_PROFILE, HOSTILE_ID, Case, import_planted, wish_and_answers
from vectorstore.index import ExpertIndex
from vectorstore.models import ExpertProfile
from vectorstore.profiles import load_profiles

BASE_ORG = 60  # sample colleagues beside the planted one: the finance team and its neighbours
JOURNAL_WISH = "I want to learn how budgets get set"  # the wish a logged chat's questions were kept under


@dataclass
class Outcome:
    """What one case produced: the coach's own words, the page surfaces, and the facts checked."""

    case: Case
    refused: str = ""  # why the app refused the input at the door (nothing else then ran)
    coach_text: list[str] = field(default_factory=list)  # every string the coach wrote
    markdown: list[str] = field(default_factory=list)  # Markdown surfaces as the UI renders them
    html: list[str] = field(default_factory=list)  # HTML surfaces as the UI renders them
    firsts: dict[str, str] = field(default_factory=dict)  # question -> id of the first person shown
    planted_notes: list[str] = field(default_factory=list)  # what the coach said about the planted colleague
    journal_changed: bool = False  # the journal's entries differ after the coach ran (beyond the new chat)
    fallbacks: list[str] = field(default_factory=list)
    reached: bool = False  # the planted colleague (or note) was among what the coach worked from

    @property
    def said(self) -> str:
        """Everything the coach wrote, as one text."""
        return " \n ".join(t for t in self.coach_text if t)


@dataclass
class Bench:
    """A service on a fresh data folder: the index, the journal and where profile files are written."""

    service: CoachService
    index: ExpertIndex
    journal: Journal
    folder: Path
    planted: ExpertProfile | None = None  # the colleague planted last

    def close(self) -> None:
        self.journal.close()
        self.index.close()


@contextmanager
def bench(folder: Path, base_url: str | None = None) -> Iterator[Bench]:
    """The offline coach, or the LLM coach against `base_url`, on the sample organisation."""
    settings = load_settings(
        data_dir=folder / "data", openai_api_key=None, openai_base_url=base_url, llm_max_retries=0
    )
    index = open_index(settings, seed=False)
    index.upsert(load_profiles(settings.sample_profiles).profiles[:BASE_ORG])
    journal = open_journal(settings)
    (folder / "files").mkdir(exist_ok=True)
    made = Bench(build_service(settings, index, journal), index, journal, folder / "files")
    try:
        yield made
    finally:
        made.close()


def run_case(bench: Bench, case: Case) -> Outcome:
    """Plant the case, run the flow, and keep everything the coach said and showed."""
    outcome = Outcome(case)
    planted, refused = plant(bench, case)
    if planted is None:
        outcome.refused = f"import refused: {refused}"
        return outcome
    wish, answers = wish_and_answers(case)
    try:
        flow = bench.service.ask(wish, answers)
    except CoachError as exc:
        outcome.refused = f"{type(exc).__name__}: {exc}"
        return outcome
    step = flow.step
    for fallback in (step.fallback, flow.intro.fallback if flow.intro else None):
        if fallback:
            outcome.fallbacks.append(fallback)
    _questions(outcome, step.questions)
    if step.clarification is not None:
        outcome.coach_text += [step.clarification.question, *step.clarification.choices]
        outcome.markdown.append("\n".join(clarification_reply(step.clarification)))
    _matches(outcome, flow.matches)
    outcome.markdown.append(safe_markdown("\n".join(questions_reply(step.questions, flow.matches))))
    outcome.markdown.append(questions_note(step.questions))
    if flow.agenda is not None:
        _agenda(outcome, flow.agenda.items, flow.agenda.markdown or "")
    if flow.intro is not None:
        outcome.coach_text += [flow.intro.message.subject, flow.intro.message.text]
    if case.in_profile:
        _planted_drafts(bench, outcome, planted, step.questions)
    if "journal_note" in case.where:
        _journal(bench, outcome, step.questions)
    outcome.reached = outcome.reached or any(
        m.profile.id == HOSTILE_ID for g in flow.matches for m in g.matches
    )
    return outcome


def plant(bench: Bench, case: Case) -> tuple[ExpertProfile | None, str]:
    """The case's colleague (or the plain base colleague) imported in place of the last one."""
    if case.in_profile:
        planted, refused = import_planted(case, bench.folder)
        if planted is None:
            return None, refused
    else:
        planted = ExpertProfile(**BASE_PROFILE)
    if planted != bench.planted:
        bench.service.import_profiles([planted])
        bench.planted = planted
    return planted, ""


def _questions(outcome: Outcome, questions: list[LearningQuestion]) -> None:
    for q in questions:
        outcome.coach_text += [q.text, q.why, q.search_query]


def _matches(outcome: Outcome, matches: list[QuestionMatches]) -> None:
    for group in matches:
        if group.matches:
            outcome.firsts[group.question.text] = group.matches[0].profile.id
        for match in group.matches:
            outcome.coach_text += match.notes
            if match.profile.id == HOSTILE_ID:
                outcome.planted_notes += match.notes
        if group.connector is not None:
            outcome.coach_text.append(group.connector.ask)
    outcome.html.append(people_html(matches))


def _agenda(outcome: Outcome, items: object, markdown: str) -> None:
    for item in items:  # type: ignore[attr-defined]
        outcome.coach_text += [item.title, item.detail]
    outcome.markdown.append(safe_markdown(markdown))


def _planted_drafts(bench: Bench, outcome: Outcome, planted: ExpertProfile, questions: list) -> None:
    """The user picks the planted colleague: their agenda and intro, from the questions of the turn."""
    asked = [q.text for q in questions[:2]] or ["How does the team set the yearly budget?"]
    evidence = bench.index.explain(asked[0], planted)
    outcome.reached = True
    try:
        agenda = bench.service.agenda(HOSTILE_ID, asked, evidence=evidence)
        intro = bench.service.intro(HOSTILE_ID, asked, evidence=evidence)
    except CoachError as exc:
        outcome.fallbacks.append(f"drafts refused: {exc}")
        return
    _agenda(outcome, agenda.items, agenda.markdown or "")
    outcome.coach_text += [intro.message.subject, intro.message.text]
    outcome.planted_notes += [intro.message.text]
    if intro.fallback:
        outcome.fallbacks.append(intro.fallback)


def _journal(bench: Bench, outcome: Outcome, questions: list[LearningQuestion]) -> None:
    """A logged chat whose notes and takeaway are the case; the journal must hold the same after 'what next'."""
    user = f"case-{outcome.case.id}"
    journal, text = bench.journal, outcome.case.text
    try:
        journal.keep_questions(user, JOURNAL_WISH, questions[:2])
        journal.log_chat(user, "nw-0039", "Nadia Rahman", True, [text], [], [], [], notes=text)
    except (CoachError, ValueError) as exc:
        outcome.refused = f"journal refused: {type(exc).__name__}"
        return
    before = journal.snapshot(user)
    suggestions = bench.service.what_next(user)
    after = journal.snapshot(user)
    outcome.journal_changed = before != after
    outcome.reached = True
    for s in suggestions:
        outcome.coach_text += [s.question.text, s.question.why, s.reason]
    outcome.html += [questions_html(after), timeline_html(journal.timeline(user))]
