"""`coach journal list|export|import`: a user's learning journal from the terminal."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from coach.cli.root import EXIT_OK, EXIT_PARTIAL, cli
from coach.config import Settings


@cli.group("journal")
def journal_group() -> None:
    """The learning journal: list, export and import."""


@journal_group.command("list")
@click.option(
    "--user", default="local", show_default=True, help="Journal owner (the login name with COACH_AUTH)."
)
@click.option(
    "--tz", default="UTC", show_default=True, help="Time zone for the times shown, e.g. Europe/London."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def journal_list(settings: Settings, user: str, tz: str, as_json: bool) -> None:
    """The timeline: wishes, questions, chats, takeaways and referrals."""
    from coach.journal.timeline import user_zone
    from coach.runtime import open_journal

    with open_journal(settings) as journal:
        events = journal.timeline(user, user_zone(tz))
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
    """Restore a JSON export; entries already present are skipped and conflicts reported, never overwritten.

    Exits 0 when every entry was read, 3 when some were left out (each is listed on stderr; the rest are
    in), and 2 when the file is not a journal export (nothing changed)."""
    from coach.journal.restore import read_file
    from coach.runtime import open_journal

    text = read_file(path, settings.max_file_bytes)
    with open_journal(settings) as journal:
        report = journal.import_json(user, text, on_conflict=on_conflict)  # type: ignore[arg-type]
    click.echo(report.model_dump_json(indent=2))
    for entry in report.rejected:
        click.echo(f"rejected {entry}", err=True)
    sys.exit(EXIT_PARTIAL if report.rejected else EXIT_OK)


@journal_group.command("migrate")
@click.pass_obj
def journal_migrate(settings: Settings) -> None:
    """Bring the journal's schema up to date (every app start does this too; run it first when upgrading)."""
    from coach.runtime import open_journal

    with open_journal(settings) as journal:
        click.echo(f"{journal.db.where}: journal schema {journal.schema_version}")
