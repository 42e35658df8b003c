"""`coach index`, `coach search` and `coach eval`: build, query and measure the expert index."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from tqdm import tqdm

from coach.cli.root import EXIT_OK, EXIT_PARTIAL, EXIT_UNREADABLE, cli
from coach.config import Settings
from coach.errors import ProfileError
from coach.runtime import build_embedding, open_index
from vectorstore.index import Progress
from vectorstore.models import Availability, ExpertMatch, SearchFilters
from vectorstore.profiles import LoadResult, load_profiles


@contextmanager
def terminal_progress(label: str, *, quiet: bool = False) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal; nothing when piped or quiet (e.g. --json)."""
    if quiet or not sys.stderr.isatty():
        yield None
        return
    columns, lines = _terminal_size()
    with tqdm(desc=label, unit="profiles", file=sys.stderr, leave=False, ncols=columns, nrows=lines) as bar:

        def show(done: int, total: int) -> None:
            bar.total = total
            bar.update(done - bar.n)

        yield show


def _terminal_size() -> tuple[int, int]:
    """Columns and lines of the terminal; 80x24 where it reports 0x0 (a pseudo-terminal nobody sized),
    which tqdm would otherwise take as "no room" and draw nothing."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except OSError:
        return 80, 24
    return size.columns or 80, size.lines or 24


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
            loaded.merge(load_profiles(path, max_bytes=settings.max_file_bytes, max_rows=settings.max_rows))
        except ProfileError as exc:
            click.echo(f"Error: {str(exc).rstrip('.')}. Nothing was changed.", err=True)
            sys.exit(EXIT_UNREADABLE)
    if not loaded.profiles:  # never import (let alone --replace) with nothing
        _print_issues(loaded)
        why = "no valid rows" if loaded.rejected else "no profiles in the file(s)"
        click.echo(f"Error: {why}. Nothing was changed.", err=True)
        sys.exit(EXIT_UNREADABLE)
    keep = {issue.profile_id for issue in loaded.rejected if issue.profile_id}
    with open_index(settings, seed=False) as index, terminal_progress("indexing", quiet=as_json) as progress:
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
    "--data",
    "data_dirs",
    required=True,
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A labelled set; repeat for several (then each is reported and their macro average).",
)
@click.option("--k", default=10, show_default=True, type=click.IntRange(1, 100))
@click.option("--llm", "with_llm", is_flag=True, help="Rewrite and re-rank with the configured LLM.")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def eval_cmd(settings: Settings, data_dirs: tuple[Path, ...], k: int, with_llm: bool, as_json: bool) -> None:
    """Score retrieval on labelled sets (profiles.jsonl, queries.jsonl, qrels.tsv) in throwaway indexes."""
    from vectorstore.evaluation import macro_average, run_eval, set_names

    embedding = build_embedding(settings)
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
        reports = [run_llm_eval(d, embedding, engine, k=k) for d in data_dirs]
    else:
        reports = [run_eval(d, embedding, k=k) for d in data_dirs]
    if len(reports) == 1:
        result: dict[str, object] = dict(reports[0])
    else:
        result = {
            "sets": dict(zip(set_names(data_dirs), reports, strict=True)),
            "macro": macro_average(reports),
        }
    if as_json:
        click.echo(json.dumps(result, indent=2))
        return
    for name, value in result.items():
        if isinstance(value, dict):
            click.echo(f"{name}:")
            for inner, item in value.items():
                line = item if not isinstance(item, dict) else ", ".join(f"{a} {b}" for a, b in item.items())
                click.echo(f"  {inner:>14}: {line}")
        else:
            click.echo(f"{name:>16}: {value}")
