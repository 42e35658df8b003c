"""The `coach` command group, its entry point and the exit codes every command shares."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from coach.config import Settings, load_settings
from coach.errors import CoachError

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


@cli.command("serve")
@click.pass_obj
def serve_cmd(settings: Settings) -> None:
    """Start the web app (the same as `python app.py`)."""
    from coach.runtime import serve

    serve(settings)
