"""Accounts: argon2-hashed users file, admins, an SSO proxy's identity header, and one user's journal out of
every other user's reach through every handler and export."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from gradio_client import Client

from coach.cli import cli
from coach.config import load_settings
from coach.errors import CoachInputError, ConfigError
from coach.journal.store import Journal
from coach.models import LearningQuestion
from coach.runtime import build_service, open_index, open_journal, open_users
from coach.users import UserDirectory
from coach.web.app import build_ui, launch
from tests.conftest import free_port

PASSWORD = "correct horse battery"


def test_passwords_are_stored_as_argon2_hashes_in_a_private_file(tmp_path: Path) -> None:
    users = UserDirectory(tmp_path / "users.json", admins=["alice"])
    users.add("alice", PASSWORD, "Sales")
    raw = (tmp_path / "users.json").read_text(encoding="utf-8")
    assert PASSWORD not in raw and "$argon2id$" in raw
    assert stat.S_IMODE((tmp_path / "users.json").stat().st_mode) == 0o600
    assert users.verify("alice", PASSWORD) and not users.verify("alice", "wrong password")
    assert not users.verify("mallory", PASSWORD)
    assert users.is_admin("alice") and not users.is_admin("bob") and not users.is_admin(None)
    assert users.department("alice") == "Sales" and users.department("nobody") is None


def test_a_new_account_is_seen_without_a_restart(tmp_path: Path) -> None:
    running = UserDirectory(tmp_path / "users.json")
    assert not running.has_accounts
    UserDirectory(tmp_path / "users.json").add("bob", PASSWORD)  # e.g. `coach users add` meanwhile
    assert running.verify("bob", PASSWORD) and running.has_accounts
    UserDirectory(tmp_path / "users.json").add("bob", None, "Finance")  # a new department keeps the password
    assert running.verify("bob", PASSWORD) and running.department("bob") == "Finance"
    assert UserDirectory(tmp_path / "users.json").remove("bob")
    assert not running.verify("bob", PASSWORD)


@pytest.mark.parametrize(
    ("name", "password", "error"),
    [
        ("", PASSWORD, CoachInputError),
        ("../etc", PASSWORD, CoachInputError),
        ("a b", PASSWORD, CoachInputError),
        ("alice", "short", CoachInputError),
    ],
)
def test_bad_accounts_are_refused(tmp_path: Path, name: str, password: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        UserDirectory(tmp_path / "users.json").add(name, password)
    assert not (tmp_path / "users.json").exists()


def test_a_broken_users_file_says_how_to_fix_it(tmp_path: Path) -> None:
    (tmp_path / "users.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="coach users add"):
        UserDirectory(tmp_path / "users.json").verify("alice", PASSWORD)


def test_coach_users_commands(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COACH_ADMINS", "alice")
    runner = CliRunner()
    added = runner.invoke(
        cli, ["users", "add", "alice", "--department", "Sales", "--password-stdin"], input=PASSWORD + "\n"
    )
    assert added.exit_code == 0 and "alice (admin)" in added.output
    assert runner.invoke(cli, ["users", "add", "sso-user", "--no-password"]).exit_code == 0
    listed = runner.invoke(cli, ["users", "list"]).output
    assert "alice\tSales [admin]" in listed and "sso-user\t- [no password: SSO only]" in listed
    assert PASSWORD not in listed
    assert runner.invoke(cli, ["users", "remove", "sso-user"]).exit_code == 0
    assert runner.invoke(cli, ["users", "remove", "sso-user"]).exit_code != 0


@dataclass
class App:
    url: str
    journal: Journal


def start(tmp_path: Path, **overrides: Any) -> Iterator[App]:
    settings = load_settings(data_dir=tmp_path, host="127.0.0.1", port=free_port(), **overrides)
    users = open_users(settings)
    for name, department in (("alice", "Sales"), ("bob", "Finance")):
        users.add(name, PASSWORD, department)
    index = open_index(settings)
    journal = open_journal(settings)
    demo = build_ui(build_service(settings, index, journal, users), settings, "Offline coach")
    url = launch(demo, settings, prevent_thread_lock=True, quiet=True, users=users)
    try:
        yield App(url, journal)
    finally:
        demo.close()
        journal.close()
        index.close()


@pytest.fixture
def app(tmp_path: Path) -> Iterator[App]:
    yield from start(tmp_path, admins="alice")


def alices_journal(app: App) -> tuple[list[int], str]:
    """Alice keeps questions, logs a chat and sends a request through the app; returns her ids and a secret."""
    c = Client(app.url, auth=("alice", PASSWORD), verbose=False)
    secret = "Alice learned qzv-takeaway-7"
    c.predict(None, "UTC", api_name="/journal")
    c.predict(
        "nw-0001",
        "",
        "yes",
        secret,
        "",
        "What does qzv-board want next?",
        [],
        "alice-form",
        "UTC",
        api_name="/log_chat",
    )
    app.journal.keep_questions(
        "alice", "Learn the qzv-merger plan", [LearningQuestion(text="Who signs off qzv-merger?")]
    )
    return [q.id for q in app.journal.list_questions("alice")], secret


def test_one_user_reaches_none_of_anothers_entries_through_any_handler(app: App) -> None:
    ids, _secret = alices_journal(app)
    before = app.journal.export_json("alice")
    bob = Client(app.url, auth=("bob", PASSWORD), verbose=False)

    views = bob.predict(None, "UTC", api_name="/journal")
    md, document = bob.predict(api_name="/export_journal")
    for where, seen in (
        ("views", json.dumps(views)),
        ("markdown", Path(md).read_text(encoding="utf-8")),
        ("json", Path(document).read_text(encoding="utf-8")),
    ):
        assert "qzv" not in seen, where
    for name in ("/mark_answered", "/archive_questions", "/delete_questions"):
        with pytest.raises(Exception):  # noqa: B017 - Gradio or the journal refuses; either way nothing changes
            bob.predict([str(i) for i in ids], None, "UTC", api_name=name)
    with pytest.raises(Exception):  # noqa: B017
        bob.predict(
            "nw-0001", "", "yes", "mine", "", "", [str(ids[0])], "bob-form", "UTC", api_name="/log_chat"
        )
    bob.predict(
        "nw-0001", "", "yes", "mine", "", "", [], "alice-form", "UTC", api_name="/log_chat"
    )  # her key
    with pytest.raises(Exception, match="people team"):
        bob.predict(8, api_name="/insights")
    assert app.journal.export_json("alice").split('"entries"')[1] == before.split('"entries"')[1]
    assert [c.uid for c in app.journal.list_chats("bob")] == ["alice-form"], (
        "a form key is scoped to its user"
    )


def test_the_insights_tab_shows_only_for_admins(app: App) -> None:
    alice = Client(app.url, auth=("alice", PASSWORD), verbose=False)
    summary, *_charts = alice.predict(8, api_name="/insights")
    assert "Every number aggregates at least" in summary
    page = httpx.get(app.url, timeout=10)
    assert page.status_code == 200  # the login page; nothing else is served before signing in
    assert httpx.get(app.url + "config", timeout=10).status_code == 401


@pytest.fixture
def sso(tmp_path: Path) -> Iterator[App]:
    yield from start(tmp_path, identity_header="X-Forwarded-User", admins="alice")


def test_an_sso_proxys_identity_header_picks_the_journal(sso: App) -> None:
    as_bob = Client(sso.url, headers={"X-Forwarded-User": "bob"}, verbose=False)
    as_bob.predict(None, "UTC", api_name="/journal")
    as_bob.predict("nw-0001", "", "yes", "Bob learned this", "", "", [], "k1", "UTC", api_name="/log_chat")
    assert [t.text for t in sso.journal.list_takeaways("bob")] == ["Bob learned this"]
    assert sso.journal.list_takeaways("local") == []
    nobody = Client(sso.url, verbose=False)
    with pytest.raises(Exception, match="X-Forwarded-User header is missing"):
        nobody.predict(None, "UTC", api_name="/journal")
    forged = Client(sso.url, headers={"X-Forwarded-User": "../alice"}, verbose=False)
    with pytest.raises(Exception, match="not allowed"):
        forged.predict(None, "UTC", api_name="/journal")


def test_serving_beyond_loopback_needs_a_login(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, host="0.0.0.0")
    with pytest.raises(ConfigError, match="coach users add"):
        settings.check_exposure(has_accounts=False)
    settings.check_exposure(has_accounts=True)
    load_settings(data_dir=tmp_path, host="0.0.0.0", identity_header="X-Forwarded-User").check_exposure()
