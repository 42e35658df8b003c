"""The `coach` command group, its entry point and the exit codes every command shares."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from coach.config import Settings, load_settings
from coach.errors import CoachError
from coach.unicode import as_unicode

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
        cli(args=[_argument(arg) for arg in sys.argv[1:]], standalone_mode=False)
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
    except UnicodeError as exc:  # standard input (a piped password, a prompt) that is not UTF-8 text
        click.echo(f"Error: the input is not UTF-8 text ({exc}).", err=True)
        sys.exit(EXIT_UNREADABLE)


def _argument(arg: str) -> str:
    """An argument as valid Unicode: bytes that were not UTF-8 become U+FFFD, except in the name of an
    existing file, which must stay as the shell gave it to be opened."""
    if arg == as_unicode(arg) or os.path.lexists(arg):
        return arg
    return str(as_unicode(arg))


@cli.command("serve")
@click.pass_obj
def serve_cmd(settings: Settings) -> None:
    """Start the web app (the same as `python app.py`)."""
    from coach.runtime import serve

    serve(settings)
