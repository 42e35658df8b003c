"""The journal loop in a real headless Chromium: a chat logged days later with anyone, deleting a question,
and drafts that are not asks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from coach.journal.store import Journal
from coach.models import LearningQuestion
from tests.browser import (
    ARGS,
    ARTIFACTS,
    CHROMIUM,
    Browser,
    require_browser,
    send,
    shot,
    tab,
    wait_for_questions,
)
from tests.offline_app import offline_app
from vectorstore.index import ExpertIndex

FEEDBACK = "I'm a new manager and want to get better at giving feedback"
pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]


@dataclass
class JournalApp:
    web: Browser
    index: ExpertIndex
    journal: Journal


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JournalApp]:
    require_browser()
    ARTIFACTS.mkdir(exist_ok=True)
    from playwright.sync_api import sync_playwright

    with offline_app(tmp_path_factory.mktemp("ui-journal")) as running, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield JournalApp(Browser(url=running.url, browser=browser), running.index, running.journal)
        browser.close()


def journal_tab(page: Any) -> None:
    tab(page, "Journal")
    page.locator("#qc-j-timeline").wait_for()
    page.wait_for_function(
        "() => !document.querySelector('#qc-j-questions')?.innerText.includes('Open the tab')"
    )


def test_log_a_chat_in_a_fresh_session_with_someone_never_matched(app: JournalApp) -> None:
    someone = sorted(app.index.profiles(), key=lambda p: p.name)[-1]  # nobody this session has seen
    page = app.web.page()
    journal_tab(page)
    page.locator("#qc-j-find textarea").fill(someone.name)
    page.locator("#qc-j-find textarea").press("Enter")
    page.wait_for_function(
        "(name) => document.querySelector('#qc-j-expert input')?.value.startsWith(name)", arg=someone.name
    )
    page.locator("#qc-j-date textarea").fill("2026-11-20")
    page.locator("#qc-j-learned textarea").fill("How the warehouse schedules its loads")
    page.locator("#qc-j-new textarea").fill("Who plans the seasonal peaks?")
    page.locator("#qc-j-save").click()
    timeline = page.locator("#qc-j-timeline")
    timeline.get_by_text("How the warehouse schedules its loads").wait_for()
    assert f"Coffee chat with {someone.name}" in timeline.inner_text()
    assert "on 2026-11-20" in timeline.inner_text(), "a chat logged days later says when it happened"
    shot(page, "12-journal-anyone")
    chat = app.journal.list_chats("local")[-1]
    assert (chat.expert_id, chat.date.isoformat()) == (someone.id, "2026-11-20")
    assert "Who plans the seasonal peaks?" in page.locator("#qc-j-questions").inner_text()
    assert app.web.outside == []


def test_delete_a_question(app: JournalApp) -> None:
    doomed, kept = "Which report should I read first?", "Who owns the quarterly plan?"
    app.journal.keep_questions(
        "local", "Learn the planning cycle", [LearningQuestion(text=t) for t in (doomed, kept)]
    )
    page = app.web.page()
    journal_tab(page)
    panel = page.locator("#qc-j-questions")
    assert doomed in panel.inner_text() and kept in panel.inner_text()
    page.locator("#qc-j-pick input").click()
    page.get_by_role("option", name=doomed, exact=True).click()
    page.keyboard.press("Escape")
    page.locator("#qc-j-delete").click()
    page.wait_for_function(
        "(text) => !document.querySelector('#qc-j-questions').innerText.includes(text)", arg=doomed
    )
    assert kept in panel.inner_text()
    shot(page, "13-journal-deleted")
    assert [q.text for q in app.journal.list_questions("local") if q.text in (doomed, kept)] == [kept]


def card_order(page: Any) -> list[str]:
    page.locator("#qc-people .qc-card").first.wait_for()
    return page.eval_on_selector_all("#qc-people .qc-card", "cards => cards.map(c => c.dataset.expertId)")


def test_drafting_intros_without_sending_leaves_the_next_users_ranking_unchanged(app: JournalApp) -> None:
    first = app.web.page()
    send(first, FEEDBACK)
    wait_for_questions(first)
    tab(first, "People")
    before = card_order(first)
    first.locator("#qc-open-intro").click()
    first.wait_for_function("() => document.querySelector('#qc-body textarea')?.value.length > 40")
    for channel in ("Slack / Teams", "LinkedIn", "Email"):
        previous = first.locator("#qc-body textarea").input_value()
        first.locator("#qc-channel").get_by_text(channel).click()
        first.wait_for_function(
            "(before) => document.querySelector('#qc-body textarea')?.value !== before", arg=previous
        )
    assert app.journal.count_asks(before, since=app.journal.now().replace(year=2000)) == dict.fromkeys(
        sorted(set(before)), 0
    )

    second = app.web.page()  # the next user: a new session
    send(second, FEEDBACK)
    wait_for_questions(second)
    tab(second, "People")
    assert card_order(second) == before, "three drafts moved nobody"
    assert "moved" not in second.locator("#qc-people").inner_text()

    first.locator("#qc-sent").click()
    first.locator("#qc-sent-note").get_by_text("Marked as sent").wait_for()
    shot(first, "14-intro-marked-sent")
    chosen = first.locator("#qc-expert input").input_value()
    assert (
        chosen
        and sum(app.journal.count_asks(before, since=app.journal.now().replace(year=2000)).values()) == 1
    )
