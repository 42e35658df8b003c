"""Hostile profile text in a real headless Chromium: shown as text, never as markup, links or requests.

Every surface a profile string reaches is covered: the chat, the cards, the agenda, the pickers and
the toasts (`gr.Info`, `gr.Error`), which Gradio renders as HTML.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest

from tests.browser import Browser, choose_expert, running_app, send, shot, tab, wait_for_questions
from vectorstore.models import Availability, ExpertProfile

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

FEEDBACK = "I'm a new manager and want to get better at giving feedback"
HOSTILE_NAME = (
    "Mallory ![t](https://evil.example/name.png) <img src=//evil.example/p> "
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
)
GLUED = "Seehttps://evil.example/x awww.evil.example mallory@evil.example"
HOSTILE = ExpertProfile(
    id="zz-hostile",
    name=HOSTILE_NAME,
    title=f'Feedback Coach {GLUED} ${{7*7}} {{{{7*7}}}} <svg onload="window.__pwned=3">',
    department="People & HR",
    location="London",
    bio="Coaches first-time managers on giving feedback. ![t](https://evil.example/bio.png) [x](https://evil.example/)",
    expertise=[
        "difficult feedback conversations",
        "preparing for a difficult conversation",
        "giving feedback",
        "![e](https://evil.example/e.png)",
    ],
    availability=Availability.open,
)
DOM_CHECK = """() => ({
    pwned: window.__pwned ?? null,
    scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length,
    images: document.querySelectorAll('img[src="x"], img[src*="evil.example"]').length,
    handlers: document.querySelectorAll('[onerror], [onload]').length,
    links: document.querySelectorAll('a[href*="evil.example"]').length,
})"""
INERT = {"pwned": None, "scripts": 0, "images": 0, "handlers": 0, "links": 0}


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    with running_app(tmp_path_factory.mktemp("ui-hostile"), [HOSTILE]) as browser:
        yield browser


def test_hostile_profile_text_stays_inert(web: Browser) -> None:
    page = web.page()
    send(page, FEEDBACK)
    wait_for_questions(page)
    chat = page.locator("#qc-chat").inner_text()
    assert "<script>window.__pwned=1</script>" in chat
    assert GLUED in chat  # glued URLs read as written, and are not links (checked below)

    tab(page, "People")
    card = page.locator('#qc-people .qc-card[data-expert-id="zz-hostile"]').first
    card.wait_for()
    text = card.inner_text()
    assert "<script>window.__pwned=1</script>" in text and "${7*7} {{7*7}}" in text

    choose_expert(page, "Mallory")
    page.locator("#qc-open-agenda").click()
    page.locator("#qc-agenda h1").wait_for()
    agenda = page.locator("#qc-agenda").inner_text()
    assert "<script>window.__pwned=1</script>" in agenda and "![t](https://evil.example/name.png)" in agenda
    assert GLUED in agenda
    shot(page, "11-hostile-profile")

    assert page.evaluate(DOM_CHECK) == INERT
    assert not [url for url in web.outside if "evil.example" in url]
    assert web.dialogs == []


def test_toasts_show_profile_and_typed_text_as_text(web: Browser) -> None:
    page = web.page()
    send(page, FEEDBACK)
    wait_for_questions(page)
    tab(page, "People")
    choose_expert(page, "Mallory")

    # gr.Info: the journal's "Saved your chat with <name>".
    tab(page, "Journal")
    page.wait_for_function("() => document.querySelector('#qc-j-expert input')?.value.includes('Mallory')")
    page.locator("#qc-j-learned textarea").fill("Ask for one change at a time")
    page.locator("#qc-j-save").click()
    saved = page.locator(".toast-body").filter(has_text="Saved your chat with")
    saved.first.wait_for()
    assert "<img src=//evil.example/p>" in saved.first.inner_text()

    # gr.Error: a typed time zone is quoted back in the message.
    tab(page, "Agenda")
    page.locator("#qc-agenda h1").wait_for()
    zone = page.locator("#qc-tz textarea, #qc-tz input").first
    zone.fill("<img src=//evil.example/tz.png onerror=window.__pwned=4>")
    zone.press("Enter")
    failed = page.locator(".toast-body").filter(has_text="Unknown time zone")
    failed.first.wait_for()
    assert "<img src=//evil.example/tz.png" in failed.first.inner_text()
    page.wait_for_timeout(500)
    shot(page, "16-hostile-toasts")

    assert page.evaluate(DOM_CHECK) == INERT
    assert not [url for url in web.outside if "evil.example" in url]
    assert web.dialogs == []
