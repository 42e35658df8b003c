"""The `coach` entry point run in-process exactly as the console script runs it, for property tests.

`CliRunner.invoke(cli, ...)` runs the click group in standalone mode, which is not what a user gets:
the installed `coach` calls `coach.cli.main()`, which turns `CoachError`s into exit codes. Here `main()`
runs with `sys.argv` set and click's stream isolation, and any exception that escapes it is what Python
would print as a traceback.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass

from click.testing import CliRunner

from coach.cli import main

# README: 0 done, 1 aborted or a usage-level refusal, 2 bad arguments or unreadable input (nothing
# changed), 3 done with some rows or entries left out (`coach index`, `coach journal import`).
EXIT_CODES = {0, 1, 2, 3}


@dataclass(frozen=True)
class Outcome:
    exit_code: int
    stdout: str
    stderr: str
    escaped: str = ""  # the traceback a user would have seen, if an exception got out of main()

    def assert_no_traceback(self) -> None:
        assert not self.escaped, self.escaped
        assert "Traceback (most recent call last)" not in self.stderr + self.stdout, self.stderr[-2000:]
        assert self.exit_code in EXIT_CODES, (self.exit_code, self.stderr[-500:])


def run_coach(*args: str, stdin: str | bytes | None = None) -> Outcome:
    runner = CliRunner()
    saved = sys.argv
    escaped = ""
    with runner.isolation(input=stdin) as (out, err, _):
        sys.argv = ["coach", *args]
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # what the interpreter would print to the user
            code, escaped = 1, traceback.format_exc()
        finally:
            sys.argv = saved
        stdout = out.getvalue().decode("utf-8", "replace")
        stderr = err.getvalue().decode("utf-8", "replace")
    return Outcome(code, stdout, stderr, escaped)
