"""The journal's database: one SQLAlchemy engine for SQLite (default) or PostgreSQL, transactions, migrations.

A URL picks the backend: a path or `sqlite:///...` for a file on this machine, `postgresql://...` for a
server shared by several app instances (driven by psycopg 3). Every write is one transaction that either
commits whole or leaves nothing; database errors become `JournalError`s that say what to do.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from sqlalchemy import URL, Connection, Engine, create_engine, event, inspect, make_url, select, text
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.pool import NullPool

from coach.errors import CoachError
from coach.journal.schema import METADATA, MIGRATIONS, TABLES, Migration

log = logging.getLogger(__name__)
SQLITE_BUSY_MS = 10_000
MIGRATION_LOCK = "question-coach:journal-migrations"


class JournalError(CoachError):
    """A journal operation failed; the message says what to do."""


class JournalUnavailable(JournalError):
    """The database cannot be reached or written (server down, disk full); nothing was changed."""


class JournalMigrationError(JournalError):
    """A schema upgrade failed and was rolled back."""


class LockBusy(CoachError):
    """Another process (maybe another app instance) holds the lock; try again when it is done."""

    def __init__(self, name: str) -> None:
        super().__init__(
            f"Another {name.replace('-', ' ')} is running (maybe on another app instance); "
            "try again when it has finished."
        )
        self.name = name


def journal_url(location: str | Path) -> URL:
    """A SQLAlchemy URL from a file path, `sqlite:///...` or `postgresql://...` (psycopg 3 driver)."""
    raw = str(location)
    if "://" not in raw:
        return URL.create("sqlite+pysqlite", database=str(Path(raw)))
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise JournalError(f"COACH_JOURNAL_URL {raw!r} is not a database URL: {exc}") from None
    if url.get_backend_name() == "postgresql":
        return url.set(drivername="postgresql+psycopg")
    if url.get_backend_name() == "sqlite":
        return url.set(drivername="sqlite+pysqlite")
    raise JournalError(
        f"COACH_JOURNAL_URL uses {url.get_backend_name()!r}; use postgresql://user@host/db or a SQLite path"
    )


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for PostgreSQL advisory locks."""
    return zlib.crc32(name.encode()) - 2**31


class Database:
    """An engine with the settings each backend needs, and the schema brought up to date on open."""

    def __init__(
        self,
        location: str | Path,
        *,
        migrations: Sequence[Migration] = MIGRATIONS,
        pool_size: int = 5,
    ) -> None:
        self.url = journal_url(location)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            path = Path(self.url.database or "")
            path.parent.mkdir(parents=True, exist_ok=True)
            self.engine: Engine = create_engine(self.url, pool_size=pool_size, max_overflow=pool_size)
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        else:
            self.engine = create_engine(
                self.url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, pool_timeout=10
            )
        try:
            self.migrate(migrations)
        except BaseException:
            self.engine.dispose()
            raise

    @property
    def where(self) -> str:
        """The database, for messages, without a password."""
        return self.url.render_as_string(hide_password=True)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self, *, serialize: str | None = None) -> Iterator[Connection]:
        """One write transaction. SQLite takes its write lock up front (BEGIN IMMEDIATE); PostgreSQL takes a
        transaction advisory lock on `serialize` (e.g. the user id), so check-then-insert steps of one user
        cannot interleave across app instances."""
        with self._transaction(write=True) as conn:
            if serialize is not None and self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(serialize)})
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """One read transaction: a consistent view of everything it reads."""
        with self._transaction(write=False) as conn:
            yield conn

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                conn.execution_options(coach_write=write)
                with conn.begin():
                    yield conn
        except (IntegrityError, JournalError):
            raise  # the caller knows which entry broke which rule; our own errors already say what to do
        except (OperationalError, DBAPIError) as exc:
            raise self._unavailable(exc) from exc

    def _unavailable(self, exc: DBAPIError) -> JournalUnavailable:
        reason = str(exc.orig or exc).strip().splitlines()[0]
        if "full" in reason.lower() or "no space" in reason.lower():
            return JournalUnavailable(
                f"The journal could not be saved: the disk holding {self.where} is full ({reason}). Nothing "
                "was changed; free some space and try again. Everything saved before is kept."
            )
        return JournalUnavailable(
            f"The journal at {self.where} cannot be used right now ({reason}). Nothing was changed; check "
            "that the database is running and reachable (COACH_JOURNAL_URL), then try again."
        )

    def hold(self, name: str, *, wait: float = 0.0) -> AbstractContextManager[None]:
        """An exclusive lock across every process sharing this database, e.g. one profile import at a time.

        PostgreSQL: a session advisory lock on a connection held for the duration (released by the server if
        the process dies). SQLite: a file lock beside the database file (released by the OS likewise).
        Raises `LockBusy` when another holder keeps it longer than `wait` seconds.
        """
        return hold_lock(self.url, self.engine, name, wait)

    # --- schema

    @property
    def schema_version(self) -> int:
        with self.read() as conn:
            return self._version(conn)

    def _version(self, conn: Connection) -> int:
        if inspect(conn).has_table("schema_version"):
            return int(conn.execute(select(TABLES["schema_version"].c.version)).scalar_one_or_none() or 0)
        if self.dialect == "sqlite":  # the SQLite-only journal kept its version in the file header
            return int(conn.exec_driver_sql("PRAGMA user_version").scalar_one())
        return 0

    def migrate(self, migrations: Sequence[Migration] = MIGRATIONS) -> int:
        """Create a new database at the latest version, or run the pending migrations in one transaction.

        Several instances may start at once: on PostgreSQL an advisory lock lets one migrate while the others
        wait; on SQLite the write lock does the same. Returns the version reached.
        """
        latest = len(migrations)
        with self.write(serialize=MIGRATION_LOCK) as conn:
            version = self._version(conn)
            if version > latest:
                raise JournalError(
                    f"{self.where} has journal schema {version}, newer than this app's {latest}; "
                    "upgrade question-coach (or point COACH_JOURNAL_URL / COACH_DATA_DIR elsewhere)"
                )
            if version == latest:
                return version
            if version == 0 and not _has_entries(conn):
                METADATA.create_all(conn)
                created = len(MIGRATIONS)  # the tables are those of the built-in history's last version
                for migration in migrations[created:]:
                    migration(conn)
            else:
                for number, migration in enumerate(migrations[version:], start=version + 1):
                    log.info("migrating the journal at %s to schema %d", self.where, number)
                    try:
                        migration(conn)
                    except DBAPIError as exc:
                        raise JournalMigrationError(
                            f"upgrading the journal at {self.where} to schema {number} failed "
                            f"({str(exc.orig or exc).splitlines()[0]}); nothing was changed, it stays at "
                            f"schema {version}. Restore the previous app version or report this."
                        ) from exc
            self._stamp(conn, latest)
            return latest

    def _stamp(self, conn: Connection, version: int) -> None:
        table = TABLES["schema_version"]
        table.create(conn, checkfirst=True)
        conn.execute(table.delete())
        conn.execute(table.insert().values(version=version))
        if self.dialect == "sqlite":
            conn.exec_driver_sql(f"PRAGMA user_version = {int(version)}")


@contextmanager
def hold_lock(url: URL, engine: Engine | None, name: str, wait: float) -> Iterator[None]:
    """`Database.hold` for any journal URL; without an engine, a one-off connection is opened for it."""
    if not name.replace("-", "").isalnum():
        raise ValueError(f"lock names are letters, digits and '-', not {name!r}")
    if url.get_backend_name() != "postgresql":
        lock = FileLock(f"{url.database}.{name}.lock")
        try:
            lock.acquire(timeout=wait)
        except Timeout:
            raise LockBusy(name) from None
        try:
            yield
        finally:
            lock.release()
        return
    own = engine is None
    engine = engine or create_engine(url, poolclass=NullPool)
    key, deadline = lock_key(name), time.monotonic() + wait
    try:
        try:
            conn = engine.connect()
        except DBAPIError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise JournalUnavailable(
                f"The journal database cannot be reached for the {name} lock ({reason})."
            ) from exc
        with conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            while not conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar_one():
                if time.monotonic() >= deadline:
                    raise LockBusy(name)
                time.sleep(0.2)
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        if own:
            engine.dispose()


class SharedLock:
    """A factory of `hold_lock` context managers for one journal URL, without opening the journal."""

    def __init__(self, location: str | Path, name: str, *, wait: float = 0.0) -> None:
        self.url, self.name, self.wait = journal_url(location), name, wait
        if self.url.get_backend_name() != "postgresql":
            Path(self.url.database or ".").parent.mkdir(parents=True, exist_ok=True)

    def __call__(self) -> AbstractContextManager[None]:
        return hold_lock(self.url, None, self.name, self.wait)


def _has_entries(conn: Connection) -> bool:
    return inspect(conn).has_table("wishes")


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # The driver must not open transactions by itself; _sqlite_begin decides how each one starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise JournalError("SQLite cannot use WAL here; put COACH_DATA_DIR on a local disk")
        # WAL + NORMAL: a commit survives the process being killed; only an OS crash can lose the last ones.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_MS}")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    # IMMEDIATE takes the write lock up front: another writer waits (busy_timeout) instead of failing half-way.
    write = conn.get_execution_options().get("coach_write", True)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
