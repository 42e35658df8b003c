"""SIGKILL of the app (SQLite journal) while several sessions write: every acknowledged entry survives."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from gradio_client import Client

from coach.journal.store import Journal
from tests.servers import coach_serve, free_port, wait_http
from tests.test_multi_instance import eventually

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(300)]
SESSIONS = 4


def test_sigkill_during_journal_writes_from_several_sessions_loses_nothing(tmp_path: Path) -> None:
    port = free_port()
    env = {"COACH_DATA_DIR": str(tmp_path / "data"), "COACH_PORT": str(port)}
    app = coach_serve(env, tmp_path / "app.log")
    acknowledged: list[str] = []
    stop = threading.Event()

    def write(session: int) -> None:
        c = Client(f"http://127.0.0.1:{port}/", verbose=False)
        c.predict(None, "UTC", api_name="/journal")
        n = 0
        while not stop.is_set():
            key = f"s{session}-{n}"
            try:
                c.predict(
                    "nw-0002",
                    "",
                    "yes",
                    f"learned {key}",
                    "Dana",
                    f"Next {key}?",
                    [],
                    key,
                    "UTC",
                    api_name="/log_chat",
                )
            except Exception:  # killed mid-request: that one was never acknowledged
                return
            acknowledged.append(key)
            n += 1

    try:
        wait_http(f"http://127.0.0.1:{port}/", timeout=120, process=app.popen)
        writers = [threading.Thread(target=write, args=(n,)) for n in range(SESSIONS)]
        for thread in writers:
            thread.start()
        eventually(lambda: len(acknowledged) >= 20, timeout=90)
        app.kill()
        stop.set()
        for thread in writers:
            thread.join(timeout=60)
    finally:
        stop.set()
        app.stop()
    assert len(acknowledged) >= 20
    path = tmp_path / "data" / "journal.sqlite3"
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    with Journal(path) as journal:  # what a restarted app opens
        snapshot = journal.snapshot("local")
    chats = {c.uid: c for c in snapshot.chats}
    assert set(acknowledged) - set(chats) == set(), "an acknowledged chat was lost"
    for key in acknowledged:  # and each one whole: its takeaway, referral and new question
        chat_id = chats[key].id
        assert [t.text for t in snapshot.takeaways if t.chat_id == chat_id] == [f"learned {key}"]
        assert [r.name for r in snapshot.referrals if r.chat_id == chat_id] == ["Dana"]
        assert [q.text for q in snapshot.questions if q.chat_id == chat_id] == [f"Next {key}?"]
