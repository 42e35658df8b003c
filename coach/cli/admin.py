"""`coach users` and `coach report`: accounts, and insights for the people team."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from coach.cli.root import cli
from coach.config import Settings


@cli.group("users")
def users_group() -> None:
    """Accounts that may sign in to the web app (argon2-hashed passwords in the users file)."""


@users_group.command("add")
@click.argument("name")
@click.option("--department", help="Shown only as an aggregate in insights.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--no-password", is_flag=True, help="For users who sign in through an SSO proxy.")
@click.pass_obj
def users_add(
    settings: Settings, name: str, department: str | None, password_stdin: bool, no_password: bool
) -> None:
    """Create an account, or change its password or department."""
    from coach.runtime import open_users

    if no_password:
        password = None
    elif password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    users = open_users(settings)
    record = users.add(name, password, department)
    admin = " (admin)" if users.is_admin(name) else ""
    click.echo(f"Saved {record.name}{admin} in {users.path}")


@users_group.command("remove")
@click.argument("name")
@click.pass_obj
def users_remove(settings: Settings, name: str) -> None:
    """Remove an account (its journal stays; re-adding the name gives it back)."""
    from coach.runtime import open_users

    if not open_users(settings).remove(name):
        raise click.ClickException(f"No account named {name!r}; see `coach users list`.")
    click.echo(f"Removed {name}")


@users_group.command("list")
@click.pass_obj
def users_list(settings: Settings) -> None:
    """Names, departments and who is an admin; never passwords."""
    from coach.runtime import open_users

    users = open_users(settings)
    for record in users.users().values():
        roles = ["admin"] if users.is_admin(record.name) else []
        roles += [] if record.password_hash else ["no password: SSO only"]
        extra = f" [{', '.join(roles)}]" if roles else ""
        click.echo(f"{record.name}\t{record.department or '-'}{extra}")


@cli.command("report")
@click.option("--weeks", default=8, show_default=True, type=click.IntRange(1, 104))
@click.option("--min-group", type=click.IntRange(2, 1000), help="Defaults to COACH_INSIGHTS_MIN_GROUP.")
@click.option(
    "--charts", "charts_dir", type=click.Path(file_okay=False, path_type=Path), help="Write PNG charts here."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def report_cmd(
    settings: Settings, weeks: int, min_group: int | None, charts_dir: Path | None, as_json: bool
) -> None:
    """Insights for the people team: knowledge gaps, expert load, departments, trends (aggregates only)."""
    from coach.journal.insights import build_report, render_markdown
    from coach.runtime import open_index, open_journal

    index = open_index(settings, seed=False)
    try:
        profiles = index.profiles()
    finally:
        index.close()
    with open_journal(settings) as journal:
        report = build_report(
            journal.db,
            profiles,
            now=datetime.now(UTC),
            weeks=weeks,
            min_group=min_group or settings.insights_min_group,
        )
    if charts_dir is not None:
        from coach.journal.charts import save_charts

        for path in save_charts(report, charts_dir):
            click.echo(f"wrote {path}", err=True)
    if as_json:
        click.echo(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False))
    else:
        click.echo(render_markdown(report))
