"""`coach ask`, `coach agenda` and `coach intro`: the coaching flow from a wish to an intro message."""

from __future__ import annotations

import json
import shlex
import sys
from datetime import datetime
from pathlib import Path

import click

from coach.cli.root import cli
from coach.config import Settings
from coach.llm.report import LLMReport
from coach.models import Channel, Clarification, Tone
from coach.runtime import open_index
from coach.service import CoachService, FlowResult
from vectorstore.index import ExpertIndex


def _service(settings: Settings, index: ExpertIndex) -> CoachService:
    from coach.runtime import build_service

    return build_service(settings, index)


_START_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


@cli.command("ask")
@click.argument("wish")
@click.option(
    "--answer", "answers", multiple=True, help="Answer to a clarifying question (repeatable, in order)."
)
@click.option(
    "--start",
    type=click.DateTime(_START_FORMATS),
    help="Chat start for the calendar invite, e.g. 2026-12-03T10:00",
)
@click.option("--tz", default="UTC", show_default=True, help="IANA time zone of --start, e.g. Europe/London")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the .ics invite here.")
@click.option(
    "--interactive/--no-interactive",
    default=None,
    help="Ask clarifying questions at the prompt (default: when stdin is a terminal).",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ask_cmd(
    settings: Settings,
    wish: str,
    answers: tuple[str, ...],
    start: datetime | None,
    tz: str,
    out: Path | None,
    interactive: bool | None,
    as_json: bool,
) -> None:
    """Run the whole flow: a clarifying question when the wish is unclear, else questions, people to ask,
    agenda and intro for the best match. Answer clarifications with --answer, or at the prompt."""
    if out and not start:
        raise click.UsageError(
            "--out writes a calendar invite: give --start too, e.g. --start 2026-12-03T10:00"
        )
    prompting = (not as_json and sys.stdin.isatty()) if interactive is None else interactive
    given = list(answers)
    with open_index(settings) as index:
        service = _service(settings, index)
        flow = service.ask(wish, given, best_guess=False, start=start, tz=tz)
        while flow.step.clarification is not None and prompting:
            given.append(_prompt_answer(flow.step.clarification))
            flow = service.ask(wish, given, best_guess=False, start=start, tz=tz)
    if out and flow.agenda is not None and flow.agenda.ics:
        out.write_text(flow.agenda.ics, encoding="utf-8", newline="")
        click.echo(f"Calendar invite written to {out}", err=True)
    if as_json:
        click.echo(json.dumps(flow_json(flow), indent=2, ensure_ascii=False))
        return
    step = flow.step
    if step.fallback:
        click.echo(f"(LLM unavailable: {step.fallback}; offline coach used)")
    if flow.llm is not None and flow.llm.shapes:
        click.echo(f"(LLM request shape used: {', '.join(flow.llm.shapes)})")
    if step.clarification is not None:
        _show_clarification(step.clarification, wish, given)
        return
    for number, qm in enumerate(flow.matches, start=1):
        click.echo(f"\n{number}. {qm.question.text}")
        if qm.question.why:
            click.echo(f"   why: {qm.question.why}")
        for match in qm.matches:
            p = match.profile
            click.echo(f"   - {p.name}, {p.title} [{p.availability.value}]: {match.why}")
            for note in match.notes:
                click.echo(f"     ({note})")
        if qm.connector:
            c = qm.connector
            click.echo(f'   Not sure? Ask {c.profile.name} ({c.reason}): "{c.ask}"')
    if flow.agenda:
        click.echo("\n" + flow.agenda.markdown)
    if flow.intro:
        message = flow.intro.message
        click.echo(("Subject: " + message.subject + "\n\n" if message.subject else "") + message.text)


def _prompt_answer(clarification: Clarification) -> str:
    """Ask one clarifying question at the terminal; a number picks a choice, anything else is read as typed."""
    click.echo(clarification.question)
    for number, choice in enumerate(clarification.choices, start=1):
        click.echo(f"  {number}. {choice}")
    answer: str = click.prompt("Your answer (a number, or in your own words)", type=str)
    return answer.strip() or clarification.choices[0]


def _show_clarification(clarification: Clarification, wish: str, answers: list[str]) -> None:
    click.echo(clarification.question)
    for number, choice in enumerate(clarification.choices, start=1):
        click.echo(f"  {number}. {choice}")
    given = "".join(f" --answer {shlex.quote(a)}" for a in answers)
    click.echo(
        f"\nAnswer with a choice or in your own words, e.g.:\n"
        f"  coach ask {shlex.quote(wish)}{given} --answer {shlex.quote(clarification.choices[0])}"
    )


def flow_json(flow: FlowResult) -> dict[str, object]:
    """The `coach ask --json` contract."""
    intro = flow.intro.message if flow.intro else None
    clarification = flow.step.clarification
    return {
        "mode": flow.step.mode.value,
        "fallback": flow.step.fallback or (flow.intro.fallback if flow.intro else None),
        "clarification": (
            {"question": clarification.question, "choices": list(clarification.choices)}
            if clarification is not None
            else None
        ),
        "questions": [
            {
                "text": qm.question.text,
                "why": qm.question.why,
                "matches": [
                    {
                        "id": m.profile.id,
                        "name": m.profile.name,
                        "title": m.profile.title,
                        "score": m.score,
                        "why": m.why,
                    }
                    for m in qm.matches
                ],
                "nobody_fits": qm.nobody_fits,
                "connector": (
                    {
                        "id": qm.connector.profile.id,
                        "name": qm.connector.profile.name,
                        "ask": qm.connector.ask,
                    }
                    if qm.connector
                    else None
                ),
            }
            for qm in flow.matches
        ],
        "agenda": {"markdown": flow.agenda.markdown, "ics": flow.agenda.ics or None} if flow.agenda else None,
        "intro": {"channel": intro.channel.value, "subject": intro.subject, "text": intro.text}
        if intro
        else None,
        "llm": _llm_json(flow.llm),
    }


def _llm_json(report: LLMReport | None) -> dict[str, object] | None:
    """With an LLM: each call's task, the request shape whose answer was used, what was tried, what grounding dropped."""
    if report is None:
        return None
    return {
        "shapes": list(report.shapes),
        "requests": report.requests,
        "grounding": list(report.grounding),
        "calls": [
            {
                "task": call.task,
                "shape": call.shape,
                "tried": [{"shape": t.shape, "outcome": t.outcome} for t in call.tries],
                "error": call.error,
            }
            for call in report.calls
        ],
    }


@cli.command("agenda")
@click.option("--expert", "expert_id", required=True, help="Profile id from `coach search`.")
@click.option("--question", "questions", required=True, multiple=True)
@click.option("--minutes", default=20, show_default=True, type=click.Choice(["15", "20", "30"]))
@click.option("--start", type=click.DateTime(_START_FORMATS), help="e.g. 2026-12-01T10:00")
@click.option("--tz", default="UTC", show_default=True, help="IANA time zone, e.g. Europe/London")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the .ics invite here.")
@click.pass_obj
def agenda_cmd(
    settings: Settings,
    expert_id: str,
    questions: tuple[str, ...],
    minutes: str,
    start: datetime | None,
    tz: str,
    out: Path | None,
) -> None:
    """A time-boxed coffee-chat agenda (Markdown), and an .ics invite with --start and --out."""
    if out and not start:
        raise click.UsageError(
            "--out writes a calendar invite: give --start too, e.g. --start 2026-12-01T10:00"
        )
    with open_index(settings) as index:
        agenda = _service(settings, index).agenda(
            expert_id, list(questions), minutes=int(minutes), start=start, tz=tz
        )
    click.echo(agenda.markdown)
    if out:
        out.write_text(agenda.ics, encoding="utf-8", newline="")
        click.echo(f"Calendar invite written to {out}", err=True)


@cli.command("intro")
@click.option("--expert", "expert_id", required=True)
@click.option("--question", "questions", required=True, multiple=True)
@click.option("--channel", type=click.Choice([c.value for c in Channel]), default="email", show_default=True)
@click.option("--tone", type=click.Choice([t.value for t in Tone]), default="warm", show_default=True)
@click.option("--me", "requester_name", default="", help="Your name, for the message.")
@click.option(
    "--context",
    "requester_context",
    default="",
    help="A few words about you, e.g. 'from the self-publishing team'.",
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def intro_cmd(
    settings: Settings,
    expert_id: str,
    questions: tuple[str, ...],
    channel: str,
    tone: str,
    requester_name: str,
    requester_context: str,
    as_json: bool,
) -> None:
    """A short, specific, easy-to-decline intro message to one expert."""
    with open_index(settings) as index:
        service = _service(settings, index)
        evidence = next(
            (m.evidence for m in index.search(" ".join(questions), k=20) if m.profile.id == expert_id), []
        )
        result = service.intro(
            expert_id,
            list(questions),
            channel=Channel(channel),
            tone=Tone(tone),
            requester_name=requester_name,
            requester_context=requester_context,
            evidence=evidence,
        )
    message = result.message
    if as_json:
        payload = {"mode": result.mode.value, "fallback": result.fallback, **message.model_dump(mode="json")}
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if message.subject:
        click.echo(f"Subject: {message.subject}\n")
    click.echo(message.text)
