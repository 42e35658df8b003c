"""The `coach` command: index, search and evaluate the expert index; ask, agenda and intro come from the coach."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import click

from coach.config import Settings, load_settings
from coach.errors import CoachError, ProfileError
from coach.models import Channel, Tone
from coach.runtime import build_embedding, open_index
from coach.service import CoachService, FlowResult
from vectorstore.index import ExpertIndex, Progress
from vectorstore.models import Availability, ExpertMatch, SearchFilters
from vectorstore.profiles import LoadResult, load_profiles

EXIT_OK, EXIT_UNREADABLE, EXIT_PARTIAL = 0, 2, 3


@click.group()
@click.option("--data-dir", type=click.Path(path_type=Path), help="Overrides COACH_DATA_DIR.")
@click.pass_context
def cli(ctx: click.Context, data_dir: Path | None) -> None:
    """question-coach: find the colleague who can answer your next question."""
    overrides = {"data_dir": data_dir} if data_dir else {}
    ctx.obj = load_settings(**overrides)


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        sys.exit(1)
    except CoachError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(EXIT_UNREADABLE)


@contextmanager
def terminal_progress(label: str) -> Iterator[Progress | None]:
    """A one-line progress display on a terminal; nothing when output is piped."""
    if not sys.stderr.isatty():
        yield None
        return

    def show(done: int, total: int) -> None:
        width = 30
        filled = width * done // max(total, 1)
        sys.stderr.write(f"\r{label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()

    try:
        yield show
    finally:
        sys.stderr.write("\n")


@cli.command("index")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--replace", is_flag=True, help="Remove profiles that are not in these files.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def index_cmd(settings: Settings, paths: tuple[Path, ...], replace: bool, as_json: bool) -> None:
    """Import profiles from CSV, JSON, JSONL or YAML files (idempotent upsert)."""
    loaded = LoadResult()
    for path in paths:
        try:
            loaded.merge(
                load_profiles(
                    path, max_bytes=int(settings.max_file_mb * 1024 * 1024), max_rows=settings.max_rows
                )
            )
        except ProfileError as exc:
            click.echo(f"Error: {exc}. Nothing was changed.", err=True)
            sys.exit(EXIT_UNREADABLE)
    if not loaded.profiles and loaded.rejected:
        _print_issues(loaded)
        click.echo("Error: no valid rows. Nothing was changed.", err=True)
        sys.exit(EXIT_UNREADABLE)
    keep = {issue.profile_id for issue in loaded.rejected if issue.profile_id}
    with open_index(settings, seed=False) as index, terminal_progress("indexing") as progress:
        report = index.upsert(loaded.profiles, replace=replace, keep=keep, progress=progress)
        total = index.count()
    counts = {**report.counts(), "rejected": len(loaded.rejected), "total": total}
    if as_json:
        issues = [vars(issue) for issue in loaded.rejected + loaded.duplicates]
        click.echo(json.dumps({**counts, "issues": issues}, indent=2))
    else:
        click.echo(", ".join(f"{name} {value}" for name, value in counts.items()))
        _print_issues(loaded)
    sys.exit(EXIT_PARTIAL if loaded.rejected else EXIT_OK)


def _print_issues(loaded: LoadResult) -> None:
    for issue in loaded.rejected:
        click.echo(f"rejected {issue}", err=True)
    for issue in loaded.duplicates:
        click.echo(f"duplicate {issue}", err=True)


@cli.command("search")
@click.argument("question")
@click.option("--k", default=5, show_default=True, type=click.IntRange(1, 100))
@click.option("--availability", type=click.Choice([a.value for a in Availability]), multiple=True)
@click.option("--location")
@click.option("--department")
@click.option("--language")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search_cmd(
    settings: Settings,
    question: str,
    k: int,
    availability: tuple[str, ...],
    location: str | None,
    department: str | None,
    language: str | None,
    as_json: bool,
) -> None:
    """Find the colleagues best placed to answer QUESTION."""
    filters = SearchFilters(
        availability=[Availability(a) for a in availability] or None,
        location=location,
        department=department,
        language=language,
    )
    with open_index(settings) as index:
        matches = index.search(question, k=k, filters=filters)
    if as_json:
        click.echo(json.dumps([_match_json(m) for m in matches], indent=2, ensure_ascii=False))
        return
    if not matches:
        click.echo("Nobody in the index matches; try fewer filters or other words.")
    for rank, match in enumerate(matches, start=1):
        p = match.profile
        click.echo(f"{rank}. {p.name} - {p.title}, {p.department} ({p.location}) [{p.availability.value}]")
        click.echo(f"   score {match.score:.3f}; why: {match.why}")


def _match_json(match: ExpertMatch) -> dict[str, object]:
    p = match.profile
    return {
        "id": p.id,
        "name": p.name,
        "title": p.title,
        "department": p.department,
        "location": p.location,
        "availability": p.availability.value,
        "score": match.score,
        "why": match.why,
        "evidence": [ev.model_dump() for ev in match.evidence],
    }


@cli.command("eval")
@click.option(
    "--data", "data_dir", required=True, type=click.Path(exists=True, file_okay=False, path_type=Path)
)
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--llm", "with_llm", is_flag=True, help="Rewrite and re-rank with the configured LLM.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def eval_cmd(settings: Settings, data_dir: Path, k: int, with_llm: bool, as_json: bool) -> None:
    """Score retrieval on a labelled set (profiles.jsonl, queries.jsonl, qrels.tsv) in a throwaway index."""
    from vectorstore.evaluation import run_eval

    if with_llm:
        from coach.llm.engine import LLMEngine
        from coach.llm.evaluation import run_llm_eval

        engine = LLMEngine.from_settings(settings)
        if engine is None:
            click.echo(
                "Error: --llm needs an LLM: set OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local "
                "OpenAI-compatible server: Ollama, vLLM, llama.cpp, LM Studio), and COACH_MODEL for the model.",
                err=True,
            )
            sys.exit(EXIT_UNREADABLE)
        result = run_llm_eval(data_dir, build_embedding(settings), engine, k=k)
    else:
        result = run_eval(data_dir, build_embedding(settings), k=k)
    if as_json:
        click.echo(json.dumps(result, indent=2))
    else:
        for name, value in result.items():
            click.echo(f"{name:>16}: {value}")


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


@cli.group("journal")
def journal_group() -> None:
    """The learning journal: list, export and import."""


@journal_group.command("list")
@click.option(
    "--user", default="local", show_default=True, help="Journal owner (the login name with COACH_AUTH)."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def journal_list(settings: Settings, user: str, as_json: bool) -> None:
    """The timeline: wishes, questions, chats, takeaways and referrals."""
    from coach.runtime import open_journal

    with open_journal(settings) as journal:
        events = journal.timeline(user)
    if as_json:
        click.echo(json.dumps([e.model_dump(mode="json") for e in events], indent=2, ensure_ascii=False))
        return
    if not events:
        click.echo('The journal is empty. Start with `coach ask "..."` or the web app.')
    for event in events:
        detail = f" ({event.detail})" if event.detail else ""
        click.echo(f"{event.at:%Y-%m-%d %H:%M}  {event.kind.value:<10} {event.text}{detail}")


@journal_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@click.option("--user", default="local", show_default=True)
@click.pass_obj
def journal_export(settings: Settings, fmt: str, user: str) -> None:
    """Markdown for reading, JSON for backup and restore."""
    from coach.runtime import open_journal

    with open_journal(settings) as journal:
        click.echo(journal.export_markdown(user) if fmt == "md" else journal.export_json(user))


@journal_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--user", default="local", show_default=True)
@click.option("--on-conflict", type=click.Choice(["skip", "error"]), default="skip", show_default=True)
@click.pass_obj
def journal_import(settings: Settings, path: Path, user: str, on_conflict: str) -> None:
    """Restore a JSON export; entries already present are skipped and conflicts reported, never overwritten."""
    from coach.runtime import open_journal

    with open_journal(settings) as journal:
        report = journal.import_json(user, path.read_text(encoding="utf-8"), on_conflict=on_conflict)  # type: ignore[arg-type]
    click.echo(report.model_dump_json(indent=2))


@cli.command("serve")
@click.pass_obj
def serve_cmd(settings: Settings) -> None:
    """Start the web app (the same as `python app.py`)."""
    from coach.runtime import serve

    serve(settings)
