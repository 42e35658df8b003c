"""Several app instances on one PostgreSQL journal and one Chroma server, all real processes on loopback.

Two `coach serve` processes share COACH_JOURNAL_URL and COACH_CHROMA_URL and a users file. Shown here: a
profile uploaded through one is found through the other; a chat logged on one is in that user's journal on
the other and in nobody else's; requests marked sent on one move the expert down on the other; killing one
instance loses no acknowledged entry; `coach journal export` is the same from either.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest
from gradio_client import Client, handle_file

from coach.journal.store import Journal
from coach.users import UserDirectory
from tests.servers import PostgresServer, Process, chroma_server, coach_serve, free_port, wait_http

pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.timeout(600)]
PASSWORD = "correct horse battery"
USERS = {"alice": "Sales", "bob": "Finance", "carol": "Sales", "dave": "Legal"}
PRICING = "How do we approve discounts on subscription pricing?"
T = TypeVar("T")


@dataclass
class Instance:
    name: str
    url: str
    env: dict[str, str]
    process: Process

    def client(self, user: str) -> Client:
        return Client(self.url, auth=(user, PASSWORD), verbose=False)

    def cli(self, *args: str) -> str:
        coach = Path(sys.executable).with_name("coach")
        result = subprocess.run(
            [str(coach), *args], env={**os.environ, **self.env}, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout


@dataclass
class Deployment:
    a: Instance
    b: Instance
    journal_url: str
    logs: Path


@pytest.fixture(scope="module")
def deployment(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    """One deployment for the module (starting it takes a while); the kill test runs last."""
    tmp_path = tmp_path_factory.mktemp("deployment")
    postgres_url = postgres.empty_database("coach_multi")
    chroma_port = free_port()
    chroma = chroma_server(tmp_path / "chroma", chroma_port, tmp_path / "chroma.log")
    users = UserDirectory(tmp_path / "users.json")
    for name, department in USERS.items():
        users.add(name, PASSWORD, department)
    started: list[Process] = [chroma]
    try:
        wait_http(f"http://127.0.0.1:{chroma_port}/api/v2/heartbeat", process=chroma.popen)
        shared = {
            "COACH_CHROMA_URL": f"http://127.0.0.1:{chroma_port}",
            "COACH_JOURNAL_URL": postgres_url,
            "COACH_USERS_FILE": str(tmp_path / "users.json"),
            "COACH_ADMINS": "alice",
        }
        instances = []
        for name in ("a", "b"):  # one after the other: the first seeds the sample organisation
            port = free_port()
            env = {**shared, "COACH_DATA_DIR": str(tmp_path / f"data-{name}"), "COACH_PORT": str(port)}
            process = coach_serve(env, tmp_path / f"{name}.log")
            started.append(process)
            url = f"http://127.0.0.1:{port}/"
            wait_http(url, timeout=120, process=process.popen)
            instances.append(Instance(name, url, env, process))
        yield Deployment(instances[0], instances[1], postgres_url, tmp_path)
    finally:
        for process in reversed(started):
            process.stop()


def eventually(check: Callable[[], T], timeout: float = 20.0) -> T:
    """The first truthy result of `check` (a view of the index may be a refresh period behind)."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def value(output: Any) -> Any:
    return output.get("value") if isinstance(output, dict) else output


def choices(output: Any) -> list[tuple[str, str]]:
    return [(str(label), str(key)) for label, key in output.get("choices", [])]


def card_ids(people_html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in people_html.split('data-expert-id="')[1:]]


def test_two_instances_share_journals_and_load(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    bob_b = b.client("bob")

    # A chat logged on A is in alice's journal on B, and in nobody else's.
    alice_a = a.client("alice")
    alice_a.predict(None, "UTC", api_name="/journal")  # opening the tab offers everyone in the index
    alice_a.predict(
        "nw-0001",
        "2026-11-20",
        "yes",
        "Annealing takes a whole night",
        "",
        "",
        [],
        "key-1",
        "UTC",
        api_name="/log_chat",
    )
    alice_b = b.client("alice")
    timeline, *_ = alice_b.predict(None, "UTC", api_name="/journal")
    assert "Annealing takes a whole night" in timeline
    bob_timeline, *_ = bob_b.predict(None, "UTC", api_name="/journal")
    assert "Annealing" not in bob_timeline

    # Requests marked sent on A move the expert down on B (three of the default four chats a month).
    table = {"headers": ["Question"], "data": [[PRICING]]}
    _t, _n, people, _e = bob_b.predict(table, api_name="/find_people")
    top = card_ids(people)[0]
    for user in ("alice", "carol", "dave"):
        asker = a.client(user)
        asker.predict(table, api_name="/find_people")  # as in the app: find people, write, send
        note = asker.predict(top, api_name="/mark_sent")
        assert "Marked as sent" in note
    _t, _n, people, _e = bob_b.predict(table, api_name="/find_people")
    assert card_ids(people)[0] != top and "moved down: 3 requests" in people

    # Insights through B for the admin only.
    charts = b.client("alice").predict(8, api_name="/insights")
    assert "Insights" in charts[0]
    with pytest.raises(Exception, match="people team"):
        bob_b.predict(8, api_name="/insights")

    # The same export from either instance.
    for fmt in ("md", "json"):
        from_a = a.cli("journal", "export", "--user", "alice", "--format", fmt)
        from_b = b.cli("journal", "export", "--user", "alice", "--format", fmt)
        if fmt == "json":
            from_a, from_b = (json.loads(text)["entries"] for text in (from_a, from_b))
        assert from_a == from_b
    assert "Annealing takes a whole night" in a.cli("journal", "export", "--user", "alice")


def test_a_profile_uploaded_through_one_instance_is_found_through_the_other(
    deployment: Deployment, tmp_path: Path
) -> None:
    a, b = deployment.a, deployment.b
    upload = tmp_path / "glass.csv"
    upload.write_text(
        "id,name,title,department,expertise\ngl-1,Ines Duarte,Glassblowing Lead,Studio,glassblowing;furnace techniques\n",
        encoding="utf-8",
    )
    admin_a = a.client("alice")
    admin_a.predict(handle_file(str(upload)), api_name="/preview_profiles")
    report, *_ = admin_a.predict(api_name="/import_profiles")
    assert "1 new" in report
    bob_b = b.client("bob")
    found = eventually(
        lambda: (
            "gl-1"
            in [pid for _, pid in choices(bob_b.predict("Ines Duarte", None, api_name="/journal_people"))]
        )
    )
    assert found, "B never saw the profile imported through A"
    _t, _n, people, _e = bob_b.predict(
        {"headers": ["Question"], "data": [["Who could teach me furnace techniques for glassblowing?"]]},
        api_name="/find_people",
    )
    assert "Ines Duarte" in people


def test_killing_an_instance_loses_no_acknowledged_entry(deployment: Deployment) -> None:
    a, b = deployment.a, deployment.b
    acknowledged: list[str] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def write(user: str) -> None:
        c = a.client(user)
        c.predict(None, "UTC", api_name="/journal")
        n = 0
        while not stop.is_set():
            key = f"{user}-{n}"
            try:
                c.predict(
                    "nw-0001", "", "yes", f"learned {key}", "", "", [], key, "UTC", api_name="/log_chat"
                )
            except Exception as exc:  # the instance died mid-request: that write was never acknowledged
                errors.append(exc)
                return
            acknowledged.append(key)
            n += 1

    writers = [threading.Thread(target=write, args=(user,)) for user in ("alice", "bob", "carol")]
    for thread in writers:
        thread.start()
    eventually(lambda: len(acknowledged) >= 15, timeout=60)
    a.process.kill()
    stop.set()
    for thread in writers:
        thread.join(timeout=60)
    assert len(acknowledged) >= 15

    with Journal(deployment.journal_url) as journal:
        stored = {c.uid for user in ("alice", "bob", "carol") for c in journal.list_chats(user)}
    assert set(acknowledged) - stored == set(), "an acknowledged chat was lost"
    for user in ("alice", "bob"):
        timeline, *_ = b.client(user).predict(None, "UTC", api_name="/journal")  # B keeps serving
        mine = [key for key in acknowledged if key.startswith(user)]
        assert all(f"learned {key}" in timeline for key in mine[-3:])
