"""The corpus rendered by the real web app in headless Chromium, with the LLM coach against the echoing stub.

Cheap by batching: one app and one page for everything. Every wish and answer case is a chat turn in the
same conversation; the profile cases, one department per family, are imported before the app starts and
shown family by family (the People filter, then each colleague's agenda and intro); the journal-note cases
are logged family by family and the Journal tab (timeline, questions, "what next") is opened after each.
Each family's slice of the run is measured on its own: script runs (alert, confirm, prompt, print, open,
counted by an init script), requests leaving the page for a host other than loopback (the page's routes),
dialogs, and active elements left in the page (event handlers, javascript: URLs, frames, images or links to
other hosts).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.config import load_settings
from coach.runtime import build_service, open_index, open_journal
from coach.web.app import build_ui, launch
from tests.browser import ARGS, CHROMIUM, Browser, require_browser, send, tab
from tests.conftest import free_port
from tests.hostile.corpus import ANSWER_WISH, PROFILE_WISH, Case, profile_row
from tests.hostile.echo_stub import echo_reply
from tests.openai_stub import ChatRequest, OpenAIStub, StubReply
from tests.rerank_script import task_of
from vectorstore.profiles import load_profiles

TURN_MS = 30_000
COUNTERS = """
window.__qc = {runs: 0};
for (const name of ['alert', 'confirm', 'prompt', 'print', 'open']) {
  const original = window[name];
  window[name] = function (...args) { window.__qc.runs += 1; return original.apply(this, args); };
}
"""
ACTIVE_ELEMENTS = """() => {
  const local = (u) => !u || /^(data:|blob:|#|about:)/.test(u) || /^https?:\\/\\/(127\\.0\\.0\\.1|localhost)[:/]/.test(u)
    || !/^[a-z][a-z0-9+.-]*:/i.test(u);
  let found = 0;
  for (const el of document.querySelectorAll('#qc-tabs *')) {
    for (const attr of el.attributes) {
      const v = (attr.value || '').replace(/\\s/g, '').toLowerCase();
      if (attr.name.startsWith('on') || attr.name === 'srcdoc') found += 1;
      else if (['href', 'src', 'action', 'data', 'formaction'].includes(attr.name)) {
        if (v.startsWith('javascript:') || v.startsWith('vbscript:')) found += 1;
        else if (!local(attr.value)) found += 1;
      }
    }
    if (['IFRAME', 'OBJECT', 'EMBED', 'FRAME', 'FORM', 'BASE'].includes(el.tagName)) found += 1;
  }
  return found;
}"""
BROWSER_COLUMNS = ("cases", "shown", "drafted", "script_runs", "requests_out", "dialogs", "active_elements")
HARM = ("script_runs", "requests_out", "dialogs", "active_elements")


@dataclass
class BrowserRun:
    """Per family, what the page did while that family's cases were shown."""

    counts: dict[str, Counter[str]] = field(default_factory=dict)
    outside: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def add(self, family: str, **counts: int) -> None:
        self.counts.setdefault(family, Counter()).update(counts)

    def table(self) -> dict[str, dict[str, int]]:
        total: Counter[str] = Counter()
        for family, row in self.counts.items():
            if family != CANARY:
                total.update(row)
        rows = {f: {c: self.counts[f][c] for c in BROWSER_COLUMNS} for f in sorted(self.counts)}
        return rows | {"total": {c: total[c] for c in BROWSER_COLUMNS}}

    def as_json(self) -> dict[str, Any]:
        return {"per_family": self.table(), "outside": self.outside[:20], "dialogs": self.dialogs[:20]}


class SpreadingEcho:
    """The echoing stub, with its re-ranking spread so that every candidate gets shown in turn."""

    def __init__(self) -> None:
        self.shown: Counter[str] = Counter()

    def __call__(self, request: ChatRequest) -> StubReply:
        reply = echo_reply(request)
        if task_of(request) != "rerank_many" or reply.content is None:
            return reply
        answer = json.loads(reply.content)
        for entry in answer["rankings"]:
            entry["ranking"].sort(key=lambda item: self.shown[item["id"]])
            self.shown.update(item["id"] for item in entry["ranking"][:3])
        return StubReply(content=json.dumps(answer))


def run_browser(cases: Sequence[Case], drafts_per_family: int | None = None) -> BrowserRun:
    """Every case rendered in Chromium; `drafts_per_family` limits the agendas and intros opened."""
    require_browser()
    from playwright.sync_api import sync_playwright

    run = BrowserRun()
    with (
        tempfile.TemporaryDirectory() as tmp,
        OpenAIStub(SpreadingEcho()) as stub,
        _app(Path(tmp), stub.base_url, cases) as (url, journal),
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        web = Browser(url=url, browser=browser)
        page = _page(web)
        _measure(page, web, run, "(the page itself)", 0, (0, 0))
        _chat(page, web, run, cases)
        _people(page, web, run, cases, drafts_per_family)
        _journal(page, web, run, cases, journal)
        _canary(page, web, run)
        browser.close()
    return run


CANARY = "(canary: raw HTML put in the page by the test)"


def _canary(page: Any, web: Browser, run: BrowserRun) -> None:
    """Raw active HTML written straight into the page, bypassing the app: proof the counters see harm."""
    before = _mark(web)
    page.evaluate(
        """() => document.querySelector('#qc-tabs').insertAdjacentHTML('beforeend',
          '<img src="https://evil.example/canary.png" onerror="alert(1)"><a href="javascript:alert(2)">x</a>')"""
    )
    page.wait_for_timeout(1500)
    _measure(page, web, run, CANARY, 0, before)
    run.counts[CANARY]["cases"] = 0


@contextmanager
def _app(folder: Path, base_url: str, cases: Sequence[Case]) -> Iterator[tuple[str, Any]]:
    """The real app on loopback: the sample organisation plus every profile case, the LLM at `base_url`."""
    settings = load_settings(
        data_dir=folder / "data",
        host="127.0.0.1",
        port=free_port(),
        openai_api_key=None,
        openai_base_url=base_url,
        llm_max_retries=0,
    )
    index = open_index(settings)
    rows = [_browser_row(case) for case in cases if case.in_profile]
    path = folder / "planted.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    index.upsert(load_profiles(path).profiles)
    journal = open_journal(settings)
    demo = build_ui(build_service(settings, index, journal), settings, "LLM: echoing stub")
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        yield url, journal
    finally:
        demo.close()
        journal.close()
        index.close()


def _browser_row(case: Case) -> dict[str, Any]:
    return {**profile_row(case), "id": f"zz-{case.id}", "department": _department(case.family)}


def _department(family: str) -> str:
    return f"Planted {family.replace('_', ' ')}"


def _page(web: Browser) -> Any:
    page = web.page()
    page.context.add_init_script(COUNTERS)
    page.reload()
    page.wait_for_selector("#qc-chat")
    return page


def _measure(
    page: Any, web: Browser, run: BrowserRun, family: str, cases: int, before: tuple[int, int]
) -> None:
    """Add what happened since `before` (outside requests, dialogs) and what the page holds now."""
    runs = int(page.evaluate("() => window.__qc ? window.__qc.runs : 0"))
    page.evaluate("() => { if (window.__qc) window.__qc.runs = 0; }")
    active = int(page.evaluate(ACTIVE_ELEMENTS))
    outside, dialogs = len(web.outside) - before[0], len(web.dialogs) - before[1]
    run.add(family, cases=cases, script_runs=runs, requests_out=outside, dialogs=dialogs)
    run.add(family, active_elements=active)
    run.outside, run.dialogs = list(web.outside), list(web.dialogs)


def _mark(web: Browser) -> tuple[int, int]:
    return len(web.outside), len(web.dialogs)


def _turn(page: Any, text: str) -> None:
    """Send one chat message and wait until the coach's reply has finished streaming."""
    users = page.locator("#qc-chat [data-testid=user]").count()
    send(page, text)
    page.wait_for_function(
        """(n) => {
          const users = document.querySelectorAll('#qc-chat [data-testid=user]').length;
          const bots = [...document.querySelectorAll('#qc-chat [data-testid=bot]')];
          const tracker = document.querySelector('#qc-chat [data-testid=status-tracker]');
          const last = bots.length ? bots[bots.length - 1].innerText.trim() : '';
          return users > n && last && last !== '…' && (!tracker || tracker.classList.contains('hidden'));
        }""",
        arg=users,
        timeout=TURN_MS,
    )


def _chat(page: Any, web: Browser, run: BrowserRun, cases: Sequence[Case]) -> None:
    """Each wish case as a new wish; each answer case as the answer to the coach's clarifying question."""
    for case in cases:
        if "wish" not in case.where and "answer" not in case.where:
            continue
        before = _mark(web)
        shown = 1
        try:
            if "answer" in case.where:
                _turn(page, ANSWER_WISH)
            _turn(page, case.text)
        except Exception:  # a refused message (too long) shows a toast and no reply: still measured
            shown = 0
            page.wait_for_timeout(500)
        _measure(page, web, run, case.family, 1, before)
        run.add(case.family, shown=shown)
        _new_wish(page)


def _new_wish(page: Any) -> None:
    """Clear the chat for the next case (a toast may cover the button: the click goes to it directly)."""
    page.locator("#qc-new").dispatch_event("click")
    try:
        page.wait_for_function("() => !document.querySelector('#qc-chat [data-testid=user]')")
    except Exception:  # a turn still running holds the queue: start from a fresh page instead
        page.reload()
        page.wait_for_selector("#qc-chat")


def _people(page: Any, web: Browser, run: BrowserRun, cases: Sequence[Case], drafts: int | None) -> None:
    """Per family: the People filter on its department, then each planted colleague's agenda and intro."""
    _turn(page, PROFILE_WISH)
    by_family: dict[str, list[Case]] = {}
    for case in cases:
        if case.in_profile:
            by_family.setdefault(case.family, []).append(case)
    for family, planted in by_family.items():
        before = _mark(web)
        tab(page, "People")
        department = page.locator("#qc-f-dept input")
        department.click()
        page.get_by_role("option").first.wait_for()
        option = page.get_by_role("option", name=_department(family), exact=True)
        if not option.count():  # every planted profile of the family was refused at import: nothing to show
            page.keyboard.press("Escape")
            _measure(page, web, run, family, len(planted), before)
            run.add(family, shown=0, drafted=0)
            continue
        option.click()
        page.wait_for_function(
            "(d) => document.querySelector('#qc-f-dept input')?.value === d", arg=_department(family)
        )
        page.wait_for_timeout(1500)
        tab(page, "People")
        cards = page.locator('#qc-people [data-expert-id^="zz-"]')
        shown = len({cards.nth(i).get_attribute("data-expert-id") for i in range(cards.count())})
        drafted = 0
        for position in range(len(planted) if drafts is None else drafts):
            if not _drafts(page, position):
                break
            drafted += 1
        _measure(page, web, run, family, len(planted), before)
        run.add(family, shown=shown, drafted=drafted)


def _drafts(page: Any, position: int) -> bool:
    """The agenda and the intro for the picker's `position`-th colleague; False when there is none."""
    tab(page, "People")
    page.locator("#qc-expert input").click()
    options = page.get_by_role("option")
    if options.count() <= position:
        page.keyboard.press("Escape")
        return False
    page.wait_for_timeout(200)  # the list animates open; a click while it moves can miss
    options.nth(position).click()
    page.locator("#qc-open-agenda").click()
    page.locator("#qc-agenda h1").wait_for()
    tab(page, "People")
    page.locator("#qc-open-intro").click()
    page.wait_for_timeout(1000)
    return True


def _journal(page: Any, web: Browser, run: BrowserRun, cases: Sequence[Case], journal: Any) -> None:
    """Per family: its notes logged as chats, then the Journal tab opened (timeline, questions, what next)."""
    by_family: dict[str, list[Case]] = {}
    for case in cases:
        if "journal_note" in case.where:
            by_family.setdefault(case.family, []).append(case)
    for family, notes in by_family.items():
        before = _mark(web)
        logged = 0
        for case in notes:
            try:
                journal.log_chat(
                    "local", "nw-0039", "Nadia Rahman", True, [case.text], [], [], [], notes=case.text
                )
            except Exception:  # refused at the door (too long): nothing to show
                continue
            logged += not case.in_profile
        tab(page, "People")
        tab(page, "Journal")
        page.locator("#qc-j-timeline").wait_for()
        page.wait_for_timeout(1500)
        counted = [c for c in notes if not c.in_profile]  # a case also in a profile counted there
        _measure(page, web, run, family, len(counted), before)
        run.add(family, shown=logged)


def chromium_available() -> bool:
    return CHROMIUM.exists() or os.environ.get("CI", "").lower() == "true"
