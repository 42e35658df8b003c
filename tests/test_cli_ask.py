"""`coach ask` asks back instead of guessing: clarifications in text and JSON, --answer, the prompt, --start."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from icalendar import Calendar

from coach.cli import cli

UNCLEAR = ["asdf qwerty", "zzzz", "I want a mentor"]


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


@pytest.mark.parametrize("wish", UNCLEAR)
def test_an_unclear_wish_gets_a_clarifying_question_in_json_and_no_questions(wish: str) -> None:
    result = run("ask", wish, "--json")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["questions"] == [] and payload["agenda"] is None and payload["intro"] is None
    clarification = payload["clarification"]
    assert clarification["question"].endswith("?")
    assert 3 <= len(clarification["choices"]) <= 5


@pytest.mark.parametrize("wish", UNCLEAR)
def test_an_unclear_wish_shows_the_question_its_choices_and_how_to_answer(wish: str) -> None:
    result = run("ask", wish, "--no-interactive")

    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("?")
    assert [line.split(". ", 1)[0].strip() for line in lines[1:4]] == ["1", "2", "3"]
    assert "--answer" in result.stdout
    assert "communication and influence" not in result.stdout


def test_answers_given_with_answer_lead_to_questions() -> None:
    result = run("ask", "I want a mentor", "--answer", "moving into a new area", "--answer", "1", "--json")

    payload = json.loads(result.stdout)
    assert payload["clarification"] is None
    assert 3 <= len(payload["questions"]) <= 5
    assert any("product management" in q["text"] for q in payload["questions"])


def test_on_a_terminal_the_coach_asks_at_the_prompt_then_writes_questions() -> None:
    result = run("ask", "I want a mentor", "--interactive", stdin="2\nproduct management\n")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.index("What would you most like to learn next?") < out.index("Which area are you thinking")
    assert "\n1. " in out and "product management" in out.split("\n1. ", 1)[1]


def test_start_fills_the_calendar_invite_and_without_it_ics_is_null(tmp_path: Path) -> None:
    args = ["ask", "I want to understand how publishing makes money", "--answer", "how it makes money"]
    without = json.loads(run(*args, "--json").stdout)
    out = tmp_path / "chat.ics"
    result = run(*args, "--start", "2026-12-03T10:00", "--tz", "Europe/London", "--out", str(out), "--json")

    assert without["agenda"]["ics"] is None
    with_start = json.loads(result.stdout)
    event = Calendar.from_ical(with_start["agenda"]["ics"]).walk("VEVENT")[0]
    assert event.decoded("DTSTART").hour == 10
    assert str(event.decoded("DTSTART").tzinfo) == "Europe/London"
    assert out.read_bytes().decode("utf-8") == with_start["agenda"]["ics"]


def test_out_without_start_is_a_usage_error() -> None:
    result = CliRunner().invoke(cli, ["ask", "I want a mentor", "--out", "x.ics"])

    assert result.exit_code == 2
    assert "--start" in result.output
