"""The `coach` command: index, search and evaluate the expert index; ask, agenda, intro, journal, serve.

A thin edge over the service and the index: `root` holds the group, the entry point and the exit codes;
`index`, `coaching` and `journal` add their commands to it. It parses arguments, calls down, and turns
`CoachError`s into exit codes. May import anything in `coach` and `vectorstore`.
"""

from coach.cli import admin, coaching, index, journal  # noqa: F401  (importing a module registers its commands)
from coach.cli.root import cli, main

__all__ = ["cli", "main"]
