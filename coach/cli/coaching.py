"""`coach ask`, `coach agenda` and `coach intro`: the coaching flow from a wish to an intro message."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import click

from coach.cli.root import cli
from coach.config import Settings
from coach.models import Channel, Tone
from coach.runtime import open_index
from coach.service import CoachService, FlowResult
from vectorstore.index import ExpertIndex


def _service(settings: Settings, index: ExpertIndex) -> CoachService:
    from coach.runtime import build_service

    return build_service(settings, index)


@cli.command("ask")
@click.argument("wish")
@click.option("--answer", "answers", multiple=True, help="Answer to a clarifying question (repeatable).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ask_cmd(settings: Settings, wish: str, answers: tuple[str, ...], as_json: bool) -> None:
    """Run the whole flow: questions, people to ask, agenda and intro for the best match."""
    with open_index(settings) as index:
        flow = _service(settings, index).ask(wish, answers)
    if as_json:
        click.echo(json.dumps(flow_json(flow), indent=2, ensure_ascii=False))
        return
    step = flow.step
    if step.fallback:
        click.echo(f"(LLM unavailable: {step.fallback}; offline coach used)")
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


def flow_json(flow: FlowResult) -> dict[str, object]:
    """The `coach ask --json` contract."""
    intro = flow.intro.message if flow.intro else None
    return {
        "mode": flow.step.mode.value,
        "fallback": flow.step.fallback or (flow.intro.fallback if flow.intro else None),
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
        "agenda": {"markdown": flow.agenda.markdown, "ics": flow.agenda.ics} if flow.agenda else None,
        "intro": {"channel": intro.channel.value, "subject": intro.subject, "text": intro.text}
        if intro
        else None,
    }


@cli.command("agenda")
@click.option("--expert", "expert_id", required=True, help="Profile id from `coach search`.")
@click.option("--question", "questions", required=True, multiple=True)
@click.option("--minutes", default=20, show_default=True, type=click.Choice(["15", "20", "30"]))
@click.option(
    "--start", type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]), help="e.g. 2026-12-01T10:00"
)
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
