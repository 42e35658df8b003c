"""The web app through its public API (gradio_client), on a real server and a real index, offline."""

from __future__ import annotations

import os
import re
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import httpx
import pytest
from gradio_client import Client, handle_file
from gradio_client.exceptions import AppError
from icalendar import Calendar

from coach.config import load_settings
from coach.runtime import build_service, mode_label, open_index, open_journal
from coach.web.app import build_ui, launch
from coach.web.files import private_root
from coach.web.history import content_text
from tests.conftest import free_port
from tests.offline_app import offline_app
from tests.openai_stub import OpenAIStub, StubReply
from vectorstore.index import ExpertIndex

# Gradio's own queue code trips pandas 3 deprecation warnings; they are not this app's to fix.
pytestmark = pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")
WISH = "I want a mentor. I work on the self-publishing side and want to understand traditional publishing."
QUESTIONS = "/find_people"


@dataclass(frozen=True)
class App:
    url: str
    index: ExpertIndex


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One offline app for the module: the bundled sample organisation, indexed in a temp dir."""
    with offline_app(tmp_path_factory.mktemp("ui-api")) as running:
        yield App(url=running.url, index=running.index)


def client(app: App) -> Client:
    return Client(app.url, verbose=False)


def value(output: Any) -> Any:
    """A component's value whether it came back plain or as an update dict."""
    return output.get("value") if isinstance(output, dict) and output.get("__type__") == "update" else output


def choices(output: Any) -> list[tuple[str, str]]:
    return [tuple(choice) for choice in output["choices"]]  # type: ignore[misc]


def chat_until_questions(c: Client, wish: str) -> tuple[list[dict[str, Any]], list[str], Any]:
    """Send the wish, pick the first offered answer while the coach clarifies; return chat, questions, outputs."""
    outputs = c.predict(wish, [], api_name="/chat")
    for _ in range(3):
        chat, table = outputs[0], outputs[3]
        questions = [row[0] for row in table["data"] if row and row[0]]
        if questions:
            return chat, questions, outputs
        offered = chat[-1].get("options") or []
        assert offered, f"the coach neither asked with choices nor gave questions: {chat[-1]}"
        outputs = c.predict(offered[0]["value"], chat, api_name="/chat")
    raise AssertionError("the coach kept asking")


def test_full_offline_flow(app: App, tmp_path: Path) -> None:
    c = client(app)
    chat, _message, notice, table, _note, people, expert = c.predict(WISH, [], api_name="/chat")
    question = chat[-1]
    assert question["role"] == "assistant" and "traditional publishing" in content_text(question["content"])
    offered = [option["value"] for option in question["options"]]
    assert "how it makes money" in offered
    assert table["data"] == [[""]] and "No questions yet" in people and value(notice) == ""

    chat, _message, notice, table, note, people, expert = c.predict(
        "how it makes money", chat, api_name="/chat"
    )
    assert [turn["role"] for turn in chat] == ["user", "assistant", "user", "assistant"]
    reply = content_text(chat[-1]["content"])
    assert "questions a colleague could answer" in reply and "People to ask" in reply
    questions = [row[0] for row in table["data"]]
    assert 3 <= len(questions) <= 5 and all(q.endswith("?") for q in questions)
    assert "Why these questions" in note
    assert people.count('class="qc-group"') == len(questions) and "qc-card" in people
    people_ids = [pid for _, pid in choices(expert)]
    assert people_ids and value(expert) == people_ids[0]

    # Edit the list: keep two, add one of my own, and match again.
    mine = "How do returns from retailers show up in the division's numbers?"
    table, note, people, expert = c.predict(
        {"headers": ["Question"], "data": [[questions[0]], [questions[2]], [mine], [""]]}, api_name=QUESTIONS
    )
    assert [row[0] for row in table["data"]] == [questions[0], questions[2], mine]
    assert people.count('class="qc-group"') == 3 and "returns from retailers" in people
    expert_id = value(expert)
    name = app.index.get(expert_id).name  # type: ignore[union-attr]

    title, picked, agenda, md_path, ics_path = c.predict(
        expert_id, 20, "2026-12-01", "10:00", "Europe/London", api_name="/open_agenda"
    )
    assert name in title and value(picked)
    assert f"Coffee chat with {name}" in agenda and "**20 minutes**" in agenda
    assert Path(md_path).read_text(encoding="utf-8").strip() == agenda.strip()
    calendar = Calendar.from_ical(Path(ics_path).read_bytes())
    event = calendar.events[0]
    assert event.start == datetime(2026, 12, 1, 10, 0, tzinfo=ZoneInfo("Europe/London"))
    assert (event.end - event.start).total_seconds() == 20 * 60
    assert name in str(event["SUMMARY"]) and value(picked)[0] in str(event["DESCRIPTION"])

    agenda, _md, ics_path = c.predict(expert_id, [mine], 30, "", "", "UTC", api_name="/agenda")
    assert "**30 minutes**" in agenda and "returns from retailers" in agenda
    assert value(ics_path) is None  # no date, no calendar invite
    with pytest.raises(AppError, match="Unknown time zone"):
        c.predict(expert_id, [mine], 20, "2026-12-01", "10:00", "Mars/Olympus", api_name="/agenda")
    with pytest.raises(AppError, match="year-month-day"):
        c.predict(expert_id, [mine], 20, "1 Dec", "10:00", "UTC", api_name="/agenda")

    _title, subject, body, _notice = c.predict(
        expert_id, "email", "warm", "Alex", "I'm on the self-publishing team", 20, api_name="/open_intro"
    )
    assert value(subject) and subject["visible"] is True
    assert name.split()[0] in body and "Alex" in body
    subject, body, _notice = c.predict(expert_id, "slack", "concise", "Alex", "", 20, api_name="/intro")
    assert subject["visible"] is False and body

    people, _picker = c.predict(["open"], "London", "Any", "Any", api_name="/filter_people")
    assert "qc-card" in people and "qc-limited" not in people and "qc-unavailable" not in people
    assert all(
        meta.startswith("London") for meta in re.findall(r'<div class="qc-meta">([^<]*)</div>', people)
    )
    _people, picker = c.predict(
        ["open", "limited", "unavailable"], "Any", "Any", "Any", api_name="/filter_people"
    )
    expert_id = value(picker)
    sent = c.predict(expert_id, api_name="/mark_sent")  # a draft is not an ask; this is
    assert "Marked as sent" in sent

    timeline, questions, pick, covered, _ideas, _picker = c.predict(expert_id, "UTC", api_name="/journal")
    open_ids = {text: qid for text, qid in choices(covered)}
    kept = next(iter(open_ids))  # the question the request to this person named
    assert WISH in questions and kept in questions, "the sent request's questions are kept under the wish"
    assert value(covered) and set(value(covered)) == set(open_ids.values()), (
        "this person's questions are ticked"
    )
    assert questions.count(kept) == 1 and {qid for _, qid in choices(pick)} == set(open_ids.values())
    _t, _r, _n, thanks, _find, _key, timeline, questions, _pick, covered, _ideas, _picker = c.predict(
        expert_id,
        "",
        "yes",
        "Margins drive the list",
        "Dana in sales analytics",
        "How are returns forecast?",
        [open_ids[kept]],
        "a-form-key",
        "UTC",
        api_name="/log_chat",
    )
    assert "Margins drive the list" in timeline and "Dana in sales analytics" in timeline
    assert "Margins drive the list" in thanks and "Dana in sales analytics" in thanks, (
        "the thank-you names both"
    )
    still_open = [text for text, _ in choices(covered)]
    assert kept not in still_open and "How are returns forecast?" in still_open


def test_two_sessions_do_not_share_state(app: App) -> None:
    wishes = {
        "manager": "I'm a new manager and want to get better at giving feedback",
        "support": "I'd like to move from customer support into product management",
    }
    start = threading.Barrier(len(wishes))
    results: dict[str, tuple[Client, list[str], str]] = {}
    errors: list[BaseException] = []

    def run(key: str) -> None:
        try:
            c = client(app)
            start.wait(timeout=30)
            _chat, questions, outputs = chat_until_questions(c, wishes[key])
            results[key] = (c, questions, value(outputs[6]))
        except BaseException as exc:  # surfaced below: a thread's assertion would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(key,)) for key in wishes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    (c1, q1, e1), (c2, q2, e2) = results["manager"], results["support"]
    assert not set(q1) & set(q2)
    # Each session's agenda offers its own questions only: the server kept two separate states.
    for c, questions, expert_id in ((c1, q1, e1), (c2, q2, e2)):
        _title, picked, *_ = c.predict(expert_id, 20, "", "", "UTC", api_name="/open_agenda")
        assert {text for text, _ in choices(picked)} == set(questions)


def test_upload_reports_bad_rows_then_imports_the_good_ones(app: App, tmp_path: Path) -> None:
    upload = tmp_path / "glass.csv"
    upload.write_text(
        "id,name,title,department,expertise,availability\n"
        "gl-1,Ines Duarte,Glassblowing Lead,Studio,glassblowing;furnace techniques,open\n"
        "gl-2,,Kiln Technician,Studio,kiln firing,whenever\n"
        "gl-3,Tomas Ek,Annealing Specialist,Studio,annealing glass;furnace techniques,limited\n"
        "gl-4,Vera Holm,Glass Chemist,Studio,glass chemistry,sometimes\n"
        "gl-5,Omar Said,Studio Manager,Studio,glass studio operations;furnace techniques,open\n",
        encoding="utf-8",
    )
    before = app.index.count()
    c = client(app)
    report = c.predict(handle_file(str(upload)), api_name="/preview_profiles")
    # Three problems in two rows: the report counts rows, in words a person would use.
    assert "**5** rows read" in report and "**3** new" in report and "**2** rows rejected" in report
    assert (
        "glass.csv:3 (id gl-2): name is empty; availability should be open, limited or unavailable" in report
    )
    assert "glass.csv:5 (id gl-4): availability should be" in report
    assert "String should" not in report and "Input should" not in report
    assert app.index.count() == before  # nothing is written before the import is confirmed

    report, size, _location, department, _language = c.predict(api_name="/import_profiles")
    assert "3 new" in report and f"**{before + 3:,}** profiles" in size
    assert "Studio" in [label for label, _ in choices(department)]
    assert {p.id for p in app.index.profiles()} >= {"gl-1", "gl-3", "gl-5"}
    assert app.index.get("gl-2") is None and app.index.get("gl-4") is None

    _table, _note, people, _expert = c.predict(
        {"headers": ["Question"], "data": [["Who could teach me furnace techniques for glassblowing?"]]},
        api_name=QUESTIONS,
    )
    assert "Ines Duarte" in people

    with pytest.raises(AppError, match="Nothing to import"):
        c.predict(api_name="/import_profiles")


def test_unusable_input_gets_a_clear_error(app: App, tmp_path: Path) -> None:
    c = client(app)
    with pytest.raises(AppError, match="Type a few words"):
        c.predict("   ", [], api_name="/chat")
    with pytest.raises(AppError, match="question list is empty"):
        c.predict({"headers": ["Question"], "data": [[""]]}, api_name=QUESTIONS)
    with pytest.raises(AppError, match="Choose someone"):
        c.predict(None, 20, "", "", "UTC", api_name="/open_agenda")
    broken = tmp_path / "team.csv"
    broken.write_text("email,title\nx@example.com,Boss\n", encoding="utf-8")
    with pytest.raises(AppError, match="missing required column"):
        c.predict(handle_file(str(broken)), api_name="/preview_profiles")


def test_llm_failure_falls_back_with_a_visible_notice(tmp_path: Path, openai_stub: OpenAIStub) -> None:
    openai_stub.default = StubReply(status=500)
    settings = load_settings(
        data_dir=tmp_path,
        host="127.0.0.1",
        port=free_port(),
        openai_api_key="test-key",
        openai_base_url=openai_stub.base_url,
        llm_max_retries=0,
        llm_timeout=5,
    )
    index = open_index(settings)
    journal = open_journal(settings)
    demo = build_ui(build_service(settings, index, journal), settings, mode_label(settings))
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        assert "LLM: gpt-4o-mini" in httpx.get(url + "config", timeout=10).text  # the mode badge
        _chat, questions, outputs = chat_until_questions(Client(url, verbose=False), WISH)
        assert "The LLM was unavailable" in value(outputs[2]) and "offline coach" in value(outputs[2])
        assert questions and openai_stub.chat_requests
    finally:
        demo.close()
        journal.close()
        index.close()


def test_login_is_required_and_scopes_the_journal(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, host="127.0.0.1", port=free_port(), auth="alex:s3cret", openai_api_key=None
    )
    index = open_index(settings)
    journal = open_journal(settings)
    demo = build_ui(build_service(settings, index, journal), settings, mode_label(settings))
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True)
    try:
        assert httpx.get(url + "config", timeout=10).status_code == 401
        c = Client(url, auth=("alex", "s3cret"), verbose=False)
        _chat, questions, _outputs = chat_until_questions(c, WISH)
        c.predict({"headers": ["Question"], "data": [[q] for q in questions]}, api_name="/keep_questions")
        assert [w.text for w in journal.list_wishes("alex")] == [WISH]
        assert journal.list_wishes("local") == []
    finally:
        demo.close()
        journal.close()
        index.close()


def test_input_errors_leave_no_traceback_and_failures_show_none(
    app: App, capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    c = client(app)
    _chat, _questions, outputs = chat_until_questions(c, WISH)
    expert_id = value(outputs[6])
    _title, picked, *_ = c.predict(expert_id, 20, "", "", "UTC", api_name="/open_agenda")
    ticked = value(picked)
    capfd.readouterr()
    with pytest.raises(AppError, match="year-month-day"):
        c.predict(expert_id, ticked, 20, "1 Dec", "10:00", "UTC", api_name="/agenda")
    with pytest.raises(AppError, match="Unknown time zone"):
        c.predict(expert_id, ticked, 20, "2026-12-01", "10:00", "Mars/Olympus", api_name="/agenda")
    with pytest.raises(AppError, match="Choose someone"):
        c.predict(None, "email", "warm", "", "", 20, api_name="/intro")
    assert "Traceback" not in capfd.readouterr().err  # a user's typo is not a server fault

    # A length the form never sends (an API client can send anything) is a clear message too, not a
    # server fault: nothing is logged. (A real fault's apology: tests/hostile/test_web_handlers.py.)
    with caplog.at_level("ERROR", logger="coach.web.context"), pytest.raises(AppError) as raised:
        c.predict(expert_id, None, "2026-12-01", "10:00", "UTC", api_name="/open_agenda")
    message = str(raised.value)
    assert "chat length must be one of 15, 20, 30" in message and "Traceback" not in message
    assert caplog.records == []


def test_files_handed_to_users_are_private(app: App, tmp_path: Path) -> None:
    c = client(app)
    _chat, _questions, outputs = chat_until_questions(c, WISH)
    c.predict(value(outputs[6]), 20, "2026-12-01", "10:00", "UTC", api_name="/open_agenda")
    c.predict(api_name="/export_journal")
    upload = tmp_path / "one.csv"
    upload.write_text("id,name\nzz-9,Pat Doe\n", encoding="utf-8")
    c.predict(handle_file(str(upload)), api_name="/preview_profiles")

    root = private_root()
    assert stat.S_IMODE(root.stat().st_mode) == 0o700
    files = [path for path in root.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {"learning-journal.md", "learning-journal.json", "one.csv"} <= names
    assert any(name.startswith("coffee-chat-") and name.endswith(".ics") for name in names)
    readable = [str(path) for path in files if stat.S_IMODE(path.stat().st_mode) & 0o077]
    assert readable == [], "files others on this machine could read"
