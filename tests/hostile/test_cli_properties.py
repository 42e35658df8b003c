"""Property-based CLI (hypothesis): every `coach` command, hostile arguments and input files, no traceback.

The commands and their options are read from the click group itself, so a new command is covered the day
it is added. Values mix sensible ones (a real expert id, a valid time zone, so the deeper code runs) with
hostile ones: empty, huge, numbers out of range, option-looking strings, markup, formulas, and bytes
that are not UTF-8 as a shell passes them (surrogate escapes). Paths stay inside the test's folder.
Each run goes through `coach.cli.main`, as the console script does: the exit code is one the README
documents and nothing escapes as a traceback.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coach.cli import cli
from tests.hostile.cli import EXIT_CODES, run_coach
from tests.test_profile_properties import FORMULAS

SKIPPED = {("serve",)}  # starts a server and blocks; its start-up is tested in tests/test_install.py
EXPERTS = ["nw-0001", "nw-0002", "nw-0042"]
WORDS = [
    "How do advances get decided?",
    "I want to learn pricing",
    "Europe/London",
    "UTC",
    "2026-12-03T10:00",
]
PROPERTY = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# What a shell hands Python for bytes that are not UTF-8 (surrogate escapes), and any other character.
argument_chars = st.one_of(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),
)
hostile = st.one_of(
    st.text(argument_chars, max_size=40),
    st.text(argument_chars, min_size=3_000, max_size=6_000),
    st.sampled_from(
        ["", " ", "-", "--", "-1", "0", "99999999999999999999", "nan", "1e309", "--json", "--help"]
    ),
    st.sampled_from(["../../etc/passwd", "Europe/../../etc", "<img src=x onerror=alert(1)>", *FORMULAS]),
    st.sampled_from(["caf\udce9 pricing", "\udcff\udcfe", "Europe/Lond\udcf6n", "\u202egnicirp", "\x1b[2J"]),
)


def commands(
    group: click.Group = cli, prefix: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            found += commands(command, (*prefix, name))
        elif (*prefix, name) not in SKIPPED:
            found.append(((*prefix, name), command))
    return found


COMMANDS = commands()


def sensible(param: click.Parameter) -> st.SearchStrategy[str]:
    if isinstance(param.type, click.Choice):
        return st.sampled_from([str(c) for c in param.type.choices])
    if isinstance(param.type, click.types.IntRange | click.types.IntParamType):
        return st.integers(-5, 200).map(str)
    if param.name == "expert_id":
        return st.sampled_from(EXPERTS)
    return st.sampled_from(WORDS)


@st.composite
def invocation(draw: st.DrawFn, folder: Path) -> list[str]:
    """A command with some of its options, each given a sensible or a hostile value, maybe shuffled."""
    name, command = draw(st.sampled_from(COMMANDS))
    args = list(name)
    for param in command.params:
        if not draw(st.booleans()):
            continue
        if isinstance(param.type, click.Path):
            values = [draw(paths(folder))]
        else:
            values = draw(st.lists(st.one_of(sensible(param), hostile), min_size=1, max_size=2))
        values = values if param.multiple or isinstance(param, click.Argument) else values[:1]
        if isinstance(param, click.Argument):
            args += values
        elif isinstance(param, click.Option) and param.is_flag:
            args.append(draw(st.sampled_from([*param.opts, *param.secondary_opts])))
        elif isinstance(param, click.Option):
            for value in values:
                args += [param.opts[0], value]
    if draw(st.booleans()):
        args = [*name, *draw(st.permutations(args[len(name) :]))]
    return args


@st.composite
def paths(draw: st.DrawFn, folder: Path) -> str:
    """A file in the test's folder: random bytes, a formula CSV, a directory, or missing."""
    kind = draw(st.sampled_from(["bytes", "csv", "missing", "directory", "hostile name"]))
    suffix = draw(st.sampled_from([".csv", ".json", ".jsonl", ".yaml", ".txt", ""]))
    path = folder / f"input{draw(st.integers(0, 9))}{suffix}"
    if path.is_dir():  # an earlier example's --charts or --out may have made it a folder
        shutil.rmtree(path)
    if kind == "bytes":
        path.write_bytes(draw(st.binary(max_size=500)))
    elif kind == "csv":
        cells = ",".join(f'"{f}"' for f in draw(st.lists(st.sampled_from(FORMULAS), min_size=2, max_size=2)))
        path.write_text(f"id,name,bio\np1,{cells}\n", encoding="utf-8")
    elif kind == "directory":
        path = folder / "a-directory"
        path.mkdir(exist_ok=True)
    elif kind == "hostile name":
        path = folder / draw(st.text(argument_chars.filter(lambda c: c not in "/"), min_size=1, max_size=20))
    return str(path)


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # anything a command writes relative to the working directory lands here
    return tmp_path


@PROPERTY
@given(data=st.data())
def test_every_command_with_hostile_arguments_exits_cleanly(folder: Path, data: st.DataObject) -> None:
    args = data.draw(invocation(folder), label="args")
    outcome = run_coach(*args, stdin=data.draw(st.sampled_from([b"", b"secret\n", b"\xff\xfe\n"])))
    outcome.assert_no_traceback()


@pytest.mark.parametrize("name", [" ".join(name) for name, _ in COMMANDS])
def test_every_command_has_help_and_refuses_an_unknown_option_with_exit_2(name: str) -> None:
    assert run_coach(*name.split(), "--help").exit_code == 0
    unknown = run_coach(*name.split(), "--no-such-option")
    unknown.assert_no_traceback()
    assert unknown.exit_code == 2 and "No such option" in unknown.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["search", b"\xff\xfe pricing"],
        ["journal", "list", "--user", b"\xe9t\xe9"],
        ["ask", b"learn \xff", "--json"],
    ],
    ids=["search", "journal list", "ask"],
)
def test_arguments_that_are_not_utf8_in_a_real_process(tmp_path: Path, args: list[str | bytes]) -> None:
    """A real process, so the interpreter's own argv decoding and stdout encoding are the user's."""
    coach = shutil.which("coach", path=str(Path(sys.executable).parent))
    assert coach is not None
    env = {
        "PATH": "/usr/bin:/bin",
        "COACH_DATA_DIR": str(tmp_path),
        "LC_ALL": "C.UTF-8",
        "HOME": str(tmp_path),
    }
    done = subprocess.run([coach, *args], capture_output=True, env=env, timeout=120, check=False)
    assert done.returncode in EXIT_CODES
    assert b"Traceback" not in done.stderr, done.stderr.decode("utf-8", "replace")[-2000:]


def test_ask_against_an_index_where_nobody_scores_answers_without_a_crash(folder: Path) -> None:
    """Found by the property above: one profile of formula cells, and every score is 0 (a division by it)."""
    people = folder / "one.csv"
    people.write_text('id,name,bio\np1,"=1+1","@SUM(A1:A9)"\n', encoding="utf-8")
    assert run_coach("index", str(people), "--replace").exit_code == 0
    outcome = run_coach("ask", "I want to learn pricing", "--no-interactive", "--json")
    outcome.assert_no_traceback()
    assert outcome.exit_code == 0
