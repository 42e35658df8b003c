"""`python -m coach` runs the CLI."""

from coach.cli.commands import main

main()
