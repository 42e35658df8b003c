"""The agenda: time boxes, Markdown that stays inert, and an RFC 5545 invite that round-trips."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from coach.agenda import (
    REFERRAL_QUESTION,
    agenda_with_renderings,
    build_agenda,
    escape_markdown,
    render_ics,
    render_markdown,
    render_text,
)
from coach.errors import CoachInputError
from coach.models import Agenda
from vectorstore.models import ExpertProfile

QUESTIONS = [
    "Which financial metrics does the traditional publishing division watch most closely, and why?",
    "How is a new book's deal judged financially: what makes an advance worth paying?",
    "What revenue goals shape the division's strategy this year?",
    "How do returns from retailers show up in the division's numbers?",
]
START = datetime(2026, 12, 3, 10, 0)
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)


def expert(**fields: str) -> ExpertProfile:
    values = {
        "id": "p042",
        "name": "Sam Okafor",
        "title": "Finance Partner, FP&A",
        "email": "sam@example.com",
    }
    return ExpertProfile.model_validate(values | fields)


def ics_for(agenda: Agenda, tz: str = "Europe/London", start: datetime = START) -> str:
    return render_ics(agenda, start=start, tz=tz, now=NOW)


def only_event(ics: str) -> Event:
    calendar = Calendar.from_ical(ics)
    assert len(calendar.events) == 1
    return calendar.events[0]


def start_of(event: Event) -> datetime:
    start = event.start
    assert isinstance(start, datetime), "a coffee chat starts at a time, not on a date"
    return start


@pytest.mark.parametrize("minutes", [15, 20, 30])
@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_items_fill_the_chat_and_keep_the_questions_in_order(minutes: int, count: int) -> None:
    agenda = build_agenda(expert(), QUESTIONS[:count], minutes)

    assert sum(item.minutes for item in agenda.items) == minutes
    assert [item.detail for item in agenda.items[1:-2]] == QUESTIONS[:count]
    assert all(item.minutes >= 2 for item in agenda.items[1:-2])
    assert agenda.items[0].title == "Who I am and why I asked"
    assert agenda.items[-2].detail == REFERRAL_QUESTION
    assert agenda.items[-1].title == "Thanks and next step"


def test_twenty_minutes_with_two_questions_matches_the_product_example() -> None:
    agenda = build_agenda(expert(), QUESTIONS[:2], 20)

    assert [item.minutes for item in agenda.items] == [2, 5, 6, 4, 3]


def test_more_questions_get_less_time_each() -> None:
    shares = [
        max(i.minutes for i in build_agenda(expert(), QUESTIONS[:n], 30).items[1:-2]) for n in (1, 2, 4)
    ]

    assert shares == sorted(shares, reverse=True)
    assert shares[0] > shares[-1]


@pytest.mark.parametrize(
    ("minutes", "count", "advice"),
    [(15, 5, "choose a 20-minute chat"), (20, 6, "choose a 30-minute chat"), (30, 9, None)],
)
def test_too_many_questions_raise_with_advice(minutes: int, count: int, advice: str | None) -> None:
    questions = [f"Question number {n} about the finances?" for n in range(count)]

    with pytest.raises(CoachInputError, match=r"pick|questions") as caught:
        build_agenda(expert(), questions, minutes)

    if advice:
        assert advice in str(caught.value)
        assert "pick the" in str(caught.value)


@pytest.mark.parametrize("minutes", [0, 10, 25, 45, 60])
def test_other_lengths_are_rejected(minutes: int) -> None:
    with pytest.raises(CoachInputError, match="15, 20, 30") as caught:
        build_agenda(expert(), QUESTIONS[:1], minutes)

    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize("questions", [[], ["  "], "one string?", ["x" * 401]])
def test_unusable_questions_are_rejected(questions: list[str] | str) -> None:
    with pytest.raises(CoachInputError):
        build_agenda(expert(), questions, 20)


def test_markdown_has_heading_length_date_and_running_clock() -> None:
    start = START.replace(tzinfo=ZoneInfo("Europe/London"))
    markdown = render_markdown(build_agenda(expert(), QUESTIONS[:2], 20, start=start, requester="Alex"))

    assert markdown.startswith("# Coffee chat with Sam Okafor\n")
    assert "Finance Partner, FP&amp;A" in markdown
    assert "**20 minutes**" in markdown
    assert "Thursday 3 December 2026, 10:00 Europe/London" in markdown
    clocks = re.findall(r"\d:\d\d-\d:\d\d", markdown)
    assert clocks == ["0:00-0:02", "0:02-0:07", "0:07-0:13", "0:13-0:17", "0:17-0:20"]


INJECTIONS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "![x](http://evil.example/x.png)",
    "[click](javascript:alert(1))",
    "**bold** `code` | pipe # hash",
    "1. looks like a list",
]


@pytest.mark.parametrize("payload", INJECTIONS)
@pytest.mark.parametrize("where", ["name", "title", "question"])
def test_markdown_keeps_untrusted_text_inert(where: str, payload: str) -> None:
    markdown_it = pytest.importorskip("markdown_it")
    profile = expert(**{where: f"Sam {payload}"}) if where != "question" else expert()
    question = f"What about {payload}?" if where == "question" else QUESTIONS[0]
    markdown = render_markdown(build_agenda(profile, [question], 20))

    assert "<" not in markdown
    assert "![" not in markdown
    assert "](" not in markdown
    rendered = markdown_it.MarkdownIt("commonmark").enable("table").render(markdown)
    assert not re.search(r"<(script|img|a)\b", rendered)
    assert html.unescape(payload) in html.unescape(re.sub(r"<[^>]+>", "", rendered))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zoë & <b>", "Zoë &amp; &lt;b&gt;"),
        ("a\nb\r\n  c", "a b c"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("2) item", "2\\) item"),
    ],
)
def test_escape_markdown(text: str, expected: str) -> None:
    assert escape_markdown(text) == expected


def test_ics_parses_and_round_trips_the_agenda() -> None:
    agenda = build_agenda(expert(), QUESTIONS[:3], 30, requester="Alex")
    event = only_event(ics_for(agenda))

    assert str(event["SUMMARY"]) == "Coffee chat with Sam Okafor: financial metrics"
    assert str(event["DESCRIPTION"]) == render_text(agenda)
    for question in QUESTIONS[:3]:
        assert question in str(event["DESCRIPTION"])
    assert event.start == START.replace(tzinfo=ZoneInfo("Europe/London"))
    assert start_of(event).tzinfo is not None and str(start_of(event).tzinfo) == "Europe/London"
    assert event.end - event.start == timedelta(minutes=30)
    assert event.DTSTAMP == NOW
    assert str(event["UID"]).endswith("@question-coach")
    assert [str(a) for a in event.attendees] == ["mailto:sam@example.com"]


def test_ics_has_the_required_calendar_properties_and_timezone() -> None:
    calendar = Calendar.from_ical(ics_for(build_agenda(expert(), QUESTIONS[:1], 15)))

    assert str(calendar["VERSION"]) == "2.0"
    assert "question-coach" in str(calendar["PRODID"])
    assert [str(tz["TZID"]) for tz in calendar.timezones] == ["Europe/London"]


@dataclass(frozen=True)
class Variant:
    name: str
    questions: tuple[str, ...]
    start: datetime
    same_uid: bool


@pytest.mark.parametrize(
    "variant",
    [
        Variant("identical input", tuple(QUESTIONS[:2]), START, same_uid=True),
        Variant("other questions", tuple(QUESTIONS[1:3]), START, same_uid=False),
        Variant("other start", tuple(QUESTIONS[:2]), START + timedelta(days=1), same_uid=False),
    ],
    ids=lambda v: v.name,
)
def test_uid_is_stable_for_the_same_input_only(variant: Variant) -> None:
    first = only_event(ics_for(build_agenda(expert(), QUESTIONS[:2], 20)))
    second = only_event(ics_for(build_agenda(expert(), list(variant.questions), 20), start=variant.start))

    assert (first["UID"] == second["UID"]) is variant.same_uid


def test_the_same_input_gives_byte_identical_files() -> None:
    agenda = build_agenda(expert(), QUESTIONS[:2], 20)

    assert ics_for(agenda) == ics_for(agenda)


def test_dtstamp_defaults_to_utc_now() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    event = only_event(render_ics(build_agenda(expert(), QUESTIONS[:1], 20), start=START, tz="UTC"))

    assert before <= event.DTSTAMP <= datetime.now(UTC)


@pytest.mark.parametrize(
    "name",
    ['Zoë Nakamura-O\'Brien; PhD, "Ops"', "Åsa Lindqvist\\Berg", "李 小龍 " * 10, "Line\nBreak Person"],
)
def test_ics_lines_are_crlf_folded_and_special_text_survives(name: str) -> None:
    question = "Zoë, how do returns; refunds and \\credits show up — in ‘the’ numbers?\nAnd why?"
    agenda = build_agenda(expert(name=name, title='Ops; Finance, "EMEA"'), [question, *QUESTIONS[:1]], 20)
    ics = ics_for(agenda)
    raw = ics.encode("utf-8")

    assert raw.endswith(b"\r\n")
    lines = raw.split(b"\r\n")[:-1]
    assert all(b"\n" not in line and b"\r" not in line for line in lines)
    assert max(len(line) for line in lines) <= 75
    event = only_event(ics)
    # No clean topic in that question, so the title is the chat alone, not a cut fragment of the question.
    assert str(event["SUMMARY"]).startswith(f"Coffee chat with {' '.join(name.split())}")
    assert " ".join(question.split()) in str(event["DESCRIPTION"])
    assert str(event["DESCRIPTION"]) == render_text(agenda)
    assert event.attendees[0].params["CN"] == " ".join(name.split())


def test_aware_start_is_converted_to_the_given_zone() -> None:
    start = datetime(2026, 12, 3, 15, 0, tzinfo=ZoneInfo("America/New_York"))
    event = only_event(ics_for(build_agenda(expert(), QUESTIONS[:1], 20), tz="Europe/Berlin", start=start))

    assert str(start_of(event).tzinfo) == "Europe/Berlin"
    assert event.start == start
    assert start_of(event).hour == 21


@pytest.mark.parametrize("tz", ["Mars/Olympus", "", "../etc/passwd", "london"])
def test_unknown_time_zone_raises_with_an_example(tz: str) -> None:
    with pytest.raises(CoachInputError, match="Europe/London"):
        render_ics(build_agenda(expert(), QUESTIONS[:1], 20), start=START, tz=tz)


@pytest.mark.parametrize("email", ["", "not an address", "sam@example.com\r\nATTENDEE:mailto:x@evil.example"])
def test_missing_or_odd_expert_email_leaves_no_attendee(email: str) -> None:
    ics = ics_for(build_agenda(expert(email=email), QUESTIONS[:1], 20))

    assert only_event(ics).attendees == []
    assert "evil.example" not in ics


def test_organizer_is_added_and_validated() -> None:
    agenda = build_agenda(expert(), QUESTIONS[:1], 20)
    event = only_event(render_ics(agenda, start=START, tz="UTC", organizer_email="alex@example.com"))

    assert str(event["ORGANIZER"]) == "mailto:alex@example.com"
    with pytest.raises(CoachInputError, match=r"alex@example\.com"):
        render_ics(agenda, start=START, tz="UTC", organizer_email="alex; evil")


def test_renderings_fill_markdown_always_and_ics_only_with_a_start() -> None:
    without = agenda_with_renderings(expert(), QUESTIONS[:2], 20)
    timed = agenda_with_renderings(expert(), QUESTIONS[:2], 20, start=START, tz="Asia/Tokyo", now=NOW)

    assert without.markdown and without.ics == ""
    assert timed.markdown and "Asia/Tokyo" in timed.markdown
    assert str(start_of(only_event(timed.ics)).tzinfo) == "Asia/Tokyo"
    assert timed.start == START.replace(tzinfo=ZoneInfo("Asia/Tokyo"))


def test_renderings_need_a_zone_for_a_naive_start() -> None:
    with pytest.raises(CoachInputError, match="tz="):
        agenda_with_renderings(expert(), QUESTIONS[:1], 20, start=START)
