"""The `coach` command: index, search and evaluate the expert index; ask, agenda, intro, journal, serve.

A thin edge over the service and the index: it parses arguments, calls down, and turns `CoachError`s
into exit codes. May import anything in `coach` and `vectorstore`.
"""

from coach.cli.commands import cli, main

__all__ = ["cli", "main"]
