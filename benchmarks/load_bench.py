"""Load benchmark: concurrent users against the real app on loopback, driven by locust (headless, in-process).

Each simulated colleague has its own Gradio session and identity (an SSO header, so every one has a
private journal) and mixes offline chat turns (wish, answers, questions), searches, agenda and intro
drafts, journal writes (chats logged, questions kept, requests marked sent) and journal views; one
admin imports profile files meanwhile. Every write the app acknowledged is recorded here and looked up
in the journal after the run: `lost` must be 0. Prints one JSON object.

    python benchmarks/load_bench.py --instances 1   # one `coach serve`: embedded Chroma + SQLite
    python benchmarks/load_bench.py --instances 2   # two instances on PostgreSQL and a `chroma run` server
    [--users 50] [--spawn-rate 10] [--duration 90] [--think 0.5 2.0] [--out FILE]

Targets on 2 cores: 0 errors, 0 lost entries, offline chat turn p95 <= 2 s.
"""

from __future__ import annotations

# gevent's cooperative sockets must be in place before anything opens one (locust would patch on import).
from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import ExitStack, contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
import requests  # noqa: E402
from locust import User, between, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coach.journal.store import Journal  # noqa: E402
from tests.servers import PostgresServer, Process, chroma_server, coach_serve, free_port, wait_http  # noqa: E402

HEADER = "X-Forwarded-User"
ADMIN = "load-admin"
WISHES = (
    "I want a mentor",
    "I want a mentor. I work on the self-publishing side and want to understand traditional publishing.",
    "I'm a new manager and want to get better at giving feedback",
    "I'd like to move from customer support into product management",
    "I want to understand how our sales team forecasts",
    "How do we approve discounts on subscription pricing?",
    "I want to learn how royalties are calculated",
    "I'd like to get better at presenting to executives",
)
DEPARTMENTS = ("Any", "Finance & FP&A", "Sales & Distribution", "Engineering", "Editorial")
MAX_TURNS = 5  # answers to clarifying questions before a wish must have become questions
OFFLINE_TURN_P95_S = 2.0


class CallFailed(RuntimeError):
    """The app answered an event with an error (a toast), or not at all."""


@dataclass
class Ledger:
    """What the app acknowledged during the run, to look up in the journal and the index afterwards."""

    chats: set[tuple[str, str]] = field(default_factory=set)  # (user, uid)
    kept: set[tuple[str, str]] = field(default_factory=set)  # (user, question text, casefolded)
    asks: set[tuple[str, str]] = field(default_factory=set)  # (user, expert id)
    imported: set[str] = field(default_factory=set)  # profile ids
    errors: list[str] = field(default_factory=list)


class Gradio:
    """One browser session's calls through Gradio 6's HTTP API: POST /call/<api>, then read the SSE stream."""

    def __init__(self, base: str, user: str) -> None:
        self.base = base.rstrip("/") + "/gradio_api"
        self.http = requests.Session()
        self.http.headers[HEADER] = user
        self.session_hash = uuid.uuid4().hex[:12]

    def call(self, api: str, *data: Any) -> list[Any]:
        body = {"data": list(data), "session_hash": self.session_hash}
        posted = self.http.post(f"{self.base}/call/{api}", json=body, timeout=120)
        if posted.status_code != 200:
            raise CallFailed(f"{api}: HTTP {posted.status_code} {posted.text[:200]}")
        event_id = posted.json()["event_id"]
        kind, payload = "", None
        with self.http.get(f"{self.base}/call/{api}/{event_id}", stream=True, timeout=120) as stream:
            for line in stream.iter_lines(decode_unicode=True):
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    payload = json.loads(line[5:])
                    break
        if kind != "complete" or not isinstance(payload, list):
            raise CallFailed(f"{api}: {kind or 'no answer'}: {str(payload)[:200]}")
        return payload

    def upload(self, name: str, content: bytes) -> dict[str, Any]:
        posted = self.http.post(f"{self.base}/upload", files={"files": (name, content)}, timeout=60)
        if posted.status_code != 200:
            raise CallFailed(f"upload: HTTP {posted.status_code} {posted.text[:200]}")
        return {"path": posted.json()[0], "orig_name": name, "meta": {"_type": "gradio.FileData"}}


def picker_ids(outputs: list[Any]) -> list[str]:
    """The expert ids a dropdown update in `outputs` offers (the last one: the People picker)."""
    updates = [o for o in outputs if isinstance(o, dict) and "choices" in o]
    return [str(choice[1]) for choice in updates[-1]["choices"]] if updates else []


def table_rows(outputs: list[Any]) -> list[str]:
    tables = [o for o in outputs if isinstance(o, dict) and "data" in o and "headers" in o]
    return [str(row[0]) for row in tables[-1]["data"] if row and row[0]] if tables else []


class Colleague(User):
    """One person at their desk: a wish becomes questions, then people, drafts and journal entries."""

    abstract = True  # made concrete per run with the instance URLs and the ledger
    urls: tuple[str, ...] = ()
    ledger: Ledger = Ledger()
    numbers = itertools.count()
    wait_time = between(0.5, 2.0)

    def on_start(self) -> None:
        n = next(self.numbers)
        self.user = f"load-{n:03d}"
        self.app = Gradio(self.urls[n % len(self.urls)], self.user)  # sticky: one instance per session
        self.rng = random.Random(n)
        self.questions: list[str] = []
        self.experts: list[str] = []
        self.coach()

    @contextmanager
    def action(self, name: str) -> Iterator[None]:
        """Time one user action and report it to locust as a request (its failure included)."""
        started = time.perf_counter()
        error: Exception | None = None
        try:
            yield
        except Exception as exc:  # every failure is counted and sampled; the user carries on
            error = exc
            self.ledger.errors.append(f"{name}: {exc}"[:300])
        elapsed_ms = (time.perf_counter() - started) * 1000
        self.environment.events.request.fire(
            request_type="gradio",
            name=name,
            response_time=elapsed_ms,
            response_length=0,
            exception=error,
            context={},
        )

    @task(4)
    def coach(self) -> None:
        """A wish, then an answer per clarifying question (as the buttons give them) until questions come."""
        history: list[Any] = []
        message = self.rng.choice(WISHES)
        with self.action("new_wish"):
            self.app.call("new_wish")
        for _ in range(MAX_TURNS):
            outputs: list[Any] = []
            with self.action("chat_turn"):
                outputs = self.app.call("chat", message, history)
            if not outputs:
                return
            history = outputs[0]
            options = history[-1].get("options") if history else None
            if not options:
                break
            message = self.rng.choice(options)["value"]
        self.questions = table_rows(outputs) or self.questions
        self.experts = picker_ids(outputs)  # the People picker as this session now offers it

    @task(3)
    def search(self) -> None:
        """Match the question list again, then narrow the people by a department."""
        table = {"headers": ["Question"], "data": [[q] for q in self.questions or [WISHES[4]]]}
        with self.action("search"):
            self.experts = picker_ids(self.app.call("find_people", table))
            department = self.rng.choice(DEPARTMENTS)
            picked = self.app.call("filter_people", ["open", "limited"], "Any", department, "Any")
            self.experts = picker_ids(picked)

    @task(2)
    def agenda(self) -> None:
        if self.experts:
            with self.action("agenda"):
                self.app.call("open_agenda", self.experts[0], 20, "", "", "UTC")

    @task(2)
    def intro(self) -> None:
        if self.experts:
            with self.action("intro"):
                expert = self.rng.choice(self.experts[:3])
                self.app.call(
                    "open_intro", expert, "email", "warm", self.user, "I joined Sales last month", 20
                )

    @task(2)
    def log_chat(self) -> None:
        """Log how a chat went, with a takeaway and a follow-up question; the key makes it one entry."""
        with self.action("journal_view"):
            people = picker_ids(self.app.call("journal", None, "UTC"))
        if not people:
            return
        key = uuid.uuid4().hex
        takeaway = f"Learned {key[:8]} about month-end close"
        happened = self.rng.choice(["yes", "yes", "no"])
        follow_up = f"What should I read before {key[:8]}?"
        with self.action("log_chat"):
            args = (self.rng.choice(people), "", happened, takeaway, "", follow_up, [], key, "UTC")
            self.app.call("log_chat", *args)
            self.ledger.chats.add((self.user, key))

    @task(2)
    def keep(self) -> None:
        if self.questions:
            with self.action("keep_questions"):
                table = {"headers": ["Question"], "data": [[q] for q in self.questions]}
                note = self.app.call("keep_questions", table)[0]
                if "Kept" not in str(note):
                    raise CallFailed(f"keep_questions said {note!r}")
                self.ledger.kept.update((self.user, q.casefold()) for q in self.questions)

    @task(1)
    def mark_sent(self) -> None:
        if self.experts:
            expert = self.rng.choice(self.experts[:3])
            with self.action("mark_sent"):
                note = str(self.app.call("mark_sent", expert)[0])
                if "Marked as sent" not in note and "Already marked" not in note:
                    raise CallFailed(f"mark_sent said {note!r}")
                self.ledger.asks.add((self.user, expert))


class Importer(User):
    """The admin who uploads a profile file now and then while everyone else works."""

    abstract = True
    urls: tuple[str, ...] = ()
    ledger: Ledger = Ledger()
    fixed_count = 1
    batch = 200
    wait_time = between(10, 20)

    def on_start(self) -> None:
        self.app = Gradio(self.urls[0], ADMIN)
        self.round = itertools.count()
        gevent.sleep(5)  # the colleagues are at work before the first import

    @task
    def import_profiles(self) -> None:
        n = next(self.round)
        ids = [f"load-{os.getpid()}-{n}-{i}" for i in range(self.batch)]
        rows = "".join(
            f"{pid},Imported Person {n}-{i},Analyst,{DEPARTMENTS[1 + i % 4]},royalty audits;close process {n}\n"
            for i, pid in enumerate(ids)
        )
        csv = ("id,name,title,department,expertise\n" + rows).encode()
        started = time.perf_counter()
        error: Exception | None = None
        try:
            self.app.call("preview_profiles", self.app.upload(f"team-{n}.csv", csv))
            report = str(self.app.call("import_profiles")[1])
            if f"{self.batch} new" not in report:
                raise CallFailed(f"import_profiles said {report!r}")
            self.ledger.imported.update(ids)
        except Exception as exc:  # counted like every other action's failure
            error = exc
            self.ledger.errors.append(f"import_profiles: {exc}"[:300])
        self.environment.events.request.fire(
            request_type="gradio",
            name="import_profiles",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )


@dataclass
class Deployment:
    urls: list[str]
    apps: list[Process]
    journal: str
    helpers: dict[str, Process] = field(default_factory=dict)


@contextmanager
def deployment(instances: int, root: Path) -> Iterator[Deployment]:
    """`instances` app processes; one uses its embedded index and SQLite, several share servers."""
    with ExitStack() as stack:
        shared: dict[str, str] = {"COACH_IDENTITY_HEADER": HEADER, "COACH_ADMINS": ADMIN}
        helpers: dict[str, Process] = {}
        journal = str(root / "data-0" / "journal.sqlite3")
        if instances > 1:
            postgres = PostgresServer().start()
            stack.callback(postgres.stop, "fast")
            journal = postgres.empty_database("coach_load")
            port = free_port()
            chroma = chroma_server(root / "chroma", port, root / "chroma.log")
            stack.callback(chroma.stop)
            assert chroma.popen is not None
            wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", process=chroma.popen)
            shared |= {"COACH_CHROMA_URL": f"http://127.0.0.1:{port}", "COACH_JOURNAL_URL": journal}
            helpers["chroma"] = chroma
        urls, apps = [], []
        for n in range(instances):  # one after the other: the first seeds the sample organisation
            port = free_port()
            env = {**shared, "COACH_DATA_DIR": str(root / f"data-{n}"), "COACH_PORT": str(port)}
            app = coach_serve(env, root / f"app-{n}.log")
            stack.callback(app.stop)
            assert app.popen is not None
            wait_http(f"http://127.0.0.1:{port}/", timeout=180, process=app.popen)
            urls.append(f"http://127.0.0.1:{port}/")
            apps.append(app)
        yield Deployment(urls, apps, journal, helpers)


def peak_rss_mb(process: Process) -> float:
    """The process's high-water mark of resident memory (VmHWM), read before it stops."""
    assert process.popen is not None
    for line in Path(f"/proc/{process.popen.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def index_size(url: str) -> int:
    text = str(Gradio(url, ADMIN).call("index_size")[0])
    return int(re.sub(r"[^0-9]", "", text.split("profiles")[0]) or 0)


def run_load(
    urls: list[str], ledger: Ledger, users: int, rate: float, seconds: float, think: tuple[float, float]
) -> Environment:
    """Locust's local runner for `seconds`, then a graceful stop (users finish the action they are in)."""
    base = {"urls": tuple(urls), "ledger": ledger, "abstract": False}
    colleague = type("Colleague", (Colleague,), {**base, "wait_time": between(*think)})
    importer = type("Importer", (Importer,), base)
    env = Environment(user_classes=[colleague, importer], events=events, stop_timeout=30)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=rate)
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    return env


def action_stats(env: Environment) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for (name, _method), entry in sorted(env.stats.entries.items()):
        out[name] = {
            "requests": entry.num_requests,
            "errors": entry.num_failures,
            **{f"p{p}_ms": entry.get_response_time_percentile(p / 100) for p in (50, 95, 99)},
            "max_ms": round(entry.max_response_time or 0, 1),
        }
    return out


def journal_check(location: str, ledger: Ledger, since: datetime) -> dict[str, Any]:
    """Every acknowledged write looked up in the journal itself (not through the app)."""
    users = {user for user, _ in ledger.chats | ledger.kept | ledger.asks}
    with Journal(location) as journal:
        chats = {(u, c.uid) for u in users for c in journal.list_chats(u) if c.uid}
        kept = {(u, q.text.casefold()) for u in users for q in journal.list_questions(u)}
        asks = journal.count_asks({e for _, e in ledger.asks}, since)
    counts = {
        "chats": (len(ledger.chats), len(ledger.chats & chats)),
        "kept_questions": (len(ledger.kept), len(ledger.kept & kept)),
        "asks": (len(ledger.asks), min(len(ledger.asks), sum(asks.values()))),
    }
    report: dict[str, Any] = {k: {"written": w, "found": f} for k, (w, f) in counts.items()}
    report["written"] = sum(w for w, _ in counts.values())
    report["found"] = sum(f for _, f in counts.values())
    report["lost"] = report["written"] - report["found"]
    return report


def settle_index(urls: list[str], expected: int, timeout: float = 15.0) -> list[int]:
    """Each instance's profile count, waiting out the shared index's refresh period."""
    deadline = time.monotonic() + timeout
    while True:
        sizes = [index_size(url) for url in urls]
        if all(s == expected for s in sizes) or time.monotonic() > deadline:
            return sizes
        time.sleep(0.5)


def bench(args: argparse.Namespace) -> dict[str, Any]:
    ledger = Ledger()
    with (
        tempfile.TemporaryDirectory(prefix="coach-load-") as folder,
        deployment(args.instances, Path(folder)) as dep,
    ):
        seeded = index_size(dep.urls[0])
        pids = [app.popen.pid for app in dep.apps if app.popen is not None]
        print(
            f"load: {args.users} users for {args.duration:g} s on app pids {pids}",
            file=sys.stderr,
            flush=True,
        )
        since = datetime.now(UTC) - timedelta(minutes=1)
        load_before = os.getloadavg()[0]
        started = time.monotonic()
        env = run_load(dep.urls, ledger, args.users, args.spawn_rate, args.duration, tuple(args.think))
        elapsed = time.monotonic() - started
        sizes = settle_index(dep.urls, seeded + len(ledger.imported))
        rss = {f"app_{n}": peak_rss_mb(app) for n, app in enumerate(dep.apps)}
        rss |= {name: peak_rss_mb(proc) for name, proc in dep.helpers.items()}
        journal = journal_check(dep.journal, ledger, since)
    total = env.stats.total
    actions = action_stats(env)
    turn_p95 = actions.get("chat_turn", {}).get("p95_ms", 0) / 1000
    return {
        "instances": args.instances,
        "backend": "embedded Chroma + SQLite" if args.instances == 1 else "chroma run + PostgreSQL",
        "users": args.users,
        "spawn_rate": args.spawn_rate,
        "think_s": list(args.think),
        "duration_s": round(elapsed, 1),
        "cores": os.cpu_count(),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "requests": total.num_requests,
        "errors": total.num_failures,
        "requests_per_s": round(total.num_requests / elapsed, 1),
        "actions": actions,
        "error_samples": sorted(set(ledger.errors))[:10],
        "peak_rss_mb": rss,
        "journal": journal,
        "profiles": {"seeded": seeded, "imported": len(ledger.imported), "seen_by_each_instance": sizes},
        "targets": {
            "errors": total.num_failures == 0,
            "lost_entries": journal["lost"] == 0,
            "profiles_seen_everywhere": all(s == seeded + len(ledger.imported) for s in sizes),
            f"chat_turn_p95_le_{OFFLINE_TURN_P95_S:g}_s": turn_p95 <= OFFLINE_TURN_P95_S,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--instances", type=int, choices=[1, 2], default=1)
    parser.add_argument(
        "--users", type=int, default=50, help="concurrent users, the importing admin included"
    )
    parser.add_argument("--spawn-rate", type=float, default=10.0)
    parser.add_argument("--duration", type=float, default=90.0, help="seconds of load (at most 120)")
    parser.add_argument("--think", type=float, nargs=2, default=[0.5, 2.0], help="seconds between actions")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args()
    args.duration = min(args.duration, 120.0)
    text = json.dumps(bench(args), indent=2)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
