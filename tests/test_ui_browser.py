"""The web app in a real headless Chromium: the whole flow, a phone-sized window, and hostile profiles."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import pytest
from icalendar import Calendar

from coach.config import load_settings
from coach.runtime import build_service, open_index, open_journal
from coach.web.app import build_ui, launch
from tests.conftest import free_port
from vectorstore.models import Availability, ExpertProfile

pytestmark = [pytest.mark.browser, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT_MS = 20_000
PUBLISHING = (
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing."
)
FEEDBACK = "I'm a new manager and want to get better at giving feedback"
HOSTILE_NAME = (
    "Mallory ![t](https://evil.example/name.png) "
    '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
)
HOSTILE = ExpertProfile(
    id="zz-hostile",
    name=HOSTILE_NAME,
    title='Feedback Coach ${7*7} {{7*7}} <svg onload="window.__pwned=3">',
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


def _require_browser() -> None:
    """Skip without Chromium or playwright, except under CI=true, where a missing browser is a failure."""
    missing = [
        what
        for what, ok in (
            (str(CHROMIUM), CHROMIUM.exists()),
            ("playwright", importlib.util.find_spec("playwright") is not None),
        )
        if not ok
    ]
    if missing:
        message = (
            f"browser test needs {', '.join(missing)} (apt-get install chromium; pip install playwright)"
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@dataclass
class Browser:
    url: str
    browser: Any
    outside: list[str] = field(default_factory=list)

    def page(self, width: int = 1280, height: int = 900) -> Any:
        """A fresh context (own session, clipboard allowed) where only loopback requests get through."""
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            permissions=["clipboard-read", "clipboard-write"],
            accept_downloads=True,
        )
        context.set_default_timeout(WAIT_MS)

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith(("data:", "blob:", "http://127.0.0.1", "http://localhost")):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.goto(self.url)
        page.wait_for_selector("#qc-chat")
        return page


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    data_dir = tmp_path_factory.mktemp("ui-browser")
    settings = load_settings(
        data_dir=data_dir, host="127.0.0.1", port=free_port(), openai_api_key=None, openai_base_url=None
    )
    index = open_index(settings)
    index.upsert([HOSTILE])
    journal = open_journal(settings)
    demo = build_ui(build_service(settings, index, journal), settings, "Offline coach")
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
            yield Browser(url=url, browser=browser)
            browser.close()
    finally:
        demo.close()
        journal.close()
        index.close()


def shot(page: Any, name: str, full_page: bool = True) -> None:
    page.wait_for_timeout(300)  # let Gradio's fade of outputs that were just updated finish
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full_page)


def send(page: Any, text: str) -> None:
    box = page.locator("#qc-message textarea")
    box.fill(text)
    box.press("Enter")


def tab(page: Any, name: str) -> None:
    page.get_by_role("tab", name=name, exact=True).click()


def wait_for_questions(page: Any) -> None:
    page.locator("#qc-chat").get_by_text("People to ask:").wait_for()
    page.wait_for_function("() => document.querySelectorAll('#qc-questions .virtual-row').length >= 3")


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


def test_phone_sized_window(web: Browser) -> None:
    page = web.page(width=390, height=844)
    shot(page, "09-phone-start", full_page=False)
    send(page, FEEDBACK)
    wait_for_questions(page)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"
    shot(page, "10-phone-questions")


def test_hostile_profile_text_stays_inert(web: Browser) -> None:
    page = web.page()
    send(page, FEEDBACK)
    wait_for_questions(page)
    assert "<script>window.__pwned=1</script>" in page.locator("#qc-chat").inner_text()

    tab(page, "People")
    card = page.locator('#qc-people .qc-card[data-expert-id="zz-hostile"]').first
    card.wait_for()
    text = card.inner_text()
    assert "<script>window.__pwned=1</script>" in text and "${7*7} {{7*7}}" in text

    page.locator("#qc-expert input").click()
    page.get_by_role("option").filter(has_text="Mallory").first.click()
    page.locator("#qc-open-agenda").click()
    page.locator("#qc-agenda h1").wait_for()
    agenda = page.locator("#qc-agenda").inner_text()
    assert "<script>window.__pwned=1</script>" in agenda and "![t](https://evil.example/name.png)" in agenda
    shot(page, "11-hostile-profile")

    dom = page.evaluate(
        """() => ({
            pwned: window.__pwned ?? null,
            scripts: [...document.querySelectorAll('script')].filter(s => s.textContent.includes('__pwned')).length,
            images: document.querySelectorAll('img[src="x"], img[src*="evil.example"]').length,
            handlers: document.querySelectorAll('[onerror], [onload]').length,
            links: document.querySelectorAll('a[href*="evil.example"]').length,
        })"""
    )
    assert dom == {"pwned": None, "scripts": 0, "images": 0, "handlers": 0, "links": 0}
    assert not [url for url in web.outside if "evil.example" in url]
