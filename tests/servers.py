"""Real servers for tests, on loopback: PostgreSQL (the OS's binaries), a Chroma server, `coach serve`.

PostgreSQL runs from the distribution's server binaries (Debian's postgresql-15, which `.ci/run`
installs when missing) rather than a wheel: it is the server an organisation would run, and `pg_dump` /
`pg_restore` of the same version come with it. The binaries refuse to run as root, so as root every step
runs as the `postgres` system user through `runuser`.
"""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bin(name: str) -> str | None:
    """A PostgreSQL server binary from PATH or the Debian layout (/usr/lib/postgresql/N/bin)."""
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return candidates[0] if candidates else None


def _as_postgres(command: Sequence[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return list(command)


@dataclass
class PostgresServer:
    """A throwaway PostgreSQL cluster, trust-authenticated, listening on 127.0.0.1:port.

    Its folder is made directly under the system temp dir: pytest's own temp folders are private to the
    test user, and the server runs as `postgres`.
    """

    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="coach-pg-")))
    port: int = field(default_factory=free_port)
    user: str = "coach"

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def start(self) -> PostgresServer:
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if initdb is None or pg_ctl is None:
            raise RuntimeError(
                "PostgreSQL server binaries are missing: apt-get install postgresql (see .ci/run)"
            )
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if not (self.data / "PG_VERSION").exists():
            _run(_as_postgres([initdb, "-D", str(self.data), "-A", "trust", "-U", self.user, "-E", "UTF8"]))
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        log = self.root / "server.log"
        _run(
            _as_postgres(
                [pg_ctl, "-D", str(self.data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"]
            )
        )
        return self

    def stop(self, mode: str = "fast", *, remove: bool = True) -> None:
        pg_ctl = pg_bin("pg_ctl")
        if pg_ctl and (self.data / "postmaster.pid").exists():
            subprocess.run(
                _as_postgres([pg_ctl, "-D", str(self.data), "-m", mode, "-w", "stop"]),
                check=False,
                capture_output=True,
            )
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def empty_database(self, name: str) -> str:
        """`name`, created once and emptied (every table dropped) on each call."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(f'CREATE DATABASE "{name}"')
        with psycopg.connect(self.url(name), autocommit=True) as conn:
            conn.execute("DROP SCHEMA public CASCADE")
            conn.execute("CREATE SCHEMA public")
        return self.url(name)

    def tool(self, name: str) -> str:
        """A client tool (pg_dump, pg_restore, psql) of the server's own version."""
        server = pg_bin("initdb")
        sibling = Path(server).resolve().parent / name if server else None
        if sibling is not None and sibling.exists():
            return str(sibling)
        found = shutil.which(name)
        if found is None:
            raise RuntimeError(f"{name} is missing: apt-get install postgresql-client")
        return found


def _run(command: Sequence[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {result.stdout}\n{result.stderr}")


def wait_http(url: str, timeout: float = 60.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Wait until `url` answers (any HTTP status), or fail with the process's exit."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before answering at {url}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing answered at {url} within {timeout:.0f} s")


@dataclass
class Process:
    """A child process started by a test, with its output in a log file; stopped or killed at the end."""

    command: list[str]
    log: Path
    env: dict[str, str]
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        handle = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=REPO,
            start_new_session=True,
        )
        return self

    def kill(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen is not None and self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def chroma_server(path: Path, port: int, log: Path) -> Process:
    """`chroma run` from this environment's chromadb, on loopback."""
    chroma = Path(sys.executable).with_name("chroma")
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    command = [str(chroma), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)]
    return Process(command, log, env).start()


def coach_serve(env: dict[str, str], log: Path) -> Process:
    """`coach serve` as its own process, configured by environment variables only."""
    coach = Path(sys.executable).with_name("coach")
    full = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "ANONYMIZED_TELEMETRY": "False", **env}
    return Process([str(coach), "serve"], log, full).start()
