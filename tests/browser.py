"""Driving the web app in a real headless Chromium: the app on loopback, pages that may not leave it."""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.offline_app import offline_app
from vectorstore.models import ExpertProfile

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
LOCAL = ("data:", "blob:", "http://127.0.0.1", "http://localhost")


def require_browser() -> None:
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
    dialogs: list[str] = field(default_factory=list)

    def page(self, width: int = 1280, height: int = 900, timezone: str | None = None) -> Any:
        """A fresh context (own session, clipboard allowed) where only loopback requests get through."""
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            permissions=["clipboard-read", "clipboard-write"],
            accept_downloads=True,
            timezone_id=timezone,
        )
        context.set_default_timeout(WAIT_MS)

        def route(route: Any) -> None:
            url = route.request.url
            if url.startswith(LOCAL):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        def dialog(dialog: Any) -> None:
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", dialog)
        page.goto(self.url)
        page.wait_for_selector("#qc-chat")
        return page


@contextmanager
def running_app(data_dir: Path, extra_profiles: Sequence[ExpertProfile] = ()) -> Iterator[Browser]:
    """The offline app on the sample organisation (plus `extra_profiles`) and one headless Chromium."""
    require_browser()
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with offline_app(data_dir, extra_profiles) as app, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield Browser(url=app.url, browser=browser)
        browser.close()


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


def choose_expert(page: Any, label_part: str) -> str:
    """Pick someone in the People tab's "Choose expert" list; returns the label shown."""
    page.locator("#qc-expert input").click()
    option = page.get_by_role("option").filter(has_text=label_part).first
    option.wait_for()
    page.wait_for_timeout(200)  # the list animates open; a click while it moves can miss
    option.click()
    return str(page.locator("#qc-expert input").input_value())
