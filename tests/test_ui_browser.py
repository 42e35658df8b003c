"""The web app in a real headless Chromium: the whole flow, tabs that keep the chosen expert, the
browser's time zone, stale agendas, and a phone-sized window. Screenshots land in tests/artifacts/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest
from icalendar import Calendar

from tests.browser import (
    Browser,
    choose_expert,
    running_app,
    send,
    shot,
    tab,
    wait_for_questions,
)

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

PUBLISHING = (
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing."
)
FEEDBACK = "I'm a new manager and want to get better at giving feedback"
TEXT = "#qc-{0} textarea, #qc-{0} input"


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with running_app(tmp_path_factory.mktemp("ui-browser")) as browser:
        yield browser


def test_full_flow(web: Browser) -> None:
    page = web.page()
    shot(page, "01-start")
    send(page, PUBLISHING)
    answer = page.locator("#qc-chat").get_by_role("button", name="how it makes money")
    answer.wait_for()
    shot(page, "02-clarifying-question")

    answer.click()
    wait_for_questions(page)
    questions = page.locator("#qc-questions .virtual-row").all_inner_texts()
    assert any("?" in row for row in questions)
    shot(page, "03-questions")

    tab(page, "People")
    page.locator("#qc-people .qc-card").first.wait_for()
    assert page.locator("#qc-people .qc-group").count() == len([q for q in questions if q.strip()])
    chosen = page.locator("#qc-expert input").input_value()
    assert chosen
    shot(page, "04-people")

    page.locator("#qc-open-agenda").click()
    heading = page.locator("#qc-agenda h1")
    heading.wait_for()
    assert heading.inner_text().startswith("Coffee chat with")
    shot(page, "05-agenda")
    with page.expect_download() as download:
        page.locator("#qc-dl-ics").click()
    assert download.value.suggested_filename.endswith(".ics")
    assert download.value.suggested_filename.isascii()
    event = Calendar.from_ical(Path(download.value.path()).read_bytes()).events[0]
    assert str(event["SUMMARY"]).startswith("Coffee chat with")
    assert isinstance(event.start, datetime) and event.start.tzinfo is not None

    tab(page, "People")
    page.locator("#qc-open-intro").click()
    body = page.locator("#qc-body textarea")
    page.wait_for_function("() => document.querySelector('#qc-body textarea')?.value.length > 40")
    assert page.locator("#qc-subject").is_visible()
    email = body.input_value()
    shot(page, "06-intro-email")

    page.locator("#qc-channel").get_by_text("Slack / Teams").click()
    page.wait_for_function(
        "(before) => document.querySelector('#qc-body textarea')?.value !== before", arg=email
    )
    page.locator("#qc-subject").wait_for(state="hidden")
    slack = body.input_value()
    page.locator("#qc-body").get_by_role("button", name="Copy").click()
    assert page.evaluate("() => navigator.clipboard.readText()") == slack
    shot(page, "07-intro-slack")

    tab(page, "Journal")
    # Opening the tab fills "Who did you talk to?"; saving before that lands has nobody to save for.
    page.wait_for_function("() => document.querySelector('#qc-j-expert input')?.value")
    page.locator("#qc-j-learned textarea").fill("Margins drive which books get signed")
    page.locator("#qc-j-save").click()
    page.locator("#qc-j-timeline").get_by_text("Margins drive which books get signed").wait_for()
    shot(page, "08-journal")
    assert web.outside == [], f"the page reached beyond this machine: {web.outside}"


def test_tab_headers_keep_the_chosen_expert(web: Browser) -> None:
    page = web.page(timezone="America/New_York")
    send(page, FEEDBACK)
    wait_for_questions(page)
    tab(page, "People")
    page.locator("#qc-people .qc-card").first.wait_for()
    names = list(dict.fromkeys(page.locator("#qc-people .qc-card .qc-name").all_inner_texts()))
    first, second = names[:2]
    choose_expert(page, second)

    # The Agenda header, not the "Agenda →" button: the agenda is for the person chosen under People.
    tab(page, "Agenda")
    page.locator("#qc-agenda-title").get_by_text(f"Coffee chat with {second}").wait_for()
    assert page.locator("#qc-agenda h1").inner_text() == f"Coffee chat with {second}"
    # The time zone is the browser's, and the invite says so.
    assert page.locator(TEXT.format("tz")).first.input_value() == "America/New_York"
    with page.expect_download() as download:
        page.locator("#qc-dl-ics").click()
    assert "TZID=America/New_York" in Path(download.value.path()).read_text(encoding="utf-8")
    shot(page, "12-agenda-from-tab-header")

    tab(page, "Intro")
    page.locator("#qc-intro-title").get_by_text(f"Message to {second}").wait_for()
    page.wait_for_function("() => document.querySelector('#qc-body textarea')?.value.length > 40")
    body = page.locator("#qc-body textarea")
    body.fill("My own words, which a look at another tab must not throw away.")
    shot(page, "13-intro-from-tab-header")
    tab(page, "People")
    tab(page, "Intro")
    page.wait_for_timeout(1000)
    assert body.input_value().startswith("My own words")

    tab(page, "People")
    choose_expert(page, first)
    tab(page, "Intro")
    page.locator("#qc-intro-title").get_by_text(f"Message to {first}").wait_for()
    assert not body.input_value().startswith("My own words")
    tab(page, "Agenda")
    page.locator("#qc-agenda-title").get_by_text(f"Coffee chat with {first}").wait_for()
    assert web.outside == [] and web.dialogs == []


def test_a_bad_date_clears_the_old_agenda_and_its_downloads(web: Browser) -> None:
    page = web.page()
    send(page, FEEDBACK)
    wait_for_questions(page)
    tab(page, "People")
    page.locator("#qc-open-agenda").click()
    page.locator("#qc-agenda h1").wait_for()
    assert page.locator("#qc-dl-ics").is_visible()

    date = page.locator(TEXT.format("date")).first
    date.fill("1 Dec")
    date.press("Enter")
    page.locator(".toast-body").filter(has_text="year-month-day").first.wait_for()
    page.locator("#qc-agenda").get_by_text("Fix the form above").wait_for()
    assert page.locator("#qc-agenda h1").count() == 0
    assert not page.locator("#qc-dl-ics").is_visible() and not page.locator("#qc-dl-md").is_visible()
    shot(page, "14-agenda-after-a-bad-date")

    date.fill("2026-12-01")
    date.press("Enter")
    page.locator("#qc-agenda h1").wait_for()
    assert page.locator("#qc-dl-ics").is_visible()


def test_an_empty_question_list_stays_visible_beside_its_error(web: Browser) -> None:
    page = web.page()
    page.locator("#qc-find").click()
    page.locator(".toast-body").filter(has_text="question list is empty").first.wait_for()
    page.wait_for_timeout(500)
    # Gradio keeps a status tracker over each output; shown with an error, it hides the table.
    shown = page.locator('#qc-questions-panel [data-testid="status-tracker"]:not(.hide) .error')
    assert shown.count() == 0
    assert page.locator("#qc-questions").get_by_text("Question", exact=True).first.is_visible()


def test_import_report_counts_rows_in_plain_words(web: Browser, tmp_path: Path) -> None:
    upload = tmp_path / "studio.csv"
    upload.write_text(
        "id,name,title,department,availability\n"
        "st-1,Ines Duarte,Glassblowing Lead,Studio,open\n"
        "st-2,,Kiln Technician,Studio,whenever\n",
        encoding="utf-8",
    )
    page = web.page()
    tab(page, "Profiles")
    page.locator("#qc-upload input[type=file]").set_input_files(str(upload))
    report = page.locator("#qc-report")
    report.get_by_text("row rejected").wait_for()
    text = report.inner_text()
    assert (
        "1 row rejected" in text
        and "name is empty" in text
        and "should be open, limited or unavailable" in text
    )
    assert "String should" not in text and "Input should" not in text
    shot(page, "15-import-report")


def test_phone_sized_window(web: Browser) -> None:
    page = web.page(width=390, height=844)
    shot(page, "09-phone-start", full_page=False)
    send(page, FEEDBACK)
    wait_for_questions(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"
    shot(page, "10-phone-questions")
